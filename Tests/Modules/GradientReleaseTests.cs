using NativeNets.Losses;
using NativeNets.Modules;
using NativeNets.Nets.Architectures;
using NativeNets.Optim;
using NativeNets.Tensors;
using NativeNets.Tests.Embedding;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Modules;

/// <summary>
/// Layer.ReleaseGradientsEarly: the containers free each input gradient once it has been used. The same training steps
/// with and without it must give the same numbers, bit for bit, and hold less memory at the peak. On the CPU it is off
/// by default (on for the CUDA backend's pool); here it is forced on, so the containers' bookkeeping is tested on every
/// machine. The peak is read from the process-wide CPU counter, so these run alone.
/// </summary>
[Collection(nameof(NativeMemoryCollection))]
public class GradientReleaseTests
{
    [Theory]
    [InlineData("resnet18", 32, true)]    // Residual with BasicBlocks and in-place ReLUs after the sums
    [InlineData("resnet50", 64, false)]   // Bottlenecks, projection shortcuts
    [InlineData("googlenet-aux", 64, false)] // Inception's branches and the auxiliary heads
    [InlineData("alexnet-2012", 64, false)]  // LRN after in-place ReLUs, dropout in the classifier
    [InlineData("vgg11-bn", 32, false)]
    public void ReleasingGradientsEarlyChangesNoNumberAndLowersThePeak(string arch, int side, bool smallStem)
    {
        Train(arch, side, smallStem, release: false); // first, so that scratch the CPU keeps between runs counts in neither peak
        var (keptLosses, keptParams, keptPeak) = Train(arch, side, smallStem, release: false);
        var (releasedLosses, releasedParams, releasedPeak) = Train(arch, side, smallStem, release: true);
        Assert.Equal(keptLosses, releasedLosses);
        Assert.Equal(keptParams.Count, releasedParams.Count);
        foreach (var (name, values) in keptParams)
            Assert.True(values.SequenceEqual(releasedParams[name]), $"{arch} {name} differs after the steps with gradients released early");
        if (Environment.GetEnvironmentVariable("SHOW_PEAKS") == "1") Assert.Fail($"{arch}: kept {keptPeak:N0}, released {releasedPeak:N0}");
        Assert.True(releasedPeak < keptPeak, $"{arch}: peak {releasedPeak:N0} bytes with gradients released early, {keptPeak:N0} without");
    }

    private static (double[] Losses, Dictionary<string, float[]> Params, long Peak) Train(string arch, int side, bool smallStem, bool release)
    {
        var before = Layer.ReleaseGradientsEarly;
        Layer.ReleaseGradientsEarly = release;
        var baseline = CpuStorage.LiveBytes;
        try
        {
            using var model = Architectures.Create(arch, new ArchitectureOptions { Classes = 10, SmallStem = smallStem, Seed = 7 });
            var net = model.Network;
            net.Training = true;
            var rng = new Rng(8);
            using var x = new Tensor([4, model.InChannels, side, side]);
            x.CopyFrom<float>(Enumerable.Range(0, (int)x.Count).Select(_ => (float)rng.Uniform(-1, 1)).ToArray());
            using var y = Tensor.FromArray(new[] { 1, 3, 5, 7 }, 4);
            using var loss = new SoftmaxCrossEntropyLoss();
            using var sgd = new Sgd(net.Parameters(), 0.01, 0.9, 5e-4);
            var losses = new double[3];
            long peak = 0;
            for (var step = 0; step < losses.Length; step++)
            {
                CpuStorage.ResetPeakLiveBytes();
                sgd.ZeroGrad();
                var value = loss.Forward(net.Forward(x), y);
                value += AuxiliaryLosses.Add(net, y);
                net.Backward(loss.Backward());
                sgd.Step();
                losses[step] = value;
                // Everything held at once, the model's parameters included, from the second step on (the first step
                // allocates every buffer either way).
                if (step > 0) peak = Math.Max(peak, CpuStorage.PeakLiveBytes - baseline);
            }
            var parameters = net.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Value.ToArray<float>());
            if (Environment.GetEnvironmentVariable("SHOW_PEAKS") == "1")
                Console.Error.WriteLine($"{arch} release {release}: peak {peak:N0} bytes, of which weights, gradients and momentum " +
                    $"{3 * net.Parameters().Sum(p => p.Value.Bytes):N0}");
            return (losses, parameters, peak);
        }
        finally
        {
            Layer.ReleaseGradientsEarly = before;
        }
    }
}
