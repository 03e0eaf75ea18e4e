using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>Average pooling to a fixed output size whatever the input's, as torch.nn.AdaptiveAvgPool2d.</summary>
public sealed class AdaptiveAvgPool2d(int outputH, int outputW) : Layer
{
    private Tensor? _x;
    private Tensor? _y;
    private Tensor? _dx;

    public AdaptiveAvgPool2d(int output) : this(output, output) { }

    public int OutputH { get; } = outputH;
    public int OutputW { get; } = outputW;

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"AdaptiveAvgPool2d: input {x.ShapeText} must be [N, C, H, W]");
        _x = x;
        var y = Reuse(ref _y, [x[0], x[1], OutputH, OutputW], x.DType, x.Device, x.Layout);
        x.Backend.AdaptiveAvgPoolForward(x, y);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        var x = _x ?? throw BackwardBeforeForward(nameof(AdaptiveAvgPool2d));
        if (!PropagateDown) return null;
        var dx = ReuseLike(ref _dx, x);
        dy.Backend.AdaptiveAvgPoolBackward(dy, dx);
        return dx;
    }

    protected override void DisposeBuffers()
    {
        _y?.Dispose();
        _dx?.Dispose();
    }
}
