using NativeNets.Modules;
using NativeNets.Optim;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Distributed;

/// <summary>Goyal et al.'s learning rate (linear scaling, gradual warmup, step or cosine decay) and momentum correction.</summary>
public class GoyalScheduleTests
{
    // ImageNet-1k at kn = 8,192: 1,281,167 / 8,192 = 156 iterations per epoch (whole batches).
    private const int PerEpoch = 156;

    [Theory]
    [InlineData(0, 0.1)]                      // warmup starts at the single-worker rate
    [InlineData(PerEpoch * 5 / 2, 1.65)]      // halfway through 5 epochs: 0.1 + (3.2 - 0.1) / 2
    [InlineData(PerEpoch, 0.72)]              // one epoch: 0.1 + 3.1 / 5
    [InlineData(PerEpoch * 5, 3.2)]           // end of warmup: 0.1 x 8192 / 256
    [InlineData(PerEpoch * 30 - 1, 3.2)]
    [InlineData(PerEpoch * 30, 0.32)]         // / 10 at 30
    [InlineData(PerEpoch * 60, 0.032)]        // / 100 at 60
    [InlineData(PerEpoch * 80, 0.0032)]       // / 1000 at 80
    [InlineData(PerEpoch * 90 - 1, 0.0032)]
    public void ThePapersScheduleAtChosenIterations(int iteration, double expected)
    {
        var schedule = new GoyalSchedule(8192);
        Assert.Equal(3.2, schedule.ScaledRate, 12);
        Assert.Equal(expected, schedule.AtIteration(iteration, PerEpoch), 12);
    }

    [Fact]
    public void WarmupIsLinearPerIteration()
    {
        var schedule = new GoyalSchedule(8192);
        var steps = Enumerable.Range(0, PerEpoch * 5 + 1).Select(i => schedule.AtIteration(i, PerEpoch)).ToArray();
        var increment = (3.2 - 0.1) / (PerEpoch * 5);
        for (var i = 1; i < steps.Length; i++) Assert.Equal(increment, steps[i] - steps[i - 1], 12);
    }

    [Fact]
    public void EachPartSwitchesOff()
    {
        var noWarmup = new GoyalSchedule(8192) { WarmupEpochs = 0 };
        Assert.Equal(3.2, noWarmup.At(0), 12);
        var noScaling = new GoyalSchedule(8192) { LinearScaling = false };
        Assert.Equal(0.1, noScaling.At(0), 12);
        Assert.Equal(0.1, noScaling.At(10), 12);
        Assert.Equal(0.01, noScaling.At(30), 12);
        var noDecay = new GoyalSchedule(8192) { Decay = GoyalDecay.None };
        Assert.Equal(3.2, noDecay.At(89), 12);
        var milestones = new GoyalSchedule(512) { Milestones = [10, 20], Gamma = 0.5, WarmupEpochs = 2 };
        Assert.Equal(0.2, milestones.At(9.9), 12);
        Assert.Equal(0.1, milestones.At(10), 12);
        Assert.Equal(0.05, milestones.At(25), 12);
        // A minibatch of 256 is the reference: no scaling, and the warmup is flat.
        Assert.Equal(0.1, new GoyalSchedule(256).At(2.5), 12);
    }

    [Fact]
    public void CosineDecayRunsFromTheScaledRateToZeroAfterWarmup()
    {
        var cosine = new GoyalSchedule(1024) { Decay = GoyalDecay.Cosine, TotalEpochs = 45, WarmupEpochs = 5 };
        Assert.Equal(0.4, cosine.At(5), 12);
        Assert.Equal(0.2, cosine.At(25), 12);
        Assert.Equal(0.0, cosine.At(45), 12);
        Assert.Equal(0.4 * 0.5 * (1 + Math.Cos(Math.PI * 0.25)), cosine.At(15), 12);
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GoyalSchedule(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GoyalSchedule(256) { WarmupEpochs = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new GoyalSchedule(256).At(-0.5));
    }

    [Fact]
    public void MomentumCorrectionIsTheRatioOfRatesAndOneWhenUnchanged()
    {
        Assert.Equal(1.0, GoyalSchedule.MomentumCorrection(0.3, 0.3));
        Assert.Equal(0.1, GoyalSchedule.MomentumCorrection(3.2, 0.32), 12);
        Assert.Equal(2.0, GoyalSchedule.MomentumCorrection(0.1, 0.2), 12);
    }

    [Fact]
    public void OurSgdEqualsGoyalsFormWithMomentumCorrection()
    {
        // Goyal et al. (section 2.1) write v = m v + lr g, w -= v; when lr changes, v must be scaled by lr_new / lr_old.
        // Our Sgd (PyTorch's form) is v = m v + g, w -= lr v: the same updates with no correction. Here both run through
        // a warmup and a step decay on a quadratic; Goyal's form without the correction drifts away.
        const int steps = 40, perEpoch = 4;
        var schedule = new GoyalSchedule(1024) { WarmupEpochs = 3, Milestones = [6, 8], TotalEpochs = 10 };
        double[] target = [1.0, -2.0, 0.5];
        double[] Gradient(double[] w) => w.Select((v, i) => (i + 1) * (v - target[i])).ToArray();

        using var p = new Parameter(Tensor.FromArray(new double[] { 0.3, 0.1, -0.4 }, 3), decay: false);
        using var sgd = new Sgd([p], learningRate: 0, momentum: 0.9);
        double[] corrected = [0.3, 0.1, -0.4], uncorrected = [0.3, 0.1, -0.4];
        var vCorrected = new double[3];
        var vUncorrected = new double[3];
        var previous = double.NaN;
        var corrections = 0;
        for (var t = 0; t < steps; t++)
        {
            var lr = schedule.AtIteration(t, perEpoch) * 0.05;
            sgd.LearningRate = lr;
            p.Grad.CopyFrom<double>(Gradient(p.Value.ToArray<double>()));
            sgd.Step();

            var factor = double.IsNaN(previous) ? 1 : GoyalSchedule.MomentumCorrection(previous, lr);
            if (factor != 1) corrections++;
            var gc = Gradient(corrected);
            var gu = Gradient(uncorrected);
            for (var i = 0; i < 3; i++)
            {
                vCorrected[i] = 0.9 * factor * vCorrected[i] + lr * gc[i];
                corrected[i] -= vCorrected[i];
                vUncorrected[i] = 0.9 * vUncorrected[i] + lr * gu[i];
                uncorrected[i] -= vUncorrected[i];
            }
            previous = lr;
        }
        // The rate changed at every warmup iteration and at the two milestones: the correction applied exactly then.
        Assert.Equal(3 * perEpoch + 2, corrections);
        var ours = p.Value.ToArray<double>();
        for (var i = 0; i < 3; i++) Assert.Equal(corrected[i], ours[i], 12);
        Assert.True(Enumerable.Range(0, 3).Max(i => Math.Abs(uncorrected[i] - ours[i])) > 1e-3, "without the correction Goyal's form should differ");
    }
}
