using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>
/// Local response normalisation across channels, PyTorch's formula: y = x / (k + alpha/size * sum of x^2 over
/// the size neighbouring channels)^beta. AlexNet (2012) and ZFNet use size 5, alpha 1e-4, beta 0.75, k 2.
/// </summary>
public sealed class LocalResponseNorm(int size, double alpha = 1e-4, double beta = 0.75, double k = 1.0) : Layer
{
    private Tensor? _x;
    private Tensor? _y;
    private Tensor? _dx;

    public int Size { get; } = size;
    public double Alpha { get; } = alpha;
    public double Beta { get; } = beta;
    public double K { get; } = k;

    public override Tensor Forward(Tensor x)
    {
        _x = x;
        var y = ReuseLike(ref _y, x);
        x.Backend.LrnForward(x, y, Size, Alpha, Beta, K);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        var x = _x ?? throw BackwardBeforeForward(nameof(LocalResponseNorm));
        if (!PropagateDown) return null;
        var dx = ReuseLike(ref _dx, x);
        dy.Backend.LrnBackward(x, _y!, dy, dx, Size, Alpha, Beta, K);
        return dx;
    }

    protected override void DisposeBuffers()
    {
        _y?.Dispose();
        _dx?.Dispose();
    }
}
