using NativeNets.Backends;
using NativeNets.Losses;
using NativeNets.Modules;
using NativeNets.Optim;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Embedding;

/// <summary>
/// No native memory leaks: 1,000 cycles of creating tensors (owned, in a scope, over host memory) and a small network,
/// running a training step and disposing everything leave the native bytes held by CPU tensors where they started,
/// with no growth along the way. The counter is process-wide, so these run alone (not beside other tests).
/// </summary>
[Collection(nameof(NativeMemoryCollection))]
public class NativeMemoryTests
{
    private const int Cycles = 1000;

    /// <summary>One cycle on <paramref name="device"/>: tensors of several kinds, a conv-BN-ReLU-pool-linear net, one SGD step, all disposed.</summary>
    internal static void Cycle(int i, Device device)
    {
        using (var t = new Tensor([64, 33], DType.F32, device)) t.Backend.Fill(t, i);
        using (var scope = TensorScope.Begin())
        {
            // Made inside a scope and never disposed one by one: the scope frees them.
            var a = new Tensor([16, 16], DType.F32, device);
            var b = new Tensor([16, 16], DType.BF16, device);
            a.Backend.Fill(a, 1);
            a.Backend.Cast(a, b);
        }
        var host = new float[100];
        unsafe
        {
            fixed (float* p = host)
                using (Tensor.FromHostMemory((nint)p, [100], DType.F32)) { }
        }
        var rng = new Rng((ulong)i);
        using var net = new Sequential()
            .Add("conv", new Conv2d(3, 8, 3, padding: 1, rng: rng, device: device))
            .Add("bn", new BatchNorm2d(8, device: device))
            .Add("relu", new ReLU())
            .Add("pool", new MaxPool2d(2))
            .Add("flatten", new Flatten())
            .Add("fc", new Linear(8 * 4 * 4, 5, rng: rng, device: device));
        using var x = new Tensor([4, 3, 8, 8], DType.F32, device);
        x.Backend.Fill(x, 0.25);
        using var labels = new Tensor([4], DType.I32, device);
        labels.CopyFrom<int>([0, 1, 2, 3]);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new Sgd(net.Parameters(), 0.1, 0.9);
        loss.Forward(net.Forward(x), labels);
        net.Backward(loss.Backward());
        sgd.Step();
    }

    [Fact]
    public void ThousandCreateDisposeCyclesOfTensorsAndLayersLeaveNoNativeMemoryBehind()
    {
        Cycle(0, Device.Cpu); // first use: anything a backend keeps for good (scratch) is made here
        var before = CpuStorage.LiveBytes;
        var samples = new List<long>();
        for (var i = 1; i <= Cycles; i++)
        {
            Cycle(i, Device.Cpu);
            if (i % 100 == 0) samples.Add(CpuStorage.LiveBytes - before);
        }
        Assert.All(samples, d => Assert.Equal(0, d)); // no growth at any point
        Assert.Equal(before, CpuStorage.LiveBytes);
    }

    [Fact]
    public void TheCounterSeesATensorThatIsNotDisposed()
    {
        var before = CpuStorage.LiveBytes;
        var t = new Tensor([1000], DType.F32, Device.Cpu);
        Assert.True(CpuStorage.LiveBytes - before >= 4000, "a 4,000-byte tensor is not counted");
        t.Dispose();
        Assert.Equal(before, CpuStorage.LiveBytes);
    }
}

/// <summary>Tests that read process-wide memory counters run alone.</summary>
[CollectionDefinition(nameof(NativeMemoryCollection), DisableParallelization = true)]
public sealed class NativeMemoryCollection;
