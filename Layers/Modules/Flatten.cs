using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>
/// [N, C, H, W] to [N, C*H*W] in NCHW order (PyTorch's, which the next layer's weights follow): a view, no copy, except
/// for a channels-last (NHWC) input with planes larger than 1 x 1, which is reordered into a buffer first (and its
/// gradient back). Backward gives the gradient its input's shape and layout back.
/// </summary>
public sealed class Flatten : Layer
{
    private int[]? _inputDims;
    private Layout _inputLayout;
    private Tensor? _nchw;
    private Tensor? _dx;

    private static bool Reorders(int[] dims, Layout layout) => layout == Layout.NHWC && !Tensor.SameInBothLayouts(dims);

    public override Tensor Forward(Tensor x)
    {
        _inputDims = x.Shape;
        _inputLayout = x.Layout;
        var source = x;
        if (Reorders(_inputDims, x.Layout))
        {
            source = Reuse(ref _nchw, x.Dims, x.DType, x.Device, Layout.NCHW);
            x.Backend.ConvertLayout(x, source);
        }
        return source.WithLayout(Layout.NCHW).Reshape(x[0], -1);
    }

    public override Tensor? Backward(Tensor dy)
    {
        var dims = _inputDims ?? throw BackwardBeforeForward(nameof(Flatten));
        if (!PropagateDown) return null;
        var g = dy.WithLayout(Layout.NCHW).Reshape(dims);
        if (!Reorders(dims, _inputLayout)) return g.WithLayout(_inputLayout);
        var dx = Reuse(ref _dx, dims, dy.DType, dy.Device, _inputLayout);
        dy.Backend.ConvertLayout(g, dx);
        return dx;
    }

    protected override void DisposeBuffers()
    {
        _nchw?.Dispose();
        _dx?.Dispose();
    }
}
