using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>
/// y = max(0, x). Backward needs only y (the gradient passes where y &gt; 0).
/// In place (PyTorch's inplace=True), y is written over x and no output buffer is kept: one activation less per ReLU.
/// That is only right where nothing reads x afterwards: the layer that made x must not need its own output in its
/// backward (convolution, batch norm, linear and the residual sum do not; the architectures use it only after them),
/// and x must feed this ReLU alone.
/// </summary>
public sealed class ReLU(bool inPlace = false) : Layer
{
    private Tensor? _y;      // the output buffer, when not in place
    private Tensor? _output; // what the last Forward returned: _y, or x itself in place
    private Tensor? _dx;

    public bool InPlace { get; } = inPlace;

    public override Tensor Forward(Tensor x)
    {
        var y = InPlace ? x : ReuseLike(ref _y, x);
        x.Backend.Relu(x, y);
        _output = y;
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        var y = _output ?? throw BackwardBeforeForward(nameof(ReLU));
        if (!PropagateDown) return null;
        var dx = ReuseLike(ref _dx, y);
        dy.Backend.ReluBackward(y, dy, dx);
        return dx;
    }

    protected override void DisposeBuffers()
    {
        _y?.Dispose(); // never _output in place: that is the previous layer's buffer
        _dx?.Dispose();
    }
}
