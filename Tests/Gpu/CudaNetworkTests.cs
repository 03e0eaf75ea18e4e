using NativeNets.Losses;
using NativeNets.Modules;
using NativeNets.Nets.Architectures;
using NativeNets.Optim;
using NativeNets.Tensors;
using NativeNets.Tests.Parity;
using NativeNets.Tests.Support;
using Xunit;
using static NativeNets.Tests.Gpu.GpuSupport;

namespace NativeNets.Tests.Gpu;

/// <summary>Whole networks on the GPU: PyTorch's fixtures in float64, and full F32 training steps against the CPU backend.</summary>
[Collection(nameof(GpuCollection))]
public class CudaNetworkTests
{
    [Theory]
    [InlineData("lenet5", "train")]
    [InlineData("alexnet-2012", "train")]
    [InlineData("zfnet", "eval")]
    [InlineData("googlenet-aux", "train")]
    [InlineData("googlenet", "eval")]
    [InlineData("resnet18", "train")]
    [InlineData("resnet50", "eval")]
    [InlineData("resnet20", "train")]
    [InlineData("vgg11-bn", "train")]
    public void ArchitecturesMatchPyTorchInFloat64OnTheGpu(string arch, string mode)
    {
        Require();
        using var file = Fixtures.Open(arch);
        ArchitectureParityTests.Run(file, arch, mode, DType.F64, _ => 1e-6, GpuDevice);
    }

    [Theory]
    [InlineData("lenet5", 28, false)]
    [InlineData("resnet18", 32, true)]
    public void TrainingStepsMatchTheCpu(string arch, int side, bool smallStem)
    {
        Require();
        var options = new ArchitectureOptions { Classes = 10, SmallStem = smallStem, Seed = 3 };
        using var cpuModel = Architectures.Create(arch, options);
        using var gpuModel = Architectures.Create(arch, options with { Device = GpuDevice });
        CopyState(cpuModel.Network, gpuModel.Network);
        var rng = new Rng(21);
        using var x = Twin.Random(rng, DType.F32, -1, 1, 8, cpuModel.InChannels, side, side);
        using var y = Twin.Random(rng, DType.I32, 0, 9, 8);
        using var cpuLoss = new SoftmaxCrossEntropyLoss();
        using var gpuLoss = new SoftmaxCrossEntropyLoss();
        using var cpuSgd = new Sgd(cpuModel.Network.Parameters(), 0.01, 0.9, 5e-4);
        using var gpuSgd = new Sgd(gpuModel.Network.Parameters(), 0.01, 0.9, 5e-4);
        cpuModel.Network.Training = gpuModel.Network.Training = true;
        for (var step = 0; step < 3; step++)
        {
            double Step(Model m, Loss loss, Sgd sgd, Tensor input, Tensor labels)
            {
                sgd.ZeroGrad();
                var value = loss.Forward(m.Network.Forward(input), labels);
                m.Network.Backward(loss.Backward());
                sgd.Step();
                return value;
            }
            var lc = Step(cpuModel, cpuLoss, cpuSgd, x.Cpu, y.Cpu);
            var lg = Step(gpuModel, gpuLoss, gpuSgd, x.Gpu, y.Gpu);
            Assert.True(Math.Abs(lc - lg) <= 1e-4 * Math.Max(1, Math.Abs(lc)), $"{arch} step {step}: loss {lg} on the GPU, {lc} on the CPU");
        }
        var gpuParams = gpuModel.Network.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Value);
        foreach (var (name, p) in cpuModel.Network.NamedParameters().Take(3).Concat(cpuModel.Network.NamedParameters().TakeLast(2)))
            AssertClose($"{arch} {name} after 3 steps", p.Value, gpuParams[name], 1e-4);
    }
}

/// <summary>The leak check of Tests/Embedding/NativeMemoryTests on the GPU: the stream-ordered pool's bytes in use.</summary>
[Collection(nameof(Embedding.NativeMemoryCollection))]
public class CudaNativeMemoryTests
{
    [Fact]
    public void ThousandCreateDisposeCyclesLeaveNoDeviceMemoryBehind()
    {
        var cuda = Require();
        Embedding.NativeMemoryTests.Cycle(0, GpuDevice);
        var before = cuda.MemoryInUseBytes();
        for (var i = 1; i <= 1000; i++)
        {
            Embedding.NativeMemoryTests.Cycle(i, GpuDevice);
            if (i % 100 == 0) Assert.Equal(before, cuda.MemoryInUseBytes());
        }
        Assert.Equal(before, cuda.MemoryInUseBytes());
    }
}
