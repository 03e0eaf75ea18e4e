using NativeNets.Modules;
using NativeNets.Tensors;

namespace NativeNets.Optim;

/// <summary>
/// Stochastic gradient descent with momentum and weight decay, as torch.optim.SGD computes it:
/// g = grad + wd * w (only for parameters that take decay), v = mu * v + g, w -= lr * v.
/// </summary>
public sealed class Sgd : IDisposable
{
    private readonly List<(Parameter Parameter, Tensor Velocity)> _state = [];

    public Sgd(IEnumerable<Parameter> parameters, double learningRate, double momentum = 0.9, double weightDecay = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(learningRate);
        ArgumentOutOfRangeException.ThrowIfNegative(momentum);
        ArgumentOutOfRangeException.ThrowIfNegative(weightDecay);
        foreach (var p in parameters)
        {
            var v = new Tensor(p.Value.Shape, p.Value.DType, p.Value.Device);
            v.Backend.Fill(v, 0);
            _state.Add((p, v));
        }
        LearningRate = learningRate;
        Momentum = momentum;
        WeightDecay = weightDecay;
    }

    /// <summary>Each parameter with its momentum buffer (PyTorch's momentum_buffer), for checkpoints.</summary>
    public IReadOnlyList<(Parameter Parameter, Tensor Velocity)> State => _state;

    public double LearningRate { get; set; }
    public double Momentum { get; }
    public double WeightDecay { get; }

    public void Step()
    {
        foreach (var (p, v) in _state)
            p.Value.Backend.SgdMomentumStep(p.Value, p.Grad, v, LearningRate, Momentum, p.Decay ? WeightDecay : 0);
    }

    public void ZeroGrad()
    {
        foreach (var (p, _) in _state) p.ZeroGrad();
    }

    public void Dispose()
    {
        foreach (var (_, v) in _state) v.Dispose();
    }
}
