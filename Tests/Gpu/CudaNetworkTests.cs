using NativeNets.Losses;
using NativeNets.Modules;
using NativeNets.Nets.Architectures;
using NativeNets.Nets.Classifiers;
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

    // F64: both backends run exact algorithms, so three steps agree to rounding. F32: cuDNN picks the fastest algorithm per
    // shape (FFT and Winograd among them) and the CPU runs Winograd F(4x4, 3x3) for ResNet-18's 3x3 layers; each carries
    // about 1e-5 relative error per convolution, and through ResNet-18's 20 batch norms at batch 8 and two momentum updates
    // the losses move apart by a few 1e-4 (seen on an H200: 3.7e-4 at step 1). A wrong gradient moves them by 1e-2 or more.
    [Theory]
    [InlineData("lenet5", 28, false, DType.F32, 1e-4)]
    [InlineData("resnet18", 32, true, DType.F32, 2e-3)]
    [InlineData("lenet5", 28, false, DType.F64, 1e-10)]
    [InlineData("resnet18", 32, true, DType.F64, 1e-10)]
    public void TrainingStepsMatchTheCpu(string arch, int side, bool smallStem, DType dtype, double tolerance)
    {
        Require();
        var options = new ArchitectureOptions { Classes = 10, SmallStem = smallStem, Seed = 3, DType = dtype };
        using var cpuModel = Architectures.Create(arch, options);
        using var gpuModel = Architectures.Create(arch, options with { Device = GpuDevice });
        var rng = new Rng(21);
        using var x = Twin.Random(rng, dtype, -1, 1, 8, cpuModel.InChannels, side, side);
        using var y = Twin.Random(rng, DType.I32, 0, 9, 8);
        AssertTrainingStepsMatch($"{arch} {dtype}", cpuModel, gpuModel, x.Cpu, x.Gpu, y, tolerance);
    }

    /// <summary>The classifiers take their images on the CPU, as the loaders give them, and move them to the GPU themselves.</summary>
    [Fact]
    public void ClassifiersOnTheGpuTakeImagesFromTheCpu()
    {
        Require();
        using var train = Synthetic.Blobs(400, 10, 28, 1, noise: 90);
        using var test = Synthetic.Blobs(100, 10, 28, 2, noise: 90);
        using var cpuKnn = new NearestNeighbor(1, Distance.L1);
        using var gpuKnn = new NearestNeighbor(1, Distance.L1, GpuDevice);
        cpuKnn.Train(train.Images, train.Labels);
        gpuKnn.Train(train.Images, train.Labels);
        Assert.Equal(cpuKnn.Predict(test.Images), gpuKnn.Predict(test.Images));

        var options = new TrainOptions { Epochs = 2, BatchSize = 50, LearningRate = 0.05, Seed = 4 };
        using var cnn = Zoo.Create("lenet5", options, GpuDevice);
        cnn.Train(train.Images, train.Labels);
        Assert.InRange(cnn.Accuracy(test), 0.6, 1.0); // chance is 0.1; the same run on the CPU reaches 0.85
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
