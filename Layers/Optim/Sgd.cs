using NativeNets.Modules;
using NativeNets.Tensors;

namespace NativeNets.Optim;

/// <summary>
/// Stochastic gradient descent with momentum and weight decay, as torch.optim.SGD computes it:
/// g = grad + wd * w (only for parameters that take decay), v = mu * v + g, w -= lr * v.
/// In mixed precision it updates each parameter's F32 master copy from its F32 master gradient (momentum in F32 too)
/// and rounds the master into the F16/BF16 working value afterwards.
/// </summary>
public sealed class Sgd : IDisposable
{
    private readonly List<(Parameter Parameter, Tensor Velocity)> _state = [];
    private readonly Tensor[] _grads;
    private readonly Tensor[] _masterGrads;
    private readonly bool _anyMaster;
    private bool _masterGradsCurrent;

    public Sgd(IEnumerable<Parameter> parameters, double learningRate, double momentum = 0.9, double weightDecay = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(learningRate);
        ArgumentOutOfRangeException.ThrowIfNegative(momentum);
        ArgumentOutOfRangeException.ThrowIfNegative(weightDecay);
        foreach (var p in parameters)
        {
            var v = new Tensor(p.Master.Shape, p.Master.DType, p.Master.Device);
            v.Backend.Fill(v, 0);
            _state.Add((p, v));
        }
        _grads = _state.Select(s => s.Parameter.Grad).ToArray();
        _masterGrads = _state.Select(s => s.Parameter.MasterGrad).ToArray();
        _anyMaster = _state.Any(s => s.Parameter.HasMasterCopy);
        LearningRate = learningRate;
        Momentum = momentum;
        WeightDecay = weightDecay;
    }

    /// <summary>Each parameter with its momentum buffer (PyTorch's momentum_buffer), for checkpoints.</summary>
    public IReadOnlyList<(Parameter Parameter, Tensor Velocity)> State => _state;

    public double LearningRate { get; set; }
    public double Momentum { get; }
    public double WeightDecay { get; }

    /// <summary>
    /// Writes every master gradient as grad x <paramref name="inverseScale"/> (F32 gradients in place) and says whether
    /// all are finite. A loss scaler calls it before <see cref="Step"/>; Step calls it with 1 when nobody did.
    /// </summary>
    public bool UnscaleGradients(double inverseScale)
    {
        if (_state.Count == 0) return true;
        _masterGradsCurrent = true;
        return _grads[0].Backend.UnscaleGradients(_grads, _masterGrads, inverseScale);
    }

    public void Step()
    {
        if (_anyMaster && !_masterGradsCurrent) UnscaleGradients(1);
        foreach (var (p, v) in _state)
        {
            p.Master.Backend.SgdMomentumStep(p.Master, p.MasterGrad, v, LearningRate, Momentum, p.Decay ? WeightDecay : 0);
            p.SyncValueFromMaster();
        }
        _masterGradsCurrent = false;
    }

    /// <summary>Forgets unscaled master gradients without stepping (a loss scaler that skips an overflowing step).</summary>
    public void SkipStep() => _masterGradsCurrent = false;

    public void ZeroGrad()
    {
        foreach (var (p, _) in _state) p.ZeroGrad();
    }

    public void Dispose()
    {
        foreach (var (_, v) in _state) v.Dispose();
    }
}
