using NativeNets.Optim;

namespace NativeNets.MixedPrecision;

/// <summary>What a loss scaler did at one step where the gradients overflowed.</summary>
public readonly record struct LossScaleOverflow(long Step, double OldScale, double NewScale, long SkippedSteps);

/// <summary>
/// Dynamic loss scaling (Micikevicius et al. 2018; torch.cuda.amp.GradScaler's rule and defaults). The loss gradient is
/// multiplied by <see cref="Scale"/> so that small F16 gradients do not flush to zero; before the optimizer step the
/// gradients are divided by it again into the F32 master gradients. When any of them is infinite or NaN, the step is
/// skipped (no parameter, momentum or step count of the optimizer changes), the scale is multiplied by
/// <see cref="BackoffFactor"/>, and the event is counted and reported; after <see cref="GrowthInterval"/> clean steps in
/// a row it is multiplied by <see cref="GrowthFactor"/>. A static scaler (dynamic: false) keeps its scale but still
/// skips steps whose gradients are not finite.
/// </summary>
public sealed class LossScaler
{
    public LossScaler(double initialScale = 65536, double growthFactor = 2, double backoffFactor = 0.5, int growthInterval = 2000,
        bool dynamic = true)
    {
        if (!(initialScale > 0) || !double.IsFinite(initialScale)) throw new ArgumentOutOfRangeException(nameof(initialScale), initialScale, "must be positive and finite");
        if (!(growthFactor >= 1)) throw new ArgumentOutOfRangeException(nameof(growthFactor), growthFactor, "must be at least 1");
        if (!(backoffFactor > 0 && backoffFactor < 1)) throw new ArgumentOutOfRangeException(nameof(backoffFactor), backoffFactor, "must be in (0, 1)");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(growthInterval);
        Scale = initialScale;
        GrowthFactor = growthFactor;
        BackoffFactor = backoffFactor;
        GrowthInterval = growthInterval;
        Dynamic = dynamic;
    }

    /// <summary>The scaler for a precision: dynamic from 2^16 for fp16; none (null) for fp32 and bf16, whose range is F32's.</summary>
    public static LossScaler? For(Precision precision) => precision.NeedsLossScaling() ? new LossScaler() : null;

    /// <summary>The factor the loss gradient is multiplied by at the next step.</summary>
    public double Scale { get; set; }

    public double GrowthFactor { get; }
    public double BackoffFactor { get; }
    public int GrowthInterval { get; }
    public bool Dynamic { get; }

    /// <summary>Steps attempted (taken or skipped).</summary>
    public long Steps { get; private set; }

    /// <summary>Steps skipped because a gradient overflowed.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>Clean steps since the last overflow or growth.</summary>
    public int CleanSteps { get; private set; }

    /// <summary>Called at every skipped step (the trainer logs it).</summary>
    public Action<LossScaleOverflow>? OnOverflow { get; set; }

    /// <summary>
    /// Unscales the gradients into the master gradients and steps <paramref name="optimizer"/> when all are finite;
    /// otherwise skips the step and lowers the scale. Returns whether the step was taken.
    /// </summary>
    public bool Step(Sgd optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Steps++;
        if (!optimizer.UnscaleGradients(1.0 / Scale))
        {
            optimizer.SkipStep();
            SkippedSteps++;
            CleanSteps = 0;
            var old = Scale;
            if (Dynamic) Scale = Math.Max(Scale * BackoffFactor, double.Epsilon);
            OnOverflow?.Invoke(new LossScaleOverflow(Steps, old, Scale, SkippedSteps));
            return false;
        }
        optimizer.Step();
        if (Dynamic && ++CleanSteps >= GrowthInterval)
        {
            var grown = Scale * GrowthFactor;
            if (double.IsFinite(grown) && grown <= float.MaxValue) Scale = grown;
            CleanSteps = 0;
        }
        return true;
    }
}
