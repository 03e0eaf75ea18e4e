using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>
/// y = post(branch(x) + shortcut(x)): a residual block. The shortcut is the identity (null), a projection
/// (1x1 conv + BN, torchvision's "downsample"), or He et al.'s parameter-free padding. The activation after
/// the sum (ReLU in ResNets) is part of the block. Children are named after torchvision's blocks by the caller.
/// </summary>
public sealed class Residual : Layer
{
    private readonly List<(string Name, Layer Layer)> _branch;
    private readonly (string Name, Layer Layer)? _shortcut;
    private Tensor? _sum;
    private Tensor? _dx;

    public Residual(IEnumerable<(string Name, Layer Layer)> branch, (string Name, Layer Layer)? shortcut = null, Layer? post = null)
    {
        _branch = branch.ToList();
        _shortcut = shortcut;
        Post = post;
    }

    public Layer? Post { get; }

    public override IEnumerable<(string Name, Layer Layer)> Children()
    {
        foreach (var b in _branch) yield return b;
        if (_shortcut is { } s) yield return s;
    }

    /// <summary>The last layer of the branch (the BN whose gamma Goyal et al. set to zero).</summary>
    public Layer LastOfBranch => _branch[^1].Layer;

    public override Tensor Forward(Tensor x)
    {
        var h = x;
        foreach (var (name, layer) in _branch) h = ForwardChild(name, layer, h);
        var s = _shortcut is { } sc ? ForwardChild(sc.Name, sc.Layer, x) : x;
        if (!h.SameShape(s))
            throw new ArgumentException($"Residual: the branch gives {h.ShapeText} but the shortcut {s.ShapeText}");
        var sum = ReuseLike(ref _sum, h);
        x.Backend.Add(h, s, sum);
        return Post is null ? sum : Post.Forward(sum);
    }

    public override Tensor? Backward(Tensor dy)
    {
        var g = Post is null ? dy : Post.Backward(dy)!;
        Tensor? db = g;
        for (var i = _branch.Count - 1; i >= 0; i--)
        {
            var next = BackwardChild(_branch[i].Name, _branch[i].Layer, db!);
            ReleaseUsedGradient(db, keep: g, next); // g itself waits for the shortcut
            db = next;
        }
        var ds = _shortcut is { } sc ? BackwardChild(sc.Name, sc.Layer, g) : g;
        Tensor? dx = null;
        if (PropagateDown)
        {
            dx = ReuseLike(ref _dx, db!);
            g.Backend.Add(db!, ds!, dx);
        }
        ReleaseUsedGradient(db, keep: g, dx);
        ReleaseUsedGradient(ds, keep: g, dx);
        ReleaseUsedGradient(g, keep: dy, dx);
        return dx;
    }

    public override void Dispose()
    {
        Post?.Dispose();
        base.Dispose();
    }

    protected override void DisposeBuffers()
    {
        _sum?.Dispose();
        _dx?.Dispose();
    }
}

/// <summary>The shortcut of He et al.'s CIFAR ResNets (option A): subsample by the stride, pad channels with zeros, half before and half after.</summary>
public sealed class PadShortcut(int outChannels, int stride) : Layer
{
    private Tensor? _x;
    private Tensor? _y;
    private Tensor? _dx;

    public int OutChannels { get; } = outChannels;
    public int Stride { get; } = stride;

    public override Tensor Forward(Tensor x)
    {
        _x = x;
        var y = Reuse(ref _y, [x[0], OutChannels, (x[2] + Stride - 1) / Stride, (x[3] + Stride - 1) / Stride], x.DType, x.Device, x.Layout);
        x.Backend.PadShortcutForward(x, y, Stride, (OutChannels - x[1]) / 2);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        var x = _x ?? throw BackwardBeforeForward(nameof(PadShortcut));
        if (!PropagateDown) return null;
        var dx = ReuseLike(ref _dx, x);
        dy.Backend.PadShortcutBackward(dy, dx, Stride, (OutChannels - x[1]) / 2);
        return dx;
    }

    protected override void DisposeBuffers()
    {
        _y?.Dispose();
        _dx?.Dispose();
    }
}
