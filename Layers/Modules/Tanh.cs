using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>y = tanh(x); dx = dy (1 - y^2), from the saved output.</summary>
public sealed class Tanh : Layer
{
    private Tensor? _y;
    private Tensor? _dx;

    public override Tensor Forward(Tensor x)
    {
        var y = ReuseLike(ref _y, x);
        x.Backend.Tanh(x, y);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        var y = _y ?? throw BackwardBeforeForward(nameof(Tanh));
        if (!PropagateDown) return null;
        var dx = ReuseLike(ref _dx, y);
        dy.Backend.TanhBackward(y, dy, dx);
        return dx;
    }

    protected override void DisposeBuffers()
    {
        _y?.Dispose();
        _dx?.Dispose();
    }
}
