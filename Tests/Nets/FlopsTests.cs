using NativeNets.Diagnostics;
using NativeNets.Nets.Architectures;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Nets;

/// <summary>The FLOP counts behind model FLOP utilisation (bench --json "mfu").</summary>
public class FlopsTests
{
    private static double TrainingFlopsPerImage(string name, int side, int batch)
    {
        using var model = Architectures.Create(name, new ArchitectureOptions { Classes = name == "lenet5" ? 10 : 1000 });
        using var x = new Tensor([batch, model.InChannels, side, side], DType.F32, Device.Cpu);
        x.Backend.Fill(x, 0.5);
        model.Network.Training = false;
        model.Network.Forward(x);
        return Flops.TrainingPerImage(model.Network, batch);
    }

    [Fact]
    public void LeNet5CountsEveryMultiplyAddOfItsConvolutionsAndFullyConnectedLayers()
    {
        // conv1 6@5x5 pad 2 on 28x28: 2*6*28*28*25; conv2 16@5x5 on 6x14x14 -> 10x10: 2*16*100*6*25; 400-120-84-10.
        const long forward = 2L * 6 * 28 * 28 * 25 + 2L * 16 * 10 * 10 * 6 * 25 + 2L * (400 * 120 + 120 * 84 + 84 * 10);
        Assert.Equal(3.0 * forward, TrainingFlopsPerImage("lenet5", 28, 2));
    }

    [Fact]
    public void ResNet50At224IsAbout24Point6GflopPerTrainingImage()
    {
        // torchvision's ResNet-50 is 4.09 G multiply-adds per 224 px image: 8.2 GFLOP forward, 24.5 per training step.
        var gflop = TrainingFlopsPerImage("resnet50", 224, 1) / 1e9;
        Assert.InRange(gflop, 24.3, 24.8);
    }

    [Fact]
    public void PeaksComeFromTheDataSheetAndUnknownGpusHaveNone()
    {
        Assert.Equal(989.4e12, Flops.GpuPeak("NVIDIA H100 80GB HBM3", DType.BF16, tf32: false));
        Assert.Equal(494.7e12, Flops.GpuPeak("NVIDIA H100 80GB HBM3", DType.F32, tf32: true));
        Assert.Equal(756.5e12, Flops.GpuPeak("NVIDIA H100 PCIe", DType.F16, tf32: false));
        Assert.Null(Flops.GpuPeak("NVIDIA GeForce GTX 1080", DType.F16, tf32: false));
    }
}
