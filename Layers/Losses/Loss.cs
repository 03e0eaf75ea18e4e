using NativeNets.Tensors;

namespace NativeNets.Losses;

/// <summary>
/// A classification loss over scores [N, C] and I32 labels [N]. Forward returns the mean loss and keeps
/// the gradient, computed in the same pass; Backward returns it (a buffer the loss owns).
/// </summary>
public abstract class Loss : IDisposable
{
    private Tensor? _grad;
    private bool _ready;

    /// <summary>
    /// The factor the gradient Backward returns is multiplied by (the loss value is not): a mixed-precision loss scale,
    /// so that small F16 gradients keep their digits. 1 by default.
    /// </summary>
    public double GradientScale { get; set; } = 1;

    public double Forward(Tensor scores, Tensor labels)
    {
        if (_grad is null || _grad.Storage.IsDisposed || !_grad.SameShape(scores) || _grad.DType != scores.DType || _grad.Device != scores.Device)
        {
            _grad?.Dispose();
            _grad = new Tensor(scores.Shape, scores.DType, scores.Device);
        }
        var loss = Compute(scores, labels, _grad);
        _ready = true;
        return loss;
    }

    /// <summary>The mean loss only, no gradient (evaluation).</summary>
    public double Evaluate(Tensor scores, Tensor labels) => Compute(scores, labels, null);

    public Tensor Backward()
    {
        if (!_ready || _grad is null) throw new InvalidOperationException($"{GetType().Name}: Backward called before Forward");
        return _grad;
    }

    protected abstract double Compute(Tensor scores, Tensor labels, Tensor? grad);

    public void Dispose()
    {
        _grad?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Softmax followed by the negative log-likelihood of the true class, averaged over the batch.</summary>
public sealed class SoftmaxCrossEntropyLoss : Loss
{
    protected override double Compute(Tensor scores, Tensor labels, Tensor? grad) =>
        scores.Backend.SoftmaxCrossEntropy(scores, labels, grad, GradientScale);
}

/// <summary>The multiclass SVM (hinge) loss of CS231n: mean over the batch of sum over j != y of max(0, s_j - s_y + margin).</summary>
public sealed class MulticlassSvmLoss(double margin = 1.0) : Loss
{
    public double Margin { get; } = margin;

    protected override double Compute(Tensor scores, Tensor labels, Tensor? grad) =>
        scores.Backend.MulticlassHinge(scores, labels, Margin, grad, GradientScale);
}
