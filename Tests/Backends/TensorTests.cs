using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Backends;

public class TensorTests
{
    [Fact]
    public void ReshapeSharesStorageAndInfersOneDim()
    {
        using var t = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var v = t.Reshape(3, -1);
        Assert.Equal(new[] { 3, 2 }, v.Shape);
        v.Span<float>()[0] = 42;
        Assert.Equal(42, t.ToArray<float>()[0]);
        v.Dispose(); // a view frees nothing
        Assert.Equal(42, t.ToArray<float>()[0]);
    }

    [Fact]
    public void CopyToGivesAnOwnedCopyWithTheSameDimsDTypeAndLayout()
    {
        using var t = new Tensor([2, 3, 1, 2], DType.U8, layout: Layout.NHWC);
        t.CopyFrom<byte>(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 });
        using var copy = t.CopyTo(Device.Cpu);
        Assert.Equal(t.Shape, copy.Shape);
        Assert.Equal(DType.U8, copy.DType);
        Assert.Equal(Layout.NHWC, copy.Layout);
        Assert.NotEqual(t.Pointer, copy.Pointer);
        t.Span<byte>()[0] = 99; // the copy does not share the storage
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, copy.ToArray<byte>());
    }

    [Fact]
    public void WrongSizesAreRefusedWithTheShape()
    {
        using var t = Tensor.Zeros(2, 3);
        Assert.Contains("[2, 3]", Assert.Throws<ArgumentException>(() => t.Reshape(4, 2)).Message);
        Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => t.CopyFrom<float>(new float[7]));
        Assert.Throws<InvalidOperationException>(() => t.Span<double>());
        Assert.Throws<ArgumentException>(() => new Tensor([2, -1]));
    }

    [Fact]
    public void EveryDTypeHasItsSizeAndACudaTensorNeedsAGpu()
    {
        Assert.Equal(new[] { 4, 2, 2, 4, 1, 8 }, new[] { DType.F32, DType.F16, DType.BF16, DType.I32, DType.U8, DType.F64 }.Select(d => d.SizeOf()));
        using var nhwc = new Tensor([1, 3, 4, 4], DType.BF16, Device.Cpu, Layout.NHWC);
        Assert.Equal(Layout.NHWC, nhwc.Layout);
        Assert.Equal(96, nhwc.Bytes);
        Assert.Equal(Device.Cuda(1), Device.Parse("cuda:1"));
        Assert.Throws<ArgumentException>(() => Device.Parse("tpu"));
        var gpus = NativeNets.Backends.CudaDevices.TryCount(out _);
        // A device that does not exist is a clear error: cuda:N past the GPUs found, or any cuda:N without a driver.
        var e = Assert.Throws<NativeNets.Backends.CudaUnavailableException>(() => new Tensor([2], DType.F32, Device.Cuda(gpus + 3)));
        Assert.Contains(gpus == 0 ? "no CUDA driver" : $"cuda:{gpus + 3} does not exist", e.Message);
    }

    [Fact]
    public void RngIsSplitMix64SeededXoshiro()
    {
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, Rng.SplitMix64(ref state)); // the published first output for seed 0
        var a = new Rng(42);
        var b = new Rng(42);
        for (var i = 0; i < 100; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());
        var perm = Enumerable.Range(0, 50).ToArray();
        new Rng(1).Shuffle(perm.AsSpan());
        Assert.Equal(Enumerable.Range(0, 50), perm.OrderBy(x => x));
        Assert.NotEqual(Enumerable.Range(0, 50), perm);
    }
}
