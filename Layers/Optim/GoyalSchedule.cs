namespace NativeNets.Optim;

/// <summary>What follows the warmup in <see cref="GoyalSchedule"/>.</summary>
public enum GoyalDecay
{
    /// <summary>The scaled rate until the end.</summary>
    None,
    /// <summary>Times Gamma at each milestone epoch (Goyal et al.: ÷10 at 30, 60, 80 of 90).</summary>
    Step,
    /// <summary>Half a cosine from the scaled rate after the warmup down to 0 at TotalEpochs.</summary>
    Cosine,
}

/// <summary>
/// The learning rate of Goyal et al. 2017 ("Accurate, Large Minibatch SGD"), as a function of the fractional epoch
/// (iteration / iterations per epoch), each part switchable:
/// <list type="bullet">
/// <item>linear scaling rule: the rate is ReferenceRate x TotalBatch / ReferenceBatch (0.1 x kn / 256);</item>
/// <item>gradual warmup: over the first WarmupEpochs (5), linear in the iteration from ReferenceRate, the single-worker
/// rate, up to the scaled rate (the same increment at every iteration; below ReferenceBatch the ramp goes down, so
/// small minibatches usually turn it off);</item>
/// <item>then step decay (x Gamma at each of Milestones: 30, 60, 80 of 90), cosine decay to TotalEpochs, or none.</item>
/// </list>
/// Momentum correction (section 2.1): with the update written v = m v + lr g, w -= v, the velocity carries the old rate
/// and must be scaled by lr_new / lr_old when the rate changes (<see cref="MomentumCorrection"/>). Our <see cref="Sgd"/>
/// is written as PyTorch's, v = m v + g, w -= lr v: the rate multiplies the velocity when it is applied, which is
/// exactly the corrected update, so Sgd needs no correction (the tests show the two equal step by step).
/// </summary>
public sealed record GoyalSchedule : ILearningRateSchedule
{
    private readonly int _totalBatch = 256;
    private readonly int _referenceBatch = 256;
    private readonly double _warmupEpochs = 5;

    /// <summary>The schedule for a total minibatch of <paramref name="totalBatch"/> (k workers x n images each).</summary>
    public GoyalSchedule(int totalBatch)
    {
        TotalBatch = totalBatch;
    }

    /// <summary>The total minibatch kn over all workers.</summary>
    public int TotalBatch
    {
        get => _totalBatch;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _totalBatch = value;
        }
    }

    /// <summary>The rate at ReferenceBatch: 0.1 (He et al.'s rate for 256 images).</summary>
    public double ReferenceRate { get; init; } = 0.1;

    /// <summary>The minibatch ReferenceRate belongs to: 256.</summary>
    public int ReferenceBatch
    {
        get => _referenceBatch;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _referenceBatch = value;
        }
    }

    /// <summary>Whether the rate scales with TotalBatch / ReferenceBatch (the linear scaling rule); otherwise ReferenceRate.</summary>
    public bool LinearScaling { get; init; } = true;

    /// <summary>Epochs of gradual warmup (5); 0 turns it off (the scaled rate from the first iteration, Goyal's "no warmup").</summary>
    public double WarmupEpochs
    {
        get => _warmupEpochs;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _warmupEpochs = value;
        }
    }

    /// <summary>What follows the warmup: step decay (the paper's), cosine, or none.</summary>
    public GoyalDecay Decay { get; init; } = GoyalDecay.Step;

    /// <summary>Epochs at which step decay multiplies the rate by Gamma: 30, 60, 80.</summary>
    public IReadOnlyList<double> Milestones { get; init; } = [30, 60, 80];

    /// <summary>The step decay factor: 0.1.</summary>
    public double Gamma { get; init; } = 0.1;

    /// <summary>Length of training (90 epochs): where the cosine reaches 0.</summary>
    public double TotalEpochs { get; init; } = 90;

    /// <summary>The rate after warmup, before decay: ReferenceRate x TotalBatch / ReferenceBatch with linear scaling.</summary>
    public double ScaledRate => LinearScaling ? ReferenceRate * TotalBatch / ReferenceBatch : ReferenceRate;

    /// <summary>The rate at <paramref name="epoch"/> (fractional: iteration / iterations per epoch).</summary>
    public double At(double epoch)
    {
        if (double.IsNaN(epoch) || epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "the epoch must be 0 or more");
        var scaled = ScaledRate;
        if (epoch < WarmupEpochs) return ReferenceRate + (scaled - ReferenceRate) * (epoch / WarmupEpochs);
        return Decay switch
        {
            GoyalDecay.Step => scaled * Math.Pow(Gamma, Milestones.Count(m => epoch + 1e-9 >= m)),
            GoyalDecay.Cosine => scaled * 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp((epoch - WarmupEpochs) / Math.Max(1e-12, TotalEpochs - WarmupEpochs), 0, 1))),
            _ => scaled,
        };
    }

    /// <summary>The rate at iteration <paramref name="iteration"/> (from 0) with <paramref name="iterationsPerEpoch"/> per epoch.</summary>
    public double AtIteration(long iteration, int iterationsPerEpoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iteration);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterationsPerEpoch);
        return At((double)iteration / iterationsPerEpoch);
    }

    /// <summary>
    /// Goyal et al.'s momentum correction, lr_new / lr_old (1 when the rate does not change), by which an optimizer
    /// written v = m v + lr g must scale its velocity when the rate changes. Our Sgd (v = m v + g, w -= lr v) needs none.
    /// </summary>
    public static double MomentumCorrection(double previousRate, double newRate) =>
        previousRate == newRate || previousRate == 0 ? 1 : newRate / previousRate;
}
