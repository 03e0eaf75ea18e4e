using NativeNets.Backends;
using NativeNets.Modules;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Backends;

/// <summary>Memory layouts on the CPU: ConvertLayout (the reference the GPU's is tested against), Flatten of channels-last input, refusals.</summary>
public class LayoutTests
{
    private static readonly Backend Cpu = CpuBackend.Instance;

    [Fact]
    public void ConvertLayoutReordersEachImageAndBack()
    {
        // [N=2, C=3, H=1, W=2], NCHW values n*100 + c*10 + p.
        var values = new float[12];
        for (var n = 0; n < 2; n++)
            for (var c = 0; c < 3; c++)
                for (var p = 0; p < 2; p++)
                    values[(n * 3 + c) * 2 + p] = n * 100 + c * 10 + p;
        using var nchw = Tensor.FromArray(values, 2, 3, 1, 2);
        using var nhwc = new Tensor([2, 3, 1, 2], DType.F32, layout: Layout.NHWC);
        Cpu.ConvertLayout(nchw, nhwc);
        Assert.Equal(new float[] { 0, 10, 20, 1, 11, 21, 100, 110, 120, 101, 111, 121 }, nhwc.ToArray<float>());
        using var back = new Tensor([2, 3, 1, 2]);
        Cpu.ConvertLayout(nhwc, back);
        Assert.Equal(values, back.ToArray<float>());
        using var same = new Tensor([2, 3, 1, 2]);
        Cpu.ConvertLayout(nchw, same); // same layouts: a copy
        Assert.Equal(values, same.ToArray<float>());
        Assert.Throws<ArgumentException>(() => Cpu.ConvertLayout(nchw, new Tensor([2, 3, 2, 1], DType.F32, layout: Layout.NHWC)));
    }

    [Fact]
    public void FlattenReadsChannelsLastInputInNchwOrderAndGivesTheGradientBackInItsLayout()
    {
        var rng = new Rng(3);
        using var nchw = new Tensor([2, 3, 2, 2]);
        nchw.CopyFrom<float>(Enumerable.Range(0, 24).Select(_ => (float)rng.Uniform(-1, 1)).ToArray());
        using var nhwc = new Tensor([2, 3, 2, 2], DType.F32, layout: Layout.NHWC);
        Cpu.ConvertLayout(nchw, nhwc);
        using var plain = new Flatten();
        using var channelsLast = new Flatten();
        Assert.Equal(plain.Forward(nchw).ToArray<float>(), channelsLast.Forward(nhwc).ToArray<float>());
        using var dy = new Tensor([2, 12]);
        dy.CopyFrom<float>(Enumerable.Range(0, 24).Select(i => (float)i).ToArray());
        var dx = channelsLast.Backward(dy)!;
        Assert.Equal(Layout.NHWC, dx.Layout);
        using var dxNchw = new Tensor([2, 3, 2, 2]);
        Cpu.ConvertLayout(dx, dxNchw);
        Assert.Equal(plain.Backward(dy)!.ToArray<float>(), dxNchw.ToArray<float>());
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.BF16)]
    public void NormalizeImagesWritesChannelsLastAsTheNchwResultReordered(DType dtype)
    {
        var rng = new Rng(9);
        using var images = new Tensor([2, 3, 4, 5], DType.U8, layout: Layout.NHWC);
        images.CopyFrom<byte>(Enumerable.Range(0, 120).Select(_ => (byte)rng.Uniform(0, 256)).ToArray());
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        using var nchw = new Tensor([2, 3, 4, 5], dtype);
        using var nhwc = new Tensor([2, 3, 4, 5], dtype, layout: Layout.NHWC);
        Cpu.NormalizeImages(images, nchw, mean, std);
        Cpu.NormalizeImages(images, nhwc, mean, std);
        using var reordered = new Tensor([2, 3, 4, 5], dtype, layout: Layout.NHWC);
        Cpu.ConvertLayout(nchw, reordered);
        Assert.Equal(Gpu.GpuSupport.Values(reordered), Gpu.GpuSupport.Values(nhwc)); // in memory order, F16 / BF16 widened exactly
    }

    [Fact]
    public void ChannelCopiesWorkInEitherLayout()
    {
        var rng = new Rng(10);
        using var part = new Tensor([2, 3, 2, 2]);
        part.CopyFrom<float>(Enumerable.Range(0, 24).Select(_ => (float)rng.Uniform(-1, 1)).ToArray());
        using var whole = new Tensor([2, 5, 2, 2]);
        Cpu.CopyIntoChannels(part, whole, 1);
        using var partLast = new Tensor([2, 3, 2, 2], DType.F32, layout: Layout.NHWC);
        using var wholeLast = new Tensor([2, 5, 2, 2], DType.F32, layout: Layout.NHWC);
        Cpu.ConvertLayout(part, partLast);
        Cpu.CopyIntoChannels(partLast, wholeLast, 1);
        using var back = new Tensor([2, 5, 2, 2]);
        Cpu.ConvertLayout(wholeLast, back);
        Assert.Equal(whole.ToArray<float>(), back.ToArray<float>());
        using var again = new Tensor([2, 3, 2, 2], DType.F32, layout: Layout.NHWC);
        Cpu.CopyFromChannels(wholeLast, 1, again);
        Assert.Equal(partLast.ToArray<float>(), again.ToArray<float>());
        Assert.Throws<ArgumentException>(() => Cpu.CopyIntoChannels(partLast, whole, 1)); // mixed layouts
    }

    [Fact]
    public void TheCpuRefusesChannelsLastWhereItReadsNchwMemory()
    {
        using var x = new Tensor([1, 2, 4, 4], DType.F32, layout: Layout.NHWC);
        using var w = new Tensor([3, 2, 3, 3]);
        using var y = new Tensor([1, 3, 2, 2], DType.F32, layout: Layout.NHWC);
        var e = Assert.Throws<NotSupportedException>(() => Cpu.ConvForward(x, w, null, y, Conv2dGeometry.Square(1, 0)));
        Assert.Contains("ConvForward", e.Message);
        Assert.Contains("NHWC", e.Message);
        using var pooled = new Tensor([1, 2, 2, 2], DType.F32, layout: Layout.NHWC);
        Assert.Throws<NotSupportedException>(() => Cpu.MaxPoolForward(x, pooled, Pool2dGeometry.Square(2, 2)));
        // A 1 x 1 plane is the same memory in both layouts: allowed.
        using var one = new Tensor([1, 2, 1, 1], DType.F32, layout: Layout.NHWC);
        using var oneOut = new Tensor([1, 2, 1, 1]);
        Cpu.AdaptiveAvgPoolForward(one, oneOut);
    }
}
