using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>
/// A learnable tensor and its gradient, which backward accumulates into (+=) until <see cref="ZeroGrad"/>.
/// <see cref="Decay"/> says whether weight decay (L2 regularisation) applies: true for weights,
/// false for biases and normalisation scales, as in the CS231n form and Goyal et al.
/// </summary>
public sealed class Parameter : IDisposable
{
    public Parameter(Tensor value, bool decay)
    {
        Value = value;
        Grad = new Tensor(value.Shape, value.DType, value.Device, value.Layout);
        Decay = decay;
    }

    public Tensor Value { get; }
    public Tensor Grad { get; }
    public bool Decay { get; set; }

    public void ZeroGrad() => Grad.Backend.Fill(Grad, 0);

    public void Dispose()
    {
        Value.Dispose();
        Grad.Dispose();
    }
}
