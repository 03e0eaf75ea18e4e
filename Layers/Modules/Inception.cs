using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>Parallel branches over the same input, concatenated along channels (GoogLeNet's Inception module).</summary>
public sealed class Inception : Layer
{
    private readonly List<(string Name, Layer Layer)> _branches;
    private Tensor? _y;
    private Tensor? _dx;
    private readonly List<Tensor> _branchGrads = [];
    private int[] _channels = [];

    public Inception(params (string Name, Layer Layer)[] branches)
    {
        if (branches.Length == 0) throw new ArgumentException("Inception needs at least one branch");
        _branches = [.. branches];
    }

    public override IEnumerable<(string Name, Layer Layer)> Children() => _branches;

    public override Tensor Forward(Tensor x)
    {
        var outputs = _branches.Select(b => ForwardChild(b.Name, b.Layer, x)).ToArray();
        var first = outputs[0];
        foreach (var o in outputs)
            if (o.Rank != 4 || o[0] != first[0] || o[2] != first[2] || o[3] != first[3])
                throw new ArgumentException($"Inception: branch outputs {string.Join(", ", outputs.Select(t => t.ShapeText))} differ in batch or size");
        _channels = outputs.Select(o => o[1]).ToArray();
        var y = Reuse(ref _y, [first[0], _channels.Sum(), first[2], first[3]], x.DType, x.Device, x.Layout);
        var offset = 0;
        foreach (var o in outputs)
        {
            x.Backend.CopyIntoChannels(o, y, offset);
            offset += o[1];
        }
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        if (_y is null) throw BackwardBeforeForward(nameof(Inception));
        var ops = dy.Backend;
        Tensor? dx = null;
        var offset = 0;
        for (var i = 0; i < _branches.Count; i++)
        {
            while (_branchGrads.Count <= i) _branchGrads.Add(null!);
            var g = _branchGrads[i];
            var dims = new[] { dy[0], _channels[i], dy[2], dy[3] };
            if (g is null || g.Storage.IsDisposed || !g.Dims.SequenceEqual(dims) || g.DType != dy.DType || g.Layout != dy.Layout)
            {
                g?.Dispose();
                g = _branchGrads[i] = new Tensor(dims, dy.DType, dy.Device, dy.Layout);
            }
            ops.CopyFromChannels(dy, offset, g);
            offset += _channels[i];
            var d = BackwardChild(_branches[i].Name, _branches[i].Layer, g);
            if (PropagateDown && d is not null)
            {
                if (dx is null)
                {
                    dx = ReuseLike(ref _dx, d);
                    ops.Copy(d, dx);
                }
                else
                {
                    ops.Axpy(1, d, dx);
                }
            }
            ReleaseUsedGradient(d, keep: g, dx);
            ReleaseUsedGradient(g, keep: dy, dx);
        }
        return PropagateDown ? dx : null;
    }

    protected override void DisposeBuffers()
    {
        _y?.Dispose();
        _dx?.Dispose();
        foreach (var g in _branchGrads) g?.Dispose();
    }
}
