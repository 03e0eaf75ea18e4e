using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>
/// Inverted dropout: in training each element is kept with probability 1 - p and scaled by 1 / (1 - p); in
/// evaluation it is the identity. Masks come from the layer's seeded generator, so runs are reproducible.
/// </summary>
public sealed class Dropout(double p = 0.5, ulong seed = 0) : Layer
{
    private readonly Rng _rng = new(seed);
    private Tensor? _y;
    private Tensor? _mask;
    private Tensor? _dx;
    private bool _active;

    /// <summary>The layer's mask generator; checkpoints save and restore its state.</summary>
    public Rng Generator => _rng;

    public double P { get; } = p is >= 0 and < 1 ? p : throw new ArgumentOutOfRangeException(nameof(p), $"dropout p = {p} must be in [0, 1)");

    public override Tensor Forward(Tensor x)
    {
        _active = Training && P > 0;
        if (!_active) return x;
        var y = ReuseLike(ref _y, x);
        var mask = Reuse(ref _mask, x.Dims, DType.U8, x.Device);
        x.Backend.DropoutForward(x, y, mask, P, _rng.NextUInt64());
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        if (!PropagateDown) return null;
        if (!_active) return dy;
        var dx = ReuseLike(ref _dx, dy);
        dy.Backend.DropoutBackward(dy, _mask!, dx, P);
        return dx;
    }

    protected override void DisposeBuffers()
    {
        _y?.Dispose();
        _mask?.Dispose();
        _dx?.Dispose();
    }
}
