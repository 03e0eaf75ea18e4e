using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>
/// A learnable tensor and its gradient, which backward accumulates into (+=) until <see cref="ZeroGrad"/>.
/// <see cref="Decay"/> says whether weight decay (L2 regularisation) applies: true for weights,
/// false for biases and normalisation scales, as in the CS231n form and Goyal et al.
/// In mixed precision (<see cref="UseReducedPrecision"/>) Value and Grad are F16 or BF16, what the layers compute
/// with, and <see cref="Master"/> and <see cref="MasterGrad"/> are F32 copies that the optimizer updates; otherwise
/// Master is Value and MasterGrad is Grad.
/// </summary>
public sealed class Parameter : IDisposable
{
    private Tensor? _master;
    private Tensor? _masterGrad;

    public Parameter(Tensor value, bool decay)
    {
        Value = value;
        Grad = new Tensor(value.Shape, value.DType, value.Device, value.Layout);
        Decay = decay;
    }

    /// <summary>The value the layers compute with (F16 or BF16 in mixed precision).</summary>
    public Tensor Value { get; private set; }

    /// <summary>The gradient backward accumulates, in Value's dtype (and multiplied by the loss scale when there is one).</summary>
    public Tensor Grad { get; private set; }

    public bool Decay { get; set; }

    /// <summary>True when Value is a reduced-precision working copy of an F32 <see cref="Master"/>.</summary>
    public bool HasMasterCopy => _master is not null;

    /// <summary>The weights the optimizer updates and checkpoints save: an F32 copy in mixed precision, else Value itself.</summary>
    public Tensor Master => _master ?? Value;

    /// <summary>The unscaled F32 gradient the optimizer reads (written by Backend.UnscaleGradients), else Grad itself.</summary>
    public Tensor MasterGrad => _masterGrad ?? Grad;

    public void ZeroGrad() => Grad.Backend.Fill(Grad, 0);

    /// <summary>
    /// Makes Value and Grad <paramref name="dtype"/> (F16 or BF16) and keeps the current F32 value as <see cref="Master"/>,
    /// with an F32 <see cref="MasterGrad"/>. Call before an optimizer or gradient buckets take the parameter.
    /// </summary>
    public void UseReducedPrecision(DType dtype)
    {
        if (dtype is not (DType.F16 or DType.BF16))
            throw new ArgumentException($"Parameter {Value.ShapeText}: reduced precision is f16 or bf16, not {dtype.Name()}");
        if (_master is not null)
        {
            if (Value.DType == dtype) return;
            throw new InvalidOperationException($"Parameter {Value.ShapeText}: already {Value.DType.Name()}, cannot become {dtype.Name()}");
        }
        if (Value.DType != DType.F32)
            throw new InvalidOperationException($"Parameter {Value.ShapeText}: mixed precision keeps an f32 master copy, but the value is {Value.DType.Name()}");
        var value = new Tensor(Value.Shape, dtype, Value.Device, Value.Layout);
        var grad = new Tensor(Value.Shape, dtype, Value.Device, Value.Layout);
        var masterGrad = new Tensor(Value.Shape, DType.F32, Value.Device, Value.Layout);
        value.Backend.Cast(Value, value);
        grad.Backend.Fill(grad, 0);
        masterGrad.Backend.Fill(masterGrad, 0);
        Grad.Dispose();
        (_master, _masterGrad, Value, Grad) = (Value, masterGrad, value, grad);
    }

    /// <summary>Rounds <see cref="Master"/> into Value after the optimizer (or a checkpoint load) changed it; nothing in F32.</summary>
    public void SyncValueFromMaster()
    {
        if (_master is not null) Value.Backend.Cast(_master, Value);
    }

    public void Dispose()
    {
        Value.Dispose();
        Grad.Dispose();
        _master?.Dispose();
        _masterGrad?.Dispose();
    }
}
