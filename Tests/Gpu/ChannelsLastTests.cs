using NativeNets.Backends;
using NativeNets.Losses;
using NativeNets.Modules;
using NativeNets.Nets.Architectures;
using NativeNets.Optim;
using NativeNets.Tensors;
using Xunit;
using static NativeNets.Tests.Gpu.GpuSupport;

namespace NativeNets.Tests.Gpu;

/// <summary>
/// The CUDA backend on channels-last (NHWC) tensors against the CPU backend on NCHW ones: the GPU's inputs are the CPU's
/// values reordered (ConvertLayout), and its results are reordered back before they are compared.
/// </summary>
[Collection(nameof(GpuCollection))]
public class ChannelsLastTests
{
    private static readonly Backend Cpu = CpuBackend.Instance;

    /// <summary>The CPU tensor's values on the GPU in NHWC memory.</summary>
    private static Tensor OnGpuNhwc(CudaBackend gpu, Tensor cpu)
    {
        using var nchw = new Tensor(cpu.Shape, cpu.DType, GpuDevice);
        CopyAcross(cpu, nchw);
        var nhwc = new Tensor(cpu.Shape, cpu.DType, GpuDevice, Layout.NHWC);
        gpu.ConvertLayout(nchw, nhwc);
        return nhwc;
    }

    /// <summary>Compares an NHWC GPU result with the NCHW CPU one, through an NCHW copy of it.</summary>
    private static void AssertCloseNhwc(CudaBackend gpu, string what, Tensor cpu, Tensor gpuNhwc, double tolerance)
    {
        using var back = new Tensor(gpuNhwc.Shape, gpuNhwc.DType, GpuDevice);
        gpu.ConvertLayout(gpuNhwc, back);
        AssertClose(what, cpu, back, tolerance);
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F64)]
    [InlineData(DType.BF16)]
    [InlineData(DType.F16)]
    public void ConvertLayoutMatchesTheCpuBothWays(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(31);
        using var source = Twin.Random(rng, DType.F32, -3, 3, 3, 37, 5, 7); // 37 channels, 35 positions: partial tiles
        using var typed = new Tensor(source.Cpu.Shape, dtype);
        Cpu.Cast(source.Cpu, typed);
        using var cpuNhwc = new Tensor(typed.Shape, dtype, layout: Layout.NHWC);
        Cpu.ConvertLayout(typed, cpuNhwc);
        using var gpuNchw = new Tensor(typed.Shape, dtype, GpuDevice);
        CopyAcross(typed, gpuNchw);
        using var gpuNhwc = new Tensor(typed.Shape, dtype, GpuDevice, Layout.NHWC);
        gpu.ConvertLayout(gpuNchw, gpuNhwc);
        AssertClose("NCHW to NHWC", cpuNhwc, gpuNhwc, 0); // both in NHWC memory: compared as they lie
        using var back = new Tensor(typed.Shape, dtype, GpuDevice);
        gpu.ConvertLayout(gpuNhwc, back);
        AssertClose("NHWC to NCHW", typed, back, 0);
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.BF16)]
    public void NormalizeImagesIntoChannelsLastMatchesTheCpu(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(12);
        using var images = new Tensor([3, 3, 9, 7], DType.U8, layout: Layout.NHWC);
        images.CopyFrom<byte>(Enumerable.Range(0, (int)images.Count).Select(_ => (byte)rng.Uniform(0, 256)).ToArray());
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        using var cpu = new Tensor(images.Shape, dtype, layout: Layout.NHWC);
        Cpu.NormalizeImages(images, cpu, mean, std);
        using var onGpu = new Tensor(images.Shape, DType.U8, GpuDevice, Layout.NHWC);
        CopyAcross(images, onGpu);
        using var gpuOut = new Tensor(images.Shape, dtype, GpuDevice, Layout.NHWC);
        gpu.NormalizeImages(onGpu, gpuOut, mean, std);
        AssertClose($"NHWC NormalizeImages {dtype}", cpu, gpuOut, 0); // both NHWC: compared as they lie
    }

    [Theory]
    [InlineData(3, 8, 3, 1, 1, true)]
    [InlineData(16, 32, 1, 2, 0, false)]
    [InlineData(8, 16, 7, 2, 3, false)]
    public void ConvolutionMatchesTheCpu(int cin, int cout, int k, int stride, int pad, bool bias)
    {
        var gpu = Require();
        var rng = new Rng((ulong)(cin * 13 + cout + k));
        var g = new Conv2dGeometry(stride, stride, pad, pad, 1, 1, 1);
        int n = 3, h = 17, w = 15;
        var (oh, ow) = g.OutputSize(h, w, k, k);
        using var x = Twin.Random(rng, DType.F32, -1, 1, n, cin, h, w);
        using var wt = Twin.Random(rng, DType.F32, -1, 1, cout, cin, k, k);
        using var b = Twin.Random(rng, DType.F32, -1, 1, cout);
        using var dy = Twin.Random(rng, DType.F32, -1, 1, n, cout, oh, ow);
        using var dw = Twin.Random(rng, DType.F32, -1, 1, cout, cin, k, k);
        using var xl = OnGpuNhwc(gpu, x.Cpu);
        using var dyl = OnGpuNhwc(gpu, dy.Cpu);
        using var y = new Tensor([n, cout, oh, ow]);
        using var yl = new Tensor([n, cout, oh, ow], DType.F32, GpuDevice, Layout.NHWC);
        Cpu.ConvForward(x.Cpu, wt.Cpu, bias ? b.Cpu : null, y, g);
        gpu.ConvForward(xl, wt.Gpu, bias ? b.Gpu : null, yl, g);
        AssertCloseNhwc(gpu, "NHWC conv forward", y, yl, 1e-4);
        using var dx = new Tensor([n, cin, h, w]);
        using var dxl = new Tensor([n, cin, h, w], DType.F32, GpuDevice, Layout.NHWC);
        Cpu.ConvBackwardData(dy.Cpu, wt.Cpu, dx, g);
        gpu.ConvBackwardData(dyl, wt.Gpu, dxl, g);
        AssertCloseNhwc(gpu, "NHWC conv backward data", dx, dxl, 1e-4);
        Cpu.ConvBackwardFilter(x.Cpu, dy.Cpu, dw.Cpu, g, 1);
        gpu.ConvBackwardFilter(xl, dyl, dw.Gpu, g, 1);
        dw.AssertSame("NHWC conv backward filter (accumulated into KCRS)", 1e-4);
        Cpu.ConvBackwardBias(dy.Cpu, b.Cpu, 0.5);
        gpu.ConvBackwardBias(dyl, b.Gpu, 0.5);
        b.AssertSame("NHWC conv backward bias", 1e-4);
    }

    [Fact]
    public void BatchNormalisationMatchesTheCpu()
    {
        var gpu = Require();
        var rng = new Rng(41);
        int n = 4, c = 6, h = 5, w = 7;
        using var x = Twin.Random(rng, DType.F32, -2, 3, n, c, h, w);
        using var gamma = Twin.Random(rng, DType.F32, 0.5, 1.5, c);
        using var beta = Twin.Random(rng, DType.F32, -1, 1, c);
        using var rm = Twin.Random(rng, DType.F32, -1, 1, c);
        using var rv = Twin.Random(rng, DType.F32, 0.5, 2, c);
        using var sm = Twin.Zeros(DType.F32, c);
        using var si = Twin.Zeros(DType.F32, c);
        using var xl = OnGpuNhwc(gpu, x.Cpu);
        using var y = new Tensor([n, c, h, w]);
        using var yl = new Tensor([n, c, h, w], DType.F32, GpuDevice, Layout.NHWC);
        Cpu.BatchNormForwardTraining(x.Cpu, y, gamma.Cpu, beta.Cpu, rm.Cpu, rv.Cpu, 0.1, 1e-5, sm.Cpu, si.Cpu);
        gpu.BatchNormForwardTraining(xl, yl, gamma.Gpu, beta.Gpu, rm.Gpu, rv.Gpu, 0.1, 1e-5, sm.Gpu, si.Gpu);
        AssertCloseNhwc(gpu, "NHWC BN y", y, yl, 1e-5);
        rm.AssertSame("NHWC BN running mean", 1e-5);
        rv.AssertSame("NHWC BN running var", 1e-5);
        using var dy = Twin.Random(rng, DType.F32, -1, 1, n, c, h, w);
        using var dyl = OnGpuNhwc(gpu, dy.Cpu);
        using var dx = new Tensor([n, c, h, w]);
        using var dxl = new Tensor([n, c, h, w], DType.F32, GpuDevice, Layout.NHWC);
        using var dg = Twin.Zeros(DType.F32, c);
        using var db = Twin.Zeros(DType.F32, c);
        Cpu.BatchNormBackwardTraining(x.Cpu, dy.Cpu, dx, gamma.Cpu, dg.Cpu, db.Cpu, sm.Cpu, si.Cpu);
        gpu.BatchNormBackwardTraining(xl, dyl, dxl, gamma.Gpu, dg.Gpu, db.Gpu, sm.Gpu, si.Gpu);
        AssertCloseNhwc(gpu, "NHWC BN backward dx", dx, dxl, 1e-4);
        dg.AssertSame("NHWC BN dgamma", 1e-4);
        db.AssertSame("NHWC BN dbeta", 1e-4);
    }

    [Theory]
    [InlineData(3, 2, 1)]
    [InlineData(2, 2, 0)]
    public void PoolingMatchesTheCpuExactly(int k, int stride, int pad)
    {
        var gpu = Require();
        var rng = new Rng((ulong)(k * 7 + pad));
        var g = Pool2dGeometry.Square(k, stride, pad);
        var (oh, ow) = g.OutputSize(13, 10);
        // Coarse values make ties: the first maximum must win on both.
        using var ints = Twin.Random(rng, DType.I32, 0, 4, 2, 5, 13, 10);
        using var x = new Tensor([2, 5, 13, 10]);
        Cpu.Cast(ints.Cpu, x);
        using var xl = OnGpuNhwc(gpu, x);
        using var y = new Tensor([2, 5, oh, ow]);
        using var yl = new Tensor([2, 5, oh, ow], DType.F32, GpuDevice, Layout.NHWC);
        Cpu.MaxPoolForward(x, y, g);
        gpu.MaxPoolForward(xl, yl, g);
        AssertCloseNhwc(gpu, "NHWC max-pool", y, yl, 0);
        using var dy = Twin.Random(rng, DType.F32, -1, 1, 2, 5, oh, ow);
        using var dyl = OnGpuNhwc(gpu, dy.Cpu);
        using var dx = new Tensor([2, 5, 13, 10]);
        using var dxl = new Tensor([2, 5, 13, 10], DType.F32, GpuDevice, Layout.NHWC);
        Cpu.MaxPoolBackward(x, dy.Cpu, dx, g);
        gpu.MaxPoolBackward(xl, dyl, dxl, g);
        AssertCloseNhwc(gpu, "NHWC max-pool backward", dx, dxl, 0);
        // Adaptive average pooling to 3 x 2 and to 1 x 1 (a network's last pool, whose output is the same in both layouts).
        foreach (var (ah, aw) in new[] { (3, 2), (1, 1) })
        {
            using var a = new Tensor([2, 5, ah, aw]);
            using var al = new Tensor([2, 5, ah, aw], DType.F32, GpuDevice, Layout.NHWC);
            Cpu.AdaptiveAvgPoolForward(x, a);
            gpu.AdaptiveAvgPoolForward(xl, al);
            AssertCloseNhwc(gpu, $"NHWC adaptive pool to {ah}x{aw}", a, al, 0);
            using var da = Twin.Random(rng, DType.F32, -1, 1, 2, 5, ah, aw);
            using var dal = OnGpuNhwc(gpu, da.Cpu);
            Cpu.AdaptiveAvgPoolBackward(da.Cpu, dx);
            gpu.AdaptiveAvgPoolBackward(dal, dxl);
            AssertCloseNhwc(gpu, $"NHWC adaptive pool to {ah}x{aw} backward", dx, dxl, 0);
        }
    }

    /// <summary>`train --channels-last`: the classifier reorders each batch; it learns as the NCHW run does.</summary>
    [Fact]
    public void AClassifierTrainsChannelsLast()
    {
        Require();
        using var train = Support.Synthetic.Blobs(400, 10, 28, 1, noise: 90);
        using var test = Support.Synthetic.Blobs(100, 10, 28, 2, noise: 90);
        double Accuracy(bool channelsLast)
        {
            var options = new NativeNets.Nets.Classifiers.TrainOptions { Epochs = 2, BatchSize = 50, LearningRate = 0.05, Seed = 4, ChannelsLast = channelsLast };
            using var net = NativeNets.Nets.Classifiers.Zoo.Create("resnet18", options, GpuDevice, smallStem: true);
            net.Train(train.Images, train.Labels);
            return NativeNets.Nets.Classifiers.ClassifierExtensions.Accuracy(net, test);
        }
        var nchw = Accuracy(false);
        var nhwc = Accuracy(true);
        Assert.InRange(nhwc, Math.Max(0.2, nchw - 0.1), 1.0); // chance is 0.1
    }

    /// <summary>
    /// Architectures trained three steps on the GPU in NHWC and on the CPU in NCHW, as CudaNetworkTests does in NCHW:
    /// residual blocks, Inception's channel concatenation and auxiliary heads, biased convolutions, and Flatten over
    /// planes larger than 1 x 1 (AlexNet's 6 x 6, the auxiliary heads' 4 x 4).
    /// </summary>
    [Theory]
    [InlineData("resnet18", 32, true)]
    [InlineData("resnet50", 64, false)]
    [InlineData("googlenet-aux", 64, false)]
    [InlineData("alexnet", 64, false)]
    [InlineData("vgg11-bn", 32, false)]
    public void TrainingStepsMatchTheCpu(string arch, int side, bool smallStem)
    {
        var gpu = Require();
        var options = new ArchitectureOptions { Classes = 10, SmallStem = smallStem, Seed = 3 };
        using var cpuModel = Architectures.Create(arch, options);
        using var gpuModel = Architectures.Create(arch, options with { Device = GpuDevice });
        var rng = new Rng(21);
        using var x = Twin.Random(rng, DType.F32, -1, 1, 8, cpuModel.InChannels, side, side);
        using var xl = OnGpuNhwc(gpu, x.Cpu);
        using var y = Twin.Random(rng, DType.I32, 0, 9, 8);
        AssertTrainingStepsMatch($"channels-last {arch}", cpuModel, gpuModel, x.Cpu, xl, y, 2e-3);
    }
}
