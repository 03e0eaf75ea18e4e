using NativeNets.Losses;
using NativeNets.MixedPrecision;
using NativeNets.Modules;
using NativeNets.Optim;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Modules;

/// <summary>
/// Mixed precision: F16/BF16 working weights with F32 masters, the optimizer on the masters, and the dynamic loss
/// scale that skips a step whose gradients overflow without touching any parameter or momentum.
/// </summary>
public class MixedPrecisionTests
{
    private static Sequential SmallCnn(ulong seed)
    {
        var rng = new Rng(seed);
        return new Sequential()
            .Add("conv1", new Conv2d(1, 4, 3, padding: 1, rng: rng))
            .Add("bn1", new BatchNorm2d(4))
            .Add("relu", new ReLU())
            .Add("pool", new MaxPool2d(2))
            .Add("flatten", new Flatten())
            .Add("fc", new Linear(4 * 4 * 4, 3, rng: rng))
            .SkipInputGradient();
    }

    private static Tensor Input(DType dtype, ulong seed, int n = 6)
    {
        var rng = new Rng(seed);
        using var x32 = Tensor.FromArray(Enumerable.Range(0, n * 64).Select(_ => (float)rng.Uniform(-1, 1)).ToArray(), n, 1, 8, 8);
        var x = new Tensor(x32.Shape, dtype, Device.Cpu);
        x.Backend.Cast(x32, x);
        return x;
    }

    private static float[][] Masters(Layer net) => net.Parameters().Select(p => p.Master.ToArray<float>()).ToArray();

    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void ApplyMakesWeightsReducedWithF32MastersAndLeavesBatchNormInF32(DType dtype)
    {
        using var net = SmallCnn(1);
        var before = Masters(net);
        MixedPrecisionNetwork.Apply(net, dtype == DType.F16 ? Precision.Fp16 : Precision.Bf16);
        var conv = (Conv2d)net[0];
        var bn = (BatchNorm2d)net[1];
        Assert.Equal(dtype, conv.Weight.Value.DType);
        Assert.Equal(dtype, conv.Weight.Grad.DType);
        Assert.Equal(DType.F32, conv.Weight.Master.DType);
        Assert.Equal(DType.F32, conv.Weight.MasterGrad.DType);
        Assert.True(conv.Weight.HasMasterCopy);
        Assert.False(bn.Weight.HasMasterCopy);
        Assert.Equal(DType.F32, bn.Weight.Value.DType);
        Assert.Equal(DType.F32, bn.RunningMean.DType);
        Assert.Equal(before, Masters(net)); // the masters are the F32 weights, unchanged
        // The working copy is the master rounded once.
        using var rounded = new Tensor(conv.Weight.Master.Shape, dtype, Device.Cpu);
        rounded.Backend.Cast(conv.Weight.Master, rounded);
        Assert.Equal(rounded.ToArray<ushort>(), conv.Weight.Value.ToArray<ushort>());

        using var x = Input(dtype, 2);
        var y = net.Forward(x);
        Assert.Equal(dtype, y.DType);
        Assert.Throws<InvalidOperationException>(() => conv.Weight.UseReducedPrecision(dtype == DType.F16 ? DType.BF16 : DType.F16));
    }

    [Fact]
    public void Bf16GradientsFollowTheF32OnesWithinTheirPrecision()
    {
        using var net32 = SmallCnn(4);
        using var net16 = SmallCnn(4);
        MixedPrecisionNetwork.Apply(net16, Precision.Bf16);
        using var x32 = Input(DType.F32, 5);
        using var x16 = Input(DType.BF16, 5);
        using var labels = Tensor.FromArray(new[] { 0, 1, 2, 0, 1, 2 }, 6);
        using var loss32 = new SoftmaxCrossEntropyLoss();
        using var loss16 = new SoftmaxCrossEntropyLoss();
        var l32 = loss32.Forward(net32.Forward(x32), labels);
        var l16 = loss16.Forward(net16.Forward(x16), labels);
        Assert.Equal(l32, l16, 1); // bf16 keeps 8 bits: the loss agrees to about 1e-2
        net32.Backward(loss32.Backward());
        net16.Backward(loss16.Backward());
        foreach (var ((name, p32), (_, p16)) in net32.NamedParameters().Zip(net16.NamedParameters()))
        {
            var g32 = p32.Grad.ToArray<float>();
            using var wide = new Tensor(p16.Grad.Shape, DType.F32, Device.Cpu);
            wide.Backend.Cast(p16.Grad, wide);
            var g16 = wide.ToArray<float>();
            var norm = Math.Sqrt(g32.Sum(v => (double)v * v));
            var diff = Math.Sqrt(g32.Zip(g16).Sum(t => (double)(t.First - t.Second) * (t.First - t.Second)));
            // bf16 keeps 8 significant bits at every layer of the way back; 10% of the norm still catches a wrong scale or dtype
            // (the absolute floor is for conv1.bias, whose exact gradient is 0: batch norm follows it).
            Assert.True(diff <= 0.1 * norm + 5e-3, $"{name}: bf16 gradient differs by {diff:G3} (norm {norm:G3})");
        }
    }

    [Fact]
    public void SgdStepsTheF32MastersAndRoundsTheWorkingCopy()
    {
        // The same gradients, once through an F32 parameter and once through an F16 one with an F32 master: the masters
        // must be bit-identical (the optimizer never sees F16 weights), the F16 value their rounding.
        var values = new[] { 0.1f, -0.2f, 0.3f, 1e-4f };
        var grads = new[] { 0.5f, -0.25f, 0.125f, 1f };
        using var plain = new Parameter(Tensor.FromArray(values, 4), decay: true);
        using var mixed = new Parameter(Tensor.FromArray(values, 4), decay: true);
        mixed.UseReducedPrecision(DType.F16);
        using var sgd32 = new Sgd([plain], 0.01, 0.9, 1e-3);
        using var sgd16 = new Sgd([mixed], 0.01, 0.9, 1e-3);
        for (var step = 0; step < 5; step++)
        {
            plain.Grad.CopyFrom<float>(grads);
            mixed.Grad.CopyFrom<Half>(grads.Select(g => (Half)g).ToArray());
            sgd32.Step();
            sgd16.Step();
        }
        Assert.Equal(plain.Value.ToArray<float>(), mixed.Master.ToArray<float>());
        Assert.Equal(sgd32.State[0].Velocity.ToArray<float>(), sgd16.State[0].Velocity.ToArray<float>());
        Assert.Equal(DType.F32, sgd16.State[0].Velocity.DType);
        Assert.Equal(mixed.Master.ToArray<float>().Select(v => (Half)v).ToArray(), mixed.Value.ToArray<Half>());
    }

    [Fact]
    public void AForcedOverflowSkipsExactlyThatStepAndHalvesTheScale()
    {
        using var net = SmallCnn(7);
        MixedPrecisionNetwork.Apply(net, Precision.Fp16);
        using var x = Input(DType.F16, 8);
        using var labels = Tensor.FromArray(new[] { 0, 1, 2, 0, 1, 2 }, 6);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new Sgd(net.Parameters(), 0.05, 0.9, 1e-4);
        var scaler = new LossScaler(initialScale: 1024, growthInterval: 100);
        var events = new List<LossScaleOverflow>();
        scaler.OnOverflow = events.Add;
        const int overflowAt = 3;
        float[][]? beforeOverflow = null;
        float[][]? velocityBeforeOverflow = null;
        for (var step = 1; step <= 5; step++)
        {
            var before = Masters(net);
            sgd.ZeroGrad();
            loss.GradientScale = scaler.Scale;
            loss.Forward(net.Forward(x), labels);
            net.Backward(loss.Backward());
            if (step == overflowAt)
            {
                // An F16 gradient overflows: the largest half times two is infinity.
                var g = ((Linear)net[5]).Weight.Grad;
                g.Backend.Fill(g, 65504);
                g.Backend.Scale(g, 2);
                beforeOverflow = before;
                velocityBeforeOverflow = sgd.State.Select(s => s.Velocity.ToArray<float>()).ToArray();
            }
            var taken = scaler.Step(sgd);
            Assert.Equal(step != overflowAt, taken);
            if (step == overflowAt)
            {
                Assert.Equal(beforeOverflow, Masters(net)); // no parameter moved
                Assert.Equal(velocityBeforeOverflow, sgd.State.Select(s => s.Velocity.ToArray<float>()).ToArray()); // nor any momentum
                foreach (var p in net.Parameters().Where(p => p.HasMasterCopy))
                {
                    using var rounded = new Tensor(p.Master.Shape, DType.F16, Device.Cpu);
                    rounded.Backend.Cast(p.Master, rounded);
                    Assert.Equal(rounded.ToArray<ushort>(), p.Value.ToArray<ushort>());
                }
            }
            else Assert.NotEqual(before, Masters(net));
        }
        Assert.Equal(1, scaler.SkippedSteps);
        Assert.Equal(5, scaler.Steps);
        Assert.Equal(512, scaler.Scale);
        Assert.Equal([new LossScaleOverflow(overflowAt, 1024, 512, 1)], events);
    }

    [Fact]
    public void TheScaleGrowsAfterCleanStepsAndAStaticScaleStaysPut()
    {
        using var p = new Parameter(Tensor.FromArray(new[] { 1f, 2f }, 2), decay: false);
        p.UseReducedPrecision(DType.F16);
        using var sgd = new Sgd([p], 0.1, 0);
        var scaler = new LossScaler(initialScale: 8, growthInterval: 3);
        for (var i = 0; i < 7; i++)
        {
            p.Grad.CopyFrom<Half>([(Half)scaler.Scale, (Half)(2 * scaler.Scale)]); // (1, 2) times the scale
            Assert.True(scaler.Step(sgd));
        }
        Assert.Equal(32, scaler.Scale); // grew at steps 3 and 6
        Assert.Equal(1, scaler.CleanSteps);
        // The unscaled gradient was (1, 2) at every step: the master moved by lr x 7 x (1, 2).
        Assert.Equal(1 - 0.7, p.Master.ToArray<float>()[0], 5);
        Assert.Equal(2 - 1.4, p.Master.ToArray<float>()[1], 5);

        var fixedScale = new LossScaler(initialScale: 4, dynamic: false);
        p.Grad.CopyFrom<Half>([Half.PositiveInfinity, (Half)1]);
        Assert.False(fixedScale.Step(sgd));
        Assert.Equal(4, fixedScale.Scale);
        Assert.Equal(1, fixedScale.SkippedSteps);

        Assert.Throws<ArgumentOutOfRangeException>(() => new LossScaler(initialScale: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LossScaler(backoffFactor: 1));
        Assert.Null(LossScaler.For(Precision.Bf16));
        Assert.NotNull(LossScaler.For(Precision.Fp16));
    }

    [Fact]
    public void PrecisionNamesParseAndUnknownOnesSayWhatIsAccepted()
    {
        Assert.Equal(Precision.Fp16, PrecisionExtensions.Parse("fp16"));
        Assert.Equal(Precision.Bf16, PrecisionExtensions.Parse("BF16"));
        Assert.Equal(DType.BF16, Precision.Bf16.ComputeDType());
        var e = Assert.Throws<ArgumentException>(() => PrecisionExtensions.Parse("fp8"));
        Assert.Contains("fp32, fp16 or bf16", e.Message);
        using var p = new Parameter(Tensor.FromArray(new[] { 1.0 }, 1), decay: false);
        Assert.Throws<InvalidOperationException>(() => p.UseReducedPrecision(DType.F16)); // an F64 value has no F32 master
        Assert.Throws<ArgumentException>(() => p.UseReducedPrecision(DType.F32));
    }
}
