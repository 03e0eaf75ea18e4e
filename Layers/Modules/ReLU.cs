using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>y = max(0, x). Backward needs only y (the gradient passes where y &gt; 0).</summary>
public sealed class ReLU : Layer
{
    private Tensor? _y;
    private Tensor? _dx;

    public override Tensor Forward(Tensor x)
    {
        var y = ReuseLike(ref _y, x);
        x.Backend.Relu(x, y);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        var y = _y ?? throw BackwardBeforeForward(nameof(ReLU));
        if (!PropagateDown) return null;
        var dx = ReuseLike(ref _dx, y);
        dy.Backend.ReluBackward(y, dy, dx);
        return dx;
    }

    protected override void DisposeBuffers()
    {
        _y?.Dispose();
        _dx?.Dispose();
    }
}
