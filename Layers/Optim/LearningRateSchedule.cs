namespace NativeNets.Optim;

/// <summary>The learning rate as a function of (fractional) epoch, so that schedules may change it per iteration.</summary>
public interface ILearningRateSchedule
{
    double At(double epoch);
}

public sealed record ConstantLearningRate(double Rate) : ILearningRateSchedule
{
    public double At(double epoch) => Rate;
}

/// <summary>Step decay: the base rate times gamma for every <paramref name="StepEpochs"/> whole epochs passed (torch's StepLR).</summary>
public sealed record StepLearningRate(double BaseRate, int StepEpochs, double Gamma = 0.1) : ILearningRateSchedule
{
    public double At(double epoch)
    {
        if (StepEpochs <= 0) return BaseRate;
        var steps = (int)Math.Floor(epoch / StepEpochs + 1e-9);
        return BaseRate * Math.Pow(Gamma, steps);
    }
}

/// <summary>Multi-step decay: the base rate times gamma for each milestone epoch passed (torch's MultiStepLR).</summary>
public sealed record MultiStepLearningRate(double BaseRate, IReadOnlyList<int> Milestones, double Gamma = 0.1) : ILearningRateSchedule
{
    public double At(double epoch) => BaseRate * Math.Pow(Gamma, Milestones.Count(m => epoch + 1e-9 >= m));
}
