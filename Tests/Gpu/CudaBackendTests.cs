using NativeNets.Backends;
using NativeNets.Native;
using NativeNets.Tensors;
using Xunit;
using static NativeNets.Tests.Gpu.GpuSupport;

namespace NativeNets.Tests.Gpu;

/// <summary>
/// Every op of the CUDA backend against the CPU backend, on the same inputs, with TF32 off. Tolerances are relative to
/// the largest value: exact for integer results, masks and copies; 1e-5 for F32 arithmetic whose sums the two backends
/// order differently; 1e-12 for F64. Without a GPU every test here reports itself skipped, with the reason.
/// </summary>
[Collection(nameof(GpuCollection))]
public class CudaBackendTests
{
    private const double F32 = 1e-5;
    private const double F64 = 1e-12;
    private static double Tol(DType d) => d == DType.F64 ? F64 : F32;
    private static readonly Backend Cpu = CpuBackend.Instance;

    public static TheoryData<DType> FloatTypes() => new() { DType.F32, DType.F64 };

    [Fact]
    public void HostCopiesRoundTripAndDeviceCopiesMatch()
    {
        var gpu = Require();
        var data = Enumerable.Range(0, 1000).Select(i => (float)Math.Sin(i)).ToArray();
        using var t = new Tensor([10, 100], DType.F32, GpuDevice);
        t.CopyFrom<float>(data);
        Assert.Equal(data, t.ToArray<float>());
        using var u = new Tensor([10, 100], DType.F32, GpuDevice);
        gpu.Copy(t, u);
        Assert.Equal(data, u.ToArray<float>());
        using var fresh = new Tensor([3, 7], DType.F64, GpuDevice);
        Assert.All(fresh.ToArray<double>(), v => Assert.Equal(0.0, v)); // zero-filled, as CPU storage is
    }

    [Fact]
    public void PinnedHostTensorsAreCpuTensorsThatUploadAndFeedTheImageLoader()
    {
        var gpu = Require();
        using var pinned = gpu.NewPinnedHostTensor([2, 5, 5, 3], DType.U8, Layout.NHWC);
        Assert.Equal(Device.Cpu, pinned.Device);
        Assert.IsType<PinnedHostStorage>(pinned.Storage);
        var bytes = Enumerable.Range(0, (int)pinned.Count).Select(i => (byte)(i * 7)).ToArray();
        pinned.CopyFrom<byte>(bytes); // the CPU backend writes it like any host tensor
        using var onDevice = new Tensor([2, 5, 5, 3], DType.U8, GpuDevice, Layout.NHWC);
        unsafe { gpu.CopyFromHost(pinned.Pointer, onDevice); }
        Assert.Equal(bytes, onDevice.ToArray<byte>());
        Assert.Throws<ArgumentException>(() => gpu.NewPinnedHostTensor([2, -1], DType.F32));

        // The recipes' and eval's loader buffers on a GPU run: pinned, reused, freed with the loader.
        var allocate = NativeNets.Nets.Experiments.ImageRun.BatchAllocatorFor(GpuDevice)!;
        using var batch = allocate([4, 3, 8, 8]);
        Assert.Equal((DType.U8, Layout.NHWC), (batch.DType, batch.Layout));
        Assert.IsType<PinnedHostStorage>(batch.Storage);
        Assert.Null(NativeNets.Nets.Experiments.ImageRun.BatchAllocatorFor(Device.Cpu));
    }

    [Fact]
    public void GatherRowsPicksRowsInOrder()
    {
        var gpu = Require();
        using var src = Twin.Random(new Rng(1), DType.U8, 0, 255, 20, 33);
        using var dst = Twin.Zeros(DType.U8, 5, 33);
        int[] rows = [19, 0, 7, 7, 3];
        Cpu.GatherRows(src.Cpu, rows, dst.Cpu);
        gpu.GatherRows(src.Gpu, rows, dst.Gpu);
        dst.AssertSame("gather rows", 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.GatherRows(src.Gpu, [20], new Tensor([1, 33], DType.U8, GpuDevice)));
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F64)]
    [InlineData(DType.I32)]
    [InlineData(DType.U8)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void Fill(DType dtype)
    {
        var gpu = Require();
        using var t = Twin.Zeros(dtype, 3, 1001);
        Cpu.Fill(t.Cpu, 7);
        gpu.Fill(t.Gpu, 7);
        t.AssertSame($"fill {dtype}", 0);
    }

    /// <summary>Add and ReLU move 16-byte vectors where every pointer is aligned; a view 4 bytes off takes the scalar loop, with the same results.</summary>
    [Fact]
    public void ElementwiseOpsIntoAMisalignedViewMatchTheCpu()
    {
        var gpu = Require();
        var rng = new Rng(5);
        using var x = Twin.Random(rng, DType.F32, -2, 2, 1001);
        using var y = Twin.Random(rng, DType.F32, -2, 2, 1001);
        using var backing = new Tensor([1002], DType.F32, GpuDevice);
        using var shifted = Tensor.FromDevicePointer(backing.Pointer + sizeof(float), [1001], DType.F32, GpuDevice);
        using var expected = new Tensor([1001], DType.F32);
        var ops = new (string Name, Action<Backend, Tensor, Tensor, Tensor> Op)[]
        {
            ("add", (b, p, q, o) => b.Add(p, q, o)),
            ("relu", (b, p, _, o) => b.Relu(p, o)),
            ("relu backward", (b, p, q, o) => b.ReluBackward(p, q, o)),
        };
        foreach (var (name, op) in ops)
        {
            op(Cpu, x.Cpu, y.Cpu, expected);
            op(gpu, x.Gpu, y.Gpu, shifted);
            AssertClose($"{name} into a misaligned view", expected, shifted, 0);
        }
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void ElementwiseOps(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(2);
        using var x = Twin.Random(rng, dtype, -2, 2, 7, 333);
        using var y = Twin.Random(rng, dtype, -2, 2, 7, 333);
        using var outT = Twin.Zeros(dtype, 7, 333);
        void Both(Action<Backend, Tensor, Tensor, Tensor> op, string what, double tol)
        {
            op(Cpu, x.Cpu, y.Cpu, outT.Cpu);
            op(gpu, x.Gpu, y.Gpu, outT.Gpu);
            outT.AssertSame($"{what} {dtype}", tol);
        }
        Both((b, a, c, o) => b.Add(a, c, o), "add", Tol(dtype));
        Both((b, a, _, o) => b.Relu(a, o), "relu", 0);
        Both((b, a, c, o) => b.ReluBackward(a, c, o), "relu backward", 0);
        // The CPU's F32 tanh is a rational approximation within 4e-7 of the true value; the GPU's tanhf is within 2 ulp.
        Both((b, a, _, o) => b.Tanh(a, o), "tanh", dtype == DType.F32 ? 1e-6 : 1e-15);
        Both((b, a, c, o) => b.TanhBackward(a, c, o), "tanh backward", Tol(dtype));
        Cpu.Scale(x.Cpu, -0.75);
        gpu.Scale(x.Gpu, -0.75);
        x.AssertSame("scale", Tol(dtype));
        Cpu.Axpy(0.3, x.Cpu, y.Cpu);
        gpu.Axpy(0.3, x.Gpu, y.Gpu);
        y.AssertSame("axpy", Tol(dtype));
    }

    [Theory]
    [InlineData(DType.U8, DType.F32)]
    [InlineData(DType.U8, DType.F64)]
    [InlineData(DType.F32, DType.F32)]
    [InlineData(DType.F32, DType.F64)]
    [InlineData(DType.F64, DType.F32)]
    public void ScaleShift(DType from, DType to)
    {
        var gpu = Require();
        using var x = Twin.Random(new Rng(3), from, 0, 255, 4, 789);
        using var y = Twin.Zeros(to, 4, 789);
        Cpu.ScaleShift(x.Cpu, y.Cpu, 1 / 255.0 / 0.3, -0.5 / 0.3);
        gpu.ScaleShift(x.Gpu, y.Gpu, 1 / 255.0 / 0.3, -0.5 / 0.3);
        y.AssertSame($"scale-shift {from}->{to}", Tol(to));
    }

    public static TheoryData<DType, DType> CastPairs()
    {
        var data = new TheoryData<DType, DType>();
        DType[] all = [DType.F32, DType.F64, DType.F16, DType.BF16, DType.U8, DType.I32];
        foreach (var a in all)
            foreach (var b in all)
                if (a != b && a is DType.F32 or DType.F64 or DType.U8 or DType.I32)
                    data.Add(a, b);
        return data;
    }

    [Theory]
    [MemberData(nameof(CastPairs))]
    public void CastRoundsAsTheCpuDoes(DType from, DType to)
    {
        var gpu = Require();
        using var x = Twin.Random(new Rng(4), from, 0, 250, 3, 500);
        if (from is DType.F32 or DType.F64)
        {
            // Halves and their neighbours exercise round-to-nearest-even.
            using var cpuHalves = new Tensor([3, 500], from);
            var v = Enumerable.Range(0, 1500).Select(i => i / 4.0 + (i % 3 == 0 ? 1e-7 : 0)).ToArray();
            using var vt = Tensor.FromArray(v, 3, 500);
            Cpu.Cast(vt, cpuHalves);
            CopyAcross(cpuHalves, x.Cpu);
            CopyAcross(cpuHalves, x.Gpu);
        }
        using var y = Twin.Zeros(to, 3, 500);
        Cpu.Cast(x.Cpu, y.Cpu);
        gpu.Cast(x.Gpu, y.Gpu);
        y.AssertSame($"cast {from}->{to}", 0);
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void RowVectorsRowSumsAndReductions(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(5);
        using var y = Twin.Random(rng, dtype, -1, 1, 37, 101);
        using var bias = Twin.Random(rng, dtype, -1, 1, 101);
        Cpu.AddRowVector(y.Cpu, bias.Cpu);
        gpu.AddRowVector(y.Gpu, bias.Gpu);
        y.AssertSame("add row vector", Tol(dtype));
        using var sums = Twin.Random(rng, dtype, -1, 1, 101);
        Cpu.SumRows(y.Cpu, sums.Cpu, 0.5);
        gpu.SumRows(y.Gpu, sums.Gpu, 0.5);
        sums.AssertSame("sum rows", Tol(dtype) * 10);
        Assert.Equal(Cpu.Sum(y.Cpu), gpu.Sum(y.Gpu), dtype == DType.F64 ? 1e-9 : 1e-3);
        Assert.Equal(Cpu.SumOfSquares(y.Cpu), gpu.SumOfSquares(y.Gpu), dtype == DType.F64 ? 1e-9 : 1e-3);
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void ArgMaxTakesTheFirstMaximum(DType dtype)
    {
        var gpu = Require();
        using var x = Twin.Random(new Rng(6), dtype, 0, 3, 50, 1000);
        // Integer-valued scores in [0, 3] make ties in every row.
        Cpu.Fill(x.Cpu, 0);
        using var ints = Twin.Random(new Rng(6), DType.I32, 0, 3, 50, 1000);
        Cpu.Cast(ints.Cpu, x.Cpu);
        CopyAcross(x.Cpu, x.Gpu);
        using var idx = Twin.Zeros(DType.I32, 50);
        Cpu.ArgMaxRows(x.Cpu, idx.Cpu);
        gpu.ArgMaxRows(x.Gpu, idx.Gpu);
        idx.AssertSame("argmax", 0);
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void Losses(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(7);
        using var scores = Twin.Random(rng, dtype, -5, 5, 64, 10);
        using var labels = Twin.Random(rng, DType.I32, 0, 9, 64);
        using var grad = Twin.Zeros(dtype, 64, 10);
        Assert.Equal(Cpu.SoftmaxCrossEntropy(scores.Cpu, labels.Cpu, grad.Cpu, 0.5), gpu.SoftmaxCrossEntropy(scores.Gpu, labels.Gpu, grad.Gpu, 0.5), 1e-5);
        grad.AssertSame("softmax cross-entropy gradient", Tol(dtype));
        Assert.Equal(Cpu.MulticlassHinge(scores.Cpu, labels.Cpu, 1.0, grad.Cpu, 2), gpu.MulticlassHinge(scores.Gpu, labels.Gpu, 1.0, grad.Gpu, 2), 1e-5);
        grad.AssertSame("hinge gradient", Tol(dtype));
        using var bad = Twin.Of(Tensor.FromArray(Enumerable.Repeat(3, 63).Append(10).ToArray(), 64));
        var e = Assert.ThrowsAny<ArgumentException>(() => gpu.SoftmaxCrossEntropy(scores.Gpu, bad.Gpu, null));
        Assert.Contains("63", e.Message);
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void SgdMomentum(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(8);
        using var p = Twin.Random(rng, dtype, -1, 1, 3, 1000);
        using var g = Twin.Random(rng, dtype, -1, 1, 3, 1000);
        using var v = Twin.Random(rng, dtype, -1, 1, 3, 1000);
        for (var step = 0; step < 3; step++)
        {
            Cpu.SgdMomentumStep(p.Cpu, g.Cpu, v.Cpu, 0.1, 0.9, 5e-4);
            gpu.SgdMomentumStep(p.Gpu, g.Gpu, v.Gpu, 0.1, 0.9, 5e-4);
        }
        p.AssertSame("sgd param", Tol(dtype));
        v.AssertSame("sgd velocity", Tol(dtype));
    }

    [Fact]
    public void NearestNeighbourDistancesAndTopK()
    {
        var gpu = Require();
        var rng = new Rng(9);
        using var q = Twin.Random(rng, DType.U8, 0, 255, 37, 785);
        using var r = Twin.Random(rng, DType.U8, 0, 255, 301, 785);
        using var d = Twin.Zeros(DType.I32, 37, 301);
        Cpu.L1DistancesU8(q.Cpu, r.Cpu, d.Cpu);
        gpu.L1DistancesU8(q.Gpu, r.Gpu, d.Gpu);
        d.AssertSame("L1 distances", 0);
        // Few distinct distances: ties decide the order.
        using var small = Twin.Random(rng, DType.I32, 0, 20, 37, 301);
        using var k = Twin.Zeros(DType.I32, 37, 7);
        Cpu.SmallestK(small.Cpu, 7, k.Cpu);
        gpu.SmallestK(small.Gpu, 7, k.Gpu);
        k.AssertSame("smallest k", 0);

        using var qf = Twin.Random(rng, DType.F32, 0, 1, 37, 100);
        using var rf = Twin.Random(rng, DType.F32, 0, 1, 301, 100);
        using var norms = Twin.Zeros(DType.F32, 301);
        using var rSquared = Twin.Zeros(DType.F32, 301, 100);
        Cpu.Add(rf.Cpu, rf.Cpu, rSquared.Cpu); // any reference norms will do: the same on both sides
        Cpu.SumRows(rSquared.Cpu.Reshape(100, 301), norms.Cpu, 0);
        CopyAcross(norms.Cpu, norms.Gpu);
        using var l2 = Twin.Zeros(DType.F32, 37, 301);
        Cpu.SquaredL2Distances(qf.Cpu, rf.Cpu, norms.Cpu, l2.Cpu);
        gpu.SquaredL2Distances(qf.Gpu, rf.Gpu, norms.Gpu, l2.Gpu);
        l2.AssertSame("squared L2 distances", F32);
    }

    public static TheoryData<DType, int, int, int, int, int, int, bool> ConvCases()
    {
        var data = new TheoryData<DType, int, int, int, int, int, int, bool>();
        foreach (var dtype in new[] { DType.F32, DType.F64 })
        {
            // in, out, kernel, stride, pad, groups, bias
            data.Add(dtype, 3, 8, 3, 1, 1, 1, true);
            data.Add(dtype, 3, 6, 7, 2, 3, 1, false);
            data.Add(dtype, 8, 12, 3, 1, 1, 2, true);
            data.Add(dtype, 8, 8, 3, 2, 1, 8, false);
            data.Add(dtype, 16, 4, 1, 2, 0, 1, true);
            data.Add(dtype, 4, 5, 11, 4, 2, 1, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Convolution(DType dtype, int cin, int cout, int k, int stride, int pad, int groups, bool bias)
    {
        var gpu = Require();
        var rng = new Rng((ulong)(cin * 31 + cout * 7 + k));
        var g = new Conv2dGeometry(stride, stride, pad, pad, 1, 1, groups);
        int n = 3, h = 23, w = 19;
        var (oh, ow) = g.OutputSize(h, w, k, k);
        using var x = Twin.Random(rng, dtype, -1, 1, n, cin, h, w);
        using var wt = Twin.Random(rng, dtype, -1, 1, cout, cin / groups, k, k);
        using var b = Twin.Random(rng, dtype, -1, 1, cout);
        using var y = Twin.Zeros(dtype, n, cout, oh, ow);
        Cpu.ConvForward(x.Cpu, wt.Cpu, bias ? b.Cpu : null, y.Cpu, g);
        gpu.ConvForward(x.Gpu, wt.Gpu, bias ? b.Gpu : null, y.Gpu, g);
        y.AssertSame("conv forward", Tol(dtype));
        using var dy = Twin.Random(rng, dtype, -1, 1, n, cout, oh, ow);
        using var dx = Twin.Zeros(dtype, n, cin, h, w);
        Cpu.ConvBackwardData(dy.Cpu, wt.Cpu, dx.Cpu, g);
        gpu.ConvBackwardData(dy.Gpu, wt.Gpu, dx.Gpu, g);
        dx.AssertSame("conv backward data", Tol(dtype));
        using var dw = Twin.Random(rng, dtype, -1, 1, cout, cin / groups, k, k);
        Cpu.ConvBackwardFilter(x.Cpu, dy.Cpu, dw.Cpu, g, 1);
        gpu.ConvBackwardFilter(x.Gpu, dy.Gpu, dw.Gpu, g, 1);
        dw.AssertSame("conv backward filter (accumulated)", Tol(dtype));
        Cpu.ConvBackwardBias(dy.Cpu, b.Cpu, 0.5);
        gpu.ConvBackwardBias(dy.Gpu, b.Gpu, 0.5);
        b.AssertSame("conv backward bias", Tol(dtype));
    }

    public static TheoryData<DType, int, int, int, bool, bool> PoolCases()
    {
        var data = new TheoryData<DType, int, int, int, bool, bool>();
        foreach (var dtype in new[] { DType.F32, DType.F64 })
        {
            // kernel, stride, pad, ceil, countIncludePad
            data.Add(dtype, 2, 2, 0, false, true);
            data.Add(dtype, 3, 2, 0, true, true);
            data.Add(dtype, 3, 2, 1, false, true);
            data.Add(dtype, 3, 2, 1, true, false);
            data.Add(dtype, 3, 1, 1, true, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void Pooling(DType dtype, int k, int stride, int pad, bool ceil, bool includePad)
    {
        var gpu = Require();
        var rng = new Rng((ulong)(k * 10 + stride + pad));
        var g = Pool2dGeometry.Square(k, stride, pad, ceil, includePad);
        var (oh, ow) = g.OutputSize(13, 10);
        // Coarse values make ties inside windows: the first maximum must win on both.
        using var ints = Twin.Random(rng, DType.I32, 0, 4, 2, 3, 13, 10);
        using var x = Twin.Zeros(dtype, 2, 3, 13, 10);
        Cpu.Cast(ints.Cpu, x.Cpu);
        CopyAcross(x.Cpu, x.Gpu);
        using var y = Twin.Zeros(dtype, 2, 3, oh, ow);
        using var dy = Twin.Random(rng, dtype, -1, 1, 2, 3, oh, ow);
        using var dx = Twin.Random(rng, dtype, -1, 1, 2, 3, 13, 10);
        Cpu.MaxPoolForward(x.Cpu, y.Cpu, g);
        gpu.MaxPoolForward(x.Gpu, y.Gpu, g);
        y.AssertSame("max pool", 0);
        Cpu.MaxPoolBackward(x.Cpu, dy.Cpu, dx.Cpu, g);
        gpu.MaxPoolBackward(x.Gpu, dy.Gpu, dx.Gpu, g);
        dx.AssertSame("max pool backward", Tol(dtype));
        Cpu.AvgPoolForward(x.Cpu, y.Cpu, g);
        gpu.AvgPoolForward(x.Gpu, y.Gpu, g);
        y.AssertSame("average pool", Tol(dtype));
        Cpu.AvgPoolBackward(dy.Cpu, dx.Cpu, g);
        gpu.AvgPoolBackward(dy.Gpu, dx.Gpu, g);
        dx.AssertSame("average pool backward", Tol(dtype));
    }

    [Theory]
    [InlineData(DType.F32, 7, 7, 1, 1)]
    [InlineData(DType.F32, 13, 10, 4, 4)]
    [InlineData(DType.F64, 2, 2, 4, 4)]
    [InlineData(DType.F64, 9, 5, 3, 2)]
    public void AdaptiveAveragePooling(DType dtype, int h, int w, int oh, int ow)
    {
        var gpu = Require();
        var rng = new Rng(11);
        using var x = Twin.Random(rng, dtype, -1, 1, 2, 5, h, w);
        using var y = Twin.Zeros(dtype, 2, 5, oh, ow);
        Cpu.AdaptiveAvgPoolForward(x.Cpu, y.Cpu);
        gpu.AdaptiveAvgPoolForward(x.Gpu, y.Gpu);
        y.AssertSame("adaptive average pool", Tol(dtype));
        using var dy = Twin.Random(rng, dtype, -1, 1, 2, 5, oh, ow);
        Cpu.AdaptiveAvgPoolBackward(dy.Cpu, x.Cpu);
        gpu.AdaptiveAvgPoolBackward(dy.Gpu, x.Gpu);
        x.AssertSame("adaptive average pool backward", Tol(dtype));
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void LocalResponseNormalisation(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(12);
        using var x = Twin.Random(rng, dtype, -3, 3, 2, 9, 5, 6);
        using var y = Twin.Zeros(dtype, 2, 9, 5, 6);
        Cpu.LrnForward(x.Cpu, y.Cpu, 5, 1e-4, 0.75, 2);
        gpu.LrnForward(x.Gpu, y.Gpu, 5, 1e-4, 0.75, 2);
        y.AssertSame("LRN", Tol(dtype));
        using var dy = Twin.Random(rng, dtype, -1, 1, 2, 9, 5, 6);
        using var dx = Twin.Zeros(dtype, 2, 9, 5, 6);
        Cpu.LrnBackward(x.Cpu, y.Cpu, dy.Cpu, dx.Cpu, 5, 1e-4, 0.75, 2);
        gpu.LrnBackward(x.Gpu, y.Gpu, dy.Gpu, dx.Gpu, 5, 1e-4, 0.75, 2);
        dx.AssertSame("LRN backward", dtype == DType.F64 ? 1e-10 : 1e-5);
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void BatchNormalisation(DType dtype) => BatchNormalisationAgainstTheCpu(Require(), dtype);

    /// <summary>The same with cuDNN's CUDNN_BATCHNORM_SPATIAL_PERSISTENT mode (CudaBackend.BatchNormPersistent).</summary>
    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void BatchNormalisationInPersistentMode(DType dtype)
    {
        var gpu = Require();
        var before = gpu.BatchNormPersistent;
        gpu.BatchNormPersistent = true;
        try
        {
            BatchNormalisationAgainstTheCpu(gpu, dtype);
        }
        finally
        {
            gpu.BatchNormPersistent = before;
        }
    }

    private static void BatchNormalisationAgainstTheCpu(CudaBackend gpu, DType dtype)
    {
        var rng = new Rng(13);
        int n = 4, c = 6, h = 5, w = 7;
        using var x = Twin.Random(rng, dtype, -2, 3, n, c, h, w);
        using var y = Twin.Zeros(dtype, n, c, h, w);
        using var gamma = Twin.Random(rng, dtype, 0.5, 1.5, c);
        using var beta = Twin.Random(rng, dtype, -1, 1, c);
        using var rm = Twin.Random(rng, dtype, -1, 1, c);
        using var rv = Twin.Random(rng, dtype, 0.5, 2, c);
        using var sm = Twin.Zeros(dtype, c);
        using var si = Twin.Zeros(dtype, c);
        Cpu.BatchNormForwardTraining(x.Cpu, y.Cpu, gamma.Cpu, beta.Cpu, rm.Cpu, rv.Cpu, 0.1, 1e-5, sm.Cpu, si.Cpu);
        gpu.BatchNormForwardTraining(x.Gpu, y.Gpu, gamma.Gpu, beta.Gpu, rm.Gpu, rv.Gpu, 0.1, 1e-5, sm.Gpu, si.Gpu);
        y.AssertSame("BN training y", Tol(dtype));
        rm.AssertSame("BN running mean", Tol(dtype));
        rv.AssertSame("BN running var", Tol(dtype));
        sm.AssertSame("BN saved mean", Tol(dtype));
        si.AssertSame("BN saved inverse std", Tol(dtype));
        using var dy = Twin.Random(rng, dtype, -1, 1, n, c, h, w);
        using var dx = Twin.Zeros(dtype, n, c, h, w);
        using var dg = Twin.Random(rng, dtype, -1, 1, c);
        using var db = Twin.Random(rng, dtype, -1, 1, c);
        Cpu.BatchNormBackwardTraining(x.Cpu, dy.Cpu, dx.Cpu, gamma.Cpu, dg.Cpu, db.Cpu, sm.Cpu, si.Cpu);
        gpu.BatchNormBackwardTraining(x.Gpu, dy.Gpu, dx.Gpu, gamma.Gpu, dg.Gpu, db.Gpu, sm.Gpu, si.Gpu);
        dx.AssertSame("BN backward dx", dtype == DType.F64 ? 1e-10 : 1e-4);
        dg.AssertSame("BN backward dgamma (accumulated)", dtype == DType.F64 ? 1e-10 : 1e-4);
        db.AssertSame("BN backward dbeta (accumulated)", dtype == DType.F64 ? 1e-10 : 1e-4);
        Cpu.BatchNormForwardInference(x.Cpu, y.Cpu, gamma.Cpu, beta.Cpu, rm.Cpu, rv.Cpu, 1e-3);
        gpu.BatchNormForwardInference(x.Gpu, y.Gpu, gamma.Gpu, beta.Gpu, rm.Gpu, rv.Gpu, 1e-3);
        y.AssertSame("BN inference", Tol(dtype));
        Cpu.BatchNormBackwardInference(x.Cpu, dy.Cpu, dx.Cpu, gamma.Cpu, dg.Cpu, db.Cpu, rm.Cpu, rv.Cpu, 1e-3);
        gpu.BatchNormBackwardInference(x.Gpu, dy.Gpu, dx.Gpu, gamma.Gpu, dg.Gpu, db.Gpu, rm.Gpu, rv.Gpu, 1e-3);
        dx.AssertSame("BN inference backward dx", Tol(dtype));
        dg.AssertSame("BN inference backward dgamma", dtype == DType.F64 ? 1e-10 : 1e-4);
        db.AssertSame("BN inference backward dbeta", dtype == DType.F64 ? 1e-10 : 1e-4);
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void DropoutDrawsTheSameMask(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(14);
        using var x = Twin.Random(rng, dtype, -1, 1, 5, 999);
        using var y = Twin.Zeros(dtype, 5, 999);
        using var mask = Twin.Zeros(DType.U8, 5, 999);
        Cpu.DropoutForward(x.Cpu, y.Cpu, mask.Cpu, 0.3, 42);
        gpu.DropoutForward(x.Gpu, y.Gpu, mask.Gpu, 0.3, 42);
        mask.AssertSame("dropout mask", 0);
        y.AssertSame("dropout y", Tol(dtype));
        Cpu.DropoutBackward(x.Cpu, mask.Cpu, y.Cpu, 0.3);
        gpu.DropoutBackward(x.Gpu, mask.Gpu, y.Gpu, 0.3);
        y.AssertSame("dropout backward", Tol(dtype));
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void ChannelCopiesAndPaddedShortcuts(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(15);
        using var part = Twin.Random(rng, dtype, -1, 1, 3, 4, 5, 6);
        using var whole = Twin.Random(rng, dtype, -1, 1, 3, 10, 5, 6);
        Cpu.CopyIntoChannels(part.Cpu, whole.Cpu, 5);
        gpu.CopyIntoChannels(part.Gpu, whole.Gpu, 5);
        whole.AssertSame("copy into channels", 0);
        Cpu.CopyFromChannels(whole.Cpu, 2, part.Cpu);
        gpu.CopyFromChannels(whole.Gpu, 2, part.Gpu);
        part.AssertSame("copy from channels", 0);
        using var x = Twin.Random(rng, dtype, -1, 1, 2, 4, 7, 7);
        using var y = Twin.Random(rng, dtype, -1, 1, 2, 8, 4, 4);
        Cpu.PadShortcutForward(x.Cpu, y.Cpu, 2, 2);
        gpu.PadShortcutForward(x.Gpu, y.Gpu, 2, 2);
        y.AssertSame("pad shortcut", 0);
        Cpu.PadShortcutBackward(y.Cpu, x.Cpu, 2, 2);
        gpu.PadShortcutBackward(y.Gpu, x.Gpu, 2, 2);
        x.AssertSame("pad shortcut backward", 0);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void GemmInEveryTransposition(bool ta, bool tb)
    {
        var gpu = Require();
        var rng = new Rng(16);
        foreach (var dtype in new[] { DType.F32, DType.F64 })
        {
            int m = 67, n = 45, k = 129;
            using var a = Twin.Random(rng, dtype, -1, 1, ta ? k : m, ta ? m : k);
            using var b = Twin.Random(rng, dtype, -1, 1, tb ? n : k, tb ? k : n);
            using var c = Twin.Random(rng, dtype, -1, 1, m, n);
            Cpu.Gemm(ta, tb, 0.7, a.Cpu, b.Cpu, 0.25, c.Cpu);
            gpu.Gemm(ta, tb, 0.7, a.Gpu, b.Gpu, 0.25, c.Gpu);
            c.AssertSame($"gemm {dtype} transA={ta} transB={tb}", Tol(dtype) * 10);
        }
    }

    [Fact]
    public void ImageBatchesNormaliseOnTheDeviceAsOnTheHost()
    {
        var gpu = Require();
        using var images = new Tensor([3, 3, 17, 9], DType.U8, Device.Cpu, Layout.NHWC);
        var rng = new Rng(17);
        var bytes = images.Span<byte>();
        for (var i = 0; i < bytes.Length; i++) bytes[i] = (byte)rng.NextInt(256);
        using var onGpu = new Tensor(images.Shape, DType.U8, GpuDevice, Layout.NHWC);
        CopyAcross(images, onGpu);
        using var expected = new Tensor(images.Shape);
        using var actual = new Tensor(images.Shape, DType.F32, GpuDevice);
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        Cpu.NormalizeImages(images, expected, mean, std);
        gpu.NormalizeImages(onGpu, actual, mean, std);
        AssertClose("normalised images", expected, actual, 0);
    }

    [Fact]
    public void OutOfMemorySaysHowMuchWasAsked()
    {
        Require();
        var e = Assert.Throws<CudaOutOfMemoryException>(() => new Tensor([1 << 20, 1 << 20, 64], DType.F32, GpuDevice));
        Assert.Contains("bytes asked", e.Message);
        Assert.Contains("cuda:0", e.Message);
        using var fine = new Tensor([16], DType.F32, GpuDevice); // the device still works afterwards
        Assert.Equal(16, fine.ToArray<float>().Length);
    }

    [Fact]
    public void AFailedKernelCompileShowsTheLog()
    {
        var gpu = Require();
        // This GPU's own target: a fixed one can leave NVRTC's list (CUDA 13 dropped compute_70) and fail as an option instead.
        var (options, cubin, _) = CudaKernels.Target(gpu.Info.ComputeCapability);
        var e = Assert.Throws<NvrtcCompileException>(() =>
            Nvrtc.Compile("extern \"C\" __global__ void broken(float* x) { x[0] = undefined_name; }", "broken.cu", options, cubin));
        Assert.Contains("broken.cu", e.Message);
        Assert.Contains("undefined_name", e.Message);
    }

    [Fact]
    public void EveryKernelFileCompilesForThisGpu()
    {
        var gpu = Require();
        foreach (var file in CudaKernels.Sources.Keys)
            Assert.NotEmpty(CudaKernels.Image(file, gpu.Info.ComputeCapability, out _));
    }
}

/// <summary>GPU tests share one device: run them one at a time.</summary>
[CollectionDefinition(nameof(GpuCollection), DisableParallelization = true)]
public sealed class GpuCollection;
