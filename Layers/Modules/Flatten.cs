using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>[N, C, H, W] to [N, C*H*W]: a view, no copy; backward gives the gradient its input's shape back.</summary>
public sealed class Flatten : Layer
{
    private int[]? _inputDims;

    public override Tensor Forward(Tensor x)
    {
        _inputDims = x.Shape;
        return x.Reshape(x[0], -1);
    }

    public override Tensor? Backward(Tensor dy)
    {
        var dims = _inputDims ?? throw BackwardBeforeForward(nameof(Flatten));
        return PropagateDown ? dy.Reshape(dims) : null;
    }
}
