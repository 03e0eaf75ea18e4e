using NativeNets.Backends;
using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>Average pooling as torch.nn.AvgPool2d (count_include_pad and ceil mode as PyTorch defines them).</summary>
public sealed class AvgPool2d(Pool2dGeometry geometry) : Layer
{
    private Tensor? _x;
    private Tensor? _y;
    private Tensor? _dx;

    public AvgPool2d(int kernel, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
        : this(Pool2dGeometry.Square(kernel, stride, padding, ceilMode, countIncludePad)) { }

    public Pool2dGeometry Geometry { get; } = geometry;

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"AvgPool2d: input {x.ShapeText} must be [N, C, H, W]");
        _x = x;
        var (oh, ow) = Geometry.OutputSize(x[2], x[3]);
        var y = Reuse(ref _y, [x[0], x[1], oh, ow], x.DType, x.Device, x.Layout);
        x.Backend.AvgPoolForward(x, y, Geometry);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        var x = _x ?? throw BackwardBeforeForward(nameof(AvgPool2d));
        if (!PropagateDown) return null;
        var dx = ReuseLike(ref _dx, x);
        dy.Backend.AvgPoolBackward(dy, dx, Geometry);
        return dx;
    }

    protected override void DisposeBuffers()
    {
        _y?.Dispose();
        _dx?.Dispose();
    }
}
