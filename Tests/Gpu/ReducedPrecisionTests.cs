using NativeNets.Backends;
using NativeNets.Tensors;
using Xunit;
using static NativeNets.Tests.Gpu.GpuSupport;

namespace NativeNets.Tests.Gpu;

/// <summary>
/// F16 and BF16 on the CUDA backend against the CPU backend's reduced-precision results (F32 compute, one rounding per
/// output), op family by op family, on the same inputs, with TF32 off. Tolerances are in ulps of the reduced type relative
/// to the largest value: 0 where both backends compute the same F32 values (elementwise ops, SGD, copies, masks, indices),
/// one ulp where only the last F32 bits may differ before the rounding (tanh, averages), two where sums run in another
/// order or the GPU library computes its own way (GEMM, convolution, batch norm, LRN, distances). Without a GPU every test
/// here reports itself skipped, with the reason.
/// </summary>
[Collection(nameof(GpuCollection))]
public class ReducedPrecisionTests
{
    private static readonly Backend Cpu = CpuBackend.Instance;

    public static TheoryData<DType> ReducedTypes() => new() { DType.F16, DType.BF16 };

    /// <summary>The spacing of the reduced type's values in [1, 2): 2^-10 for F16, 2^-7 for BF16.</summary>
    private static double Ulp(DType d) => d == DType.F16 ? 1.0 / 1024 : 1.0 / 128;

    /// <summary>Uniform F32 values rounded (on the CPU) to <paramref name="dtype"/>, the same on both devices.</summary>
    private static Twin Random(Rng rng, DType dtype, double low, double high, params int[] dims)
    {
        using var wide = new Tensor(dims, DType.F32);
        var s = wide.Span<float>();
        for (var i = 0; i < s.Length; i++) s[i] = (float)rng.Uniform(low, high);
        var t = new Tensor(dims, dtype);
        Cpu.Cast(wide, t);
        return Twin.Of(t);
    }

    /// <summary>Integer values in [low, high] as <paramref name="dtype"/> (exact): ties for max, arg-max and top-k.</summary>
    private static Twin Integers(Rng rng, DType dtype, int low, int high, params int[] dims)
    {
        using var ints = Twin.Random(rng, DType.I32, low, high, dims);
        var t = new Tensor(dims, dtype);
        Cpu.Cast(ints.Cpu, t);
        return Twin.Of(t);
    }

    [Theory]
    [MemberData(nameof(ReducedTypes))]
    public void ElementwiseOpsRoundOnceAsTheCpu(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(101);
        using var x = Random(rng, dtype, -2, 2, 7, 333);
        using var y = Random(rng, dtype, -2, 2, 7, 333);
        using var o = Twin.Zeros(dtype, 7, 333);
        void Both(Action<Backend, Tensor, Tensor, Tensor> op, string what, double tol)
        {
            op(Cpu, x.Cpu, y.Cpu, o.Cpu);
            op(gpu, x.Gpu, y.Gpu, o.Gpu);
            o.AssertSame($"{what} {dtype}", tol);
        }
        Both((b, a, c, r) => b.Add(a, c, r), "add", 0);
        Both((b, a, _, r) => b.Relu(a, r), "relu", 0);
        Both((b, a, c, r) => b.ReluBackward(a, c, r), "relu backward", 0);
        // tanhf and the CPU's tanh differ in the last F32 bits: at most one ulp of the reduced type after rounding.
        Both((b, a, _, r) => b.Tanh(a, r), "tanh", Ulp(dtype));
        Both((b, a, c, r) => b.TanhBackward(a, c, r), "tanh backward", 0);
        Cpu.Scale(x.Cpu, -0.75);
        gpu.Scale(x.Gpu, -0.75);
        x.AssertSame($"scale {dtype}", 0);
        Cpu.Axpy(0.3, x.Cpu, y.Cpu);
        gpu.Axpy(0.3, x.Gpu, y.Gpu);
        y.AssertSame($"axpy {dtype}", 0);
        // In place, as layers use them.
        Cpu.Relu(y.Cpu, y.Cpu);
        gpu.Relu(y.Gpu, y.Gpu);
        y.AssertSame($"relu in place {dtype}", 0);

        using var bias = Random(rng, dtype, -1, 1, 333);
        Cpu.AddRowVector(x.Cpu, bias.Cpu);
        gpu.AddRowVector(x.Gpu, bias.Gpu);
        x.AssertSame($"add row vector {dtype}", 0);
        using var sums = Random(rng, dtype, -1, 1, 333);
        Cpu.SumRows(x.Cpu, sums.Cpu, 0.5);
        gpu.SumRows(x.Gpu, sums.Gpu, 0.5);
        sums.AssertSame($"sum rows {dtype}", 0);

        Cpu.ScaleShift(x.Cpu, x.Cpu, 1.5, -0.25);
        gpu.ScaleShift(x.Gpu, x.Gpu, 1.5, -0.25);
        x.AssertSame($"scale-shift {dtype} in place", 0);
        using var bytes = Twin.Random(rng, DType.U8, 0, 255, 4, 789);
        using var scaled = Twin.Zeros(dtype, 4, 789);
        Cpu.ScaleShift(bytes.Cpu, scaled.Cpu, 1 / 255.0 / 0.3, -0.5 / 0.3);
        gpu.ScaleShift(bytes.Gpu, scaled.Gpu, 1 / 255.0 / 0.3, -0.5 / 0.3);
        // The CPU's scalar tail rounds the product before adding (the GPU fuses): one ulp at most after the rounding.
        scaled.AssertSame($"scale-shift u8->{dtype}", Ulp(dtype));
    }

    [Theory]
    [MemberData(nameof(ReducedTypes))]
    public void ReductionsReadReducedValuesExactly(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(102);
        using var x = Random(rng, dtype, -1, 1, 37, 101);
        Assert.Equal(Cpu.Sum(x.Cpu), gpu.Sum(x.Gpu), 1e-3);
        Assert.Equal(Cpu.SumOfSquares(x.Cpu), gpu.SumOfSquares(x.Gpu), 1e-3);
        using var ties = Integers(rng, dtype, 0, 3, 50, 1000);
        using var idx = Twin.Zeros(DType.I32, 50);
        Cpu.ArgMaxRows(ties.Cpu, idx.Cpu);
        gpu.ArgMaxRows(ties.Gpu, idx.Gpu);
        idx.AssertSame($"argmax {dtype}", 0);
    }

    [Theory]
    [MemberData(nameof(ReducedTypes))]
    public void LossesTakeReducedScoresAndGradients(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(103);
        using var scores = Random(rng, dtype, -5, 5, 64, 10);
        using var labels = Twin.Random(rng, DType.I32, 0, 9, 64);
        using var grad = Twin.Zeros(dtype, 64, 10);
        Assert.Equal(Cpu.SoftmaxCrossEntropy(scores.Cpu, labels.Cpu, grad.Cpu, 0.5), gpu.SoftmaxCrossEntropy(scores.Gpu, labels.Gpu, grad.Gpu, 0.5), 1e-5);
        grad.AssertSame($"softmax cross-entropy gradient {dtype}", Ulp(dtype));
        Assert.Equal(Cpu.MulticlassHinge(scores.Cpu, labels.Cpu, 1.0, grad.Cpu, 2), gpu.MulticlassHinge(scores.Gpu, labels.Gpu, 1.0, grad.Gpu, 2), 1e-5);
        grad.AssertSame($"hinge gradient {dtype}", 0);
    }

    [Theory]
    [MemberData(nameof(ReducedTypes))]
    public void SgdStepsRoundParamAndVelocityOnce(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(104);
        using var p = Random(rng, dtype, -1, 1, 3, 1000);
        using var g = Random(rng, dtype, -1, 1, 3, 1000);
        using var v = Random(rng, dtype, -1, 1, 3, 1000);
        for (var step = 0; step < 3; step++)
        {
            Cpu.SgdMomentumStep(p.Cpu, g.Cpu, v.Cpu, 0.1, 0.9, 5e-4);
            gpu.SgdMomentumStep(p.Gpu, g.Gpu, v.Gpu, 0.1, 0.9, 5e-4);
        }
        p.AssertSame($"sgd param {dtype}", 0);
        v.AssertSame($"sgd velocity {dtype}", 0);
    }

    [Fact]
    public void UnscaleGradientsWritesMastersAndNoticesOverflow()
    {
        var gpu = Require();
        var rng = new Rng(105);
        using var g16 = Random(rng, DType.F16, -100, 100, 3, 333);
        using var gb16 = Random(rng, DType.BF16, -100, 100, 5, 77);
        using var g32 = Twin.Random(rng, DType.F32, -100, 100, 1000);
        using var g64 = Twin.Random(rng, DType.F64, -100, 100, 17);
        using var m16 = Twin.Zeros(DType.F32, 3, 333);
        using var mb16 = Twin.Zeros(DType.F32, 5, 77);
        using var m64 = Twin.Zeros(DType.F64, 17);
        const double inverse = 1.0 / 1024;
        Assert.True(Cpu.UnscaleGradients([g16.Cpu, gb16.Cpu, g32.Cpu, g64.Cpu], [m16.Cpu, mb16.Cpu, g32.Cpu, m64.Cpu], inverse));
        Assert.True(gpu.UnscaleGradients([g16.Gpu, gb16.Gpu, g32.Gpu, g64.Gpu], [m16.Gpu, mb16.Gpu, g32.Gpu, m64.Gpu], inverse));
        m16.AssertSame("master of f16", 0);
        mb16.AssertSame("master of bf16", 0);
        g32.AssertSame("f32 scaled in place", 0);
        m64.AssertSame("master of f64", 0);

        // An infinity in one F16 gradient (an overflowed backward) and a NaN in another: both backends say so.
        foreach (var bad in new[] { double.PositiveInfinity, double.NaN })
        {
            using var poisoned = Random(rng, DType.F16, -1, 1, 4, 50);
            var values = poisoned.Cpu.ToArray<Half>();
            values[123] = (Half)bad;
            poisoned.Cpu.CopyFrom<Half>(values);
            CopyAcross(poisoned.Cpu, poisoned.Gpu);
            using var master = Twin.Zeros(DType.F32, 4, 50);
            using var clean = Random(rng, DType.F16, -1, 1, 9);
            using var cleanMaster = Twin.Zeros(DType.F32, 9);
            Assert.False(Cpu.UnscaleGradients([clean.Cpu, poisoned.Cpu], [cleanMaster.Cpu, master.Cpu], inverse));
            Assert.False(gpu.UnscaleGradients([clean.Gpu, poisoned.Gpu], [cleanMaster.Gpu, master.Gpu], inverse));
        }
        // Finite values whose unscaled result overflows F32 are caught too.
        using var big = Twin.Of(Tensor.FromArray(new[] { 3e38f, 1f }, 2));
        Assert.False(gpu.UnscaleGradients([big.Gpu], [big.Gpu], 10.0));
        Assert.True(gpu.UnscaleGradients([], [], inverse));
    }

    [Theory]
    [InlineData(DType.F16, false, false)]
    [InlineData(DType.F16, true, false)]
    [InlineData(DType.F16, false, true)]
    [InlineData(DType.F16, true, true)]
    [InlineData(DType.BF16, false, false)]
    [InlineData(DType.BF16, true, true)]
    public void GemmAccumulatesInF32AndRoundsOnce(DType dtype, bool ta, bool tb)
    {
        var gpu = Require();
        var rng = new Rng(106);
        int m = 67, n = 45, k = 129;
        using var a = Random(rng, dtype, -1, 1, ta ? k : m, ta ? m : k);
        using var b = Random(rng, dtype, -1, 1, tb ? n : k, tb ? k : n);
        using var c = Random(rng, dtype, -1, 1, m, n);
        Cpu.Gemm(ta, tb, 0.7, a.Cpu, b.Cpu, 0.25, c.Cpu);
        gpu.Gemm(ta, tb, 0.7, a.Gpu, b.Gpu, 0.25, c.Gpu);
        c.AssertSame($"gemm {dtype} transA={ta} transB={tb}", 2 * Ulp(dtype));
        // beta 0 does not read C; afterwards the handle is back in its F32 mode (no TF32: an F32 GEMM matches as closely as before).
        Cpu.Gemm(ta, tb, 1, a.Cpu, b.Cpu, 0, c.Cpu);
        gpu.Gemm(ta, tb, 1, a.Gpu, b.Gpu, 0, c.Gpu);
        c.AssertSame($"gemm {dtype} beta 0", 2 * Ulp(dtype));
        using var a32 = Twin.Random(rng, DType.F32, -1, 1, m, k);
        using var b32 = Twin.Random(rng, DType.F32, -1, 1, k, n);
        using var c32 = Twin.Zeros(DType.F32, m, n);
        Cpu.Gemm(false, false, 1, a32.Cpu, b32.Cpu, 0, c32.Cpu);
        gpu.Gemm(false, false, 1, a32.Gpu, b32.Gpu, 0, c32.Gpu);
        c32.AssertSame("f32 gemm after a reduced one", 1e-5);
    }

    public static TheoryData<DType, int, int, int, int, int, int, bool> ConvCases()
    {
        var data = new TheoryData<DType, int, int, int, int, int, int, bool>();
        foreach (var dtype in new[] { DType.F16, DType.BF16 })
        {
            // in, out, kernel, stride, pad, groups, bias
            data.Add(dtype, 3, 8, 3, 1, 1, 1, true);
            data.Add(dtype, 8, 12, 3, 1, 1, 2, true);
            data.Add(dtype, 8, 8, 3, 2, 1, 8, false);
            data.Add(dtype, 16, 4, 1, 2, 0, 1, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void ConvolutionsRunOnCudnnWithF32Compute(DType dtype, int cin, int cout, int k, int stride, int pad, int groups, bool bias)
    {
        var gpu = Require();
        var rng = new Rng((ulong)(cin * 31 + cout * 7 + k));
        var g = new Conv2dGeometry(stride, stride, pad, pad, 1, 1, groups);
        int n = 3, h = 23, w = 19;
        var (oh, ow) = g.OutputSize(h, w, k, k);
        var tol = 2 * Ulp(dtype);
        using var x = Random(rng, dtype, -1, 1, n, cin, h, w);
        using var wt = Random(rng, dtype, -1, 1, cout, cin / groups, k, k);
        using var b = Random(rng, dtype, -1, 1, cout);
        using var y = Twin.Zeros(dtype, n, cout, oh, ow);
        Cpu.ConvForward(x.Cpu, wt.Cpu, bias ? b.Cpu : null, y.Cpu, g);
        gpu.ConvForward(x.Gpu, wt.Gpu, bias ? b.Gpu : null, y.Gpu, g);
        y.AssertSame($"conv forward {dtype}", tol);
        // Twice: the second call uses the plan found by the first.
        gpu.ConvForward(x.Gpu, wt.Gpu, bias ? b.Gpu : null, y.Gpu, g);
        y.AssertSame($"conv forward {dtype} (cached plan)", tol);
        using var dy = Random(rng, dtype, -1, 1, n, cout, oh, ow);
        using var dx = Twin.Zeros(dtype, n, cin, h, w);
        Cpu.ConvBackwardData(dy.Cpu, wt.Cpu, dx.Cpu, g);
        gpu.ConvBackwardData(dy.Gpu, wt.Gpu, dx.Gpu, g);
        dx.AssertSame($"conv backward data {dtype}", tol);
        using var dw = Random(rng, dtype, -1, 1, cout, cin / groups, k, k);
        Cpu.ConvBackwardFilter(x.Cpu, dy.Cpu, dw.Cpu, g, 1);
        gpu.ConvBackwardFilter(x.Gpu, dy.Gpu, dw.Gpu, g, 1);
        dw.AssertSame($"conv backward filter (accumulated) {dtype}", tol);
        Cpu.ConvBackwardBias(dy.Cpu, b.Cpu, 0.5);
        gpu.ConvBackwardBias(dy.Gpu, b.Gpu, 0.5);
        b.AssertSame($"conv backward bias {dtype}", tol);
    }

    [Theory]
    [InlineData(DType.F16, false)]
    [InlineData(DType.BF16, false)]
    [InlineData(DType.F16, true)]
    [InlineData(DType.BF16, true)]
    public void BatchNormTakesF32OrReducedParameters(DType dtype, bool reducedParameters)
    {
        var gpu = Require();
        var rng = new Rng(107);
        int n = 4, c = 6, h = 5, w = 7;
        var p = reducedParameters ? dtype : DType.F32;
        // F32 parameters and statistics agree as the F32 tests' do; reduced ones within the reduced type's rounding.
        var pTol = reducedParameters ? 2 * Ulp(dtype) : 1e-4;
        var tol = 2 * Ulp(dtype);
        Twin Param(double low, double high) => reducedParameters ? Random(rng, p, low, high, c) : Twin.Random(rng, p, low, high, c);
        using var x = Random(rng, dtype, -2, 3, n, c, h, w);
        using var y = Twin.Zeros(dtype, n, c, h, w);
        using var gamma = Param(0.5, 1.5);
        using var beta = Param(-1, 1);
        using var rm = Param(-1, 1);
        using var rv = Param(0.5, 2);
        using var sm = Twin.Zeros(p, c);
        using var si = Twin.Zeros(p, c);
        Cpu.BatchNormForwardTraining(x.Cpu, y.Cpu, gamma.Cpu, beta.Cpu, rm.Cpu, rv.Cpu, 0.1, 1e-5, sm.Cpu, si.Cpu);
        gpu.BatchNormForwardTraining(x.Gpu, y.Gpu, gamma.Gpu, beta.Gpu, rm.Gpu, rv.Gpu, 0.1, 1e-5, sm.Gpu, si.Gpu);
        y.AssertSame($"BN training y {dtype}", tol);
        rm.AssertSame("BN running mean", pTol);
        rv.AssertSame("BN running var", pTol);
        sm.AssertSame("BN saved mean", pTol);
        si.AssertSame("BN saved inverse std", pTol);
        using var dy = Random(rng, dtype, -1, 1, n, c, h, w);
        using var dx = Twin.Zeros(dtype, n, c, h, w);
        using var dg = Param(-1, 1);
        using var db = Param(-1, 1);
        Cpu.BatchNormBackwardTraining(x.Cpu, dy.Cpu, dx.Cpu, gamma.Cpu, dg.Cpu, db.Cpu, sm.Cpu, si.Cpu);
        gpu.BatchNormBackwardTraining(x.Gpu, dy.Gpu, dx.Gpu, gamma.Gpu, dg.Gpu, db.Gpu, sm.Gpu, si.Gpu);
        dx.AssertSame($"BN backward dx {dtype}", tol);
        dg.AssertSame("BN backward dgamma (accumulated)", pTol);
        db.AssertSame("BN backward dbeta (accumulated)", pTol);
        Cpu.BatchNormForwardInference(x.Cpu, y.Cpu, gamma.Cpu, beta.Cpu, rm.Cpu, rv.Cpu, 1e-3);
        gpu.BatchNormForwardInference(x.Gpu, y.Gpu, gamma.Gpu, beta.Gpu, rm.Gpu, rv.Gpu, 1e-3);
        y.AssertSame($"BN inference {dtype}", tol);
        Cpu.BatchNormBackwardInference(x.Cpu, dy.Cpu, dx.Cpu, gamma.Cpu, dg.Cpu, db.Cpu, rm.Cpu, rv.Cpu, 1e-3);
        gpu.BatchNormBackwardInference(x.Gpu, dy.Gpu, dx.Gpu, gamma.Gpu, dg.Gpu, db.Gpu, rm.Gpu, rv.Gpu, 1e-3);
        dx.AssertSame($"BN inference backward dx {dtype}", reducedParameters ? tol : 0);
        dg.AssertSame("BN inference backward dgamma", pTol);
        db.AssertSame("BN inference backward dbeta", pTol);
    }

    [Theory]
    [MemberData(nameof(ReducedTypes))]
    public void PoolingReadsWindowsInFloat(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(108);
        foreach (var g in new[] { Pool2dGeometry.Square(2, 2, 0, false, true), Pool2dGeometry.Square(3, 2, 1, true, false) })
        {
            var (oh, ow) = g.OutputSize(13, 10);
            using var x = Integers(rng, dtype, 0, 4, 2, 3, 13, 10); // ties inside windows
            using var y = Twin.Zeros(dtype, 2, 3, oh, ow);
            using var dy = Random(rng, dtype, -1, 1, 2, 3, oh, ow);
            using var dx = Random(rng, dtype, -1, 1, 2, 3, 13, 10);
            Cpu.MaxPoolForward(x.Cpu, y.Cpu, g);
            gpu.MaxPoolForward(x.Gpu, y.Gpu, g);
            y.AssertSame($"max pool {dtype} {g}", 0);
            Cpu.MaxPoolBackward(x.Cpu, dy.Cpu, dx.Cpu, g);
            gpu.MaxPoolBackward(x.Gpu, dy.Gpu, dx.Gpu, g);
            dx.AssertSame($"max pool backward {dtype} {g}", 0);
            Cpu.AvgPoolForward(x.Cpu, y.Cpu, g);
            gpu.AvgPoolForward(x.Gpu, y.Gpu, g);
            y.AssertSame($"average pool {dtype} {g}", Ulp(dtype));
            Cpu.AvgPoolBackward(dy.Cpu, dx.Cpu, g);
            gpu.AvgPoolBackward(dy.Gpu, dx.Gpu, g);
            dx.AssertSame($"average pool backward {dtype} {g}", Ulp(dtype));
        }
        using var ax = Random(rng, dtype, -1, 1, 2, 5, 13, 10);
        using var ay = Twin.Zeros(dtype, 2, 5, 4, 4);
        Cpu.AdaptiveAvgPoolForward(ax.Cpu, ay.Cpu);
        gpu.AdaptiveAvgPoolForward(ax.Gpu, ay.Gpu);
        ay.AssertSame($"adaptive average pool {dtype}", Ulp(dtype));
        using var ady = Random(rng, dtype, -1, 1, 2, 5, 4, 4);
        Cpu.AdaptiveAvgPoolBackward(ady.Cpu, ax.Cpu);
        gpu.AdaptiveAvgPoolBackward(ady.Gpu, ax.Gpu);
        ax.AssertSame($"adaptive average pool backward {dtype}", Ulp(dtype));
    }

    [Theory]
    [MemberData(nameof(ReducedTypes))]
    public void LocalResponseNormalisationRunsOnF32Twins(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(109);
        using var x = Random(rng, dtype, -3, 3, 2, 9, 5, 6);
        using var y = Twin.Zeros(dtype, 2, 9, 5, 6);
        Cpu.LrnForward(x.Cpu, y.Cpu, 5, 1e-4, 0.75, 2);
        gpu.LrnForward(x.Gpu, y.Gpu, 5, 1e-4, 0.75, 2);
        y.AssertSame($"LRN {dtype}", 2 * Ulp(dtype));
        using var dy = Random(rng, dtype, -1, 1, 2, 9, 5, 6);
        using var dx = Twin.Zeros(dtype, 2, 9, 5, 6);
        Cpu.LrnBackward(x.Cpu, y.Cpu, dy.Cpu, dx.Cpu, 5, 1e-4, 0.75, 2);
        gpu.LrnBackward(x.Gpu, y.Gpu, dy.Gpu, dx.Gpu, 5, 1e-4, 0.75, 2);
        dx.AssertSame($"LRN backward {dtype}", 2 * Ulp(dtype));
    }

    [Theory]
    [MemberData(nameof(ReducedTypes))]
    public void DropoutCopiesAndShortcuts(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(110);
        using var x = Random(rng, dtype, -1, 1, 5, 999);
        using var y = Twin.Zeros(dtype, 5, 999);
        using var mask = Twin.Zeros(DType.U8, 5, 999);
        Cpu.DropoutForward(x.Cpu, y.Cpu, mask.Cpu, 0.3, 42);
        gpu.DropoutForward(x.Gpu, y.Gpu, mask.Gpu, 0.3, 42);
        mask.AssertSame($"dropout mask {dtype}", 0);
        y.AssertSame($"dropout y {dtype}", 0);
        Cpu.DropoutBackward(x.Cpu, mask.Cpu, y.Cpu, 0.3);
        gpu.DropoutBackward(x.Gpu, mask.Gpu, y.Gpu, 0.3);
        y.AssertSame($"dropout backward {dtype}", 0);

        using var part = Random(rng, dtype, -1, 1, 3, 4, 5, 6);
        using var whole = Random(rng, dtype, -1, 1, 3, 10, 5, 6);
        Cpu.CopyIntoChannels(part.Cpu, whole.Cpu, 5);
        gpu.CopyIntoChannels(part.Gpu, whole.Gpu, 5);
        whole.AssertSame($"copy into channels {dtype}", 0);
        Cpu.CopyFromChannels(whole.Cpu, 2, part.Cpu);
        gpu.CopyFromChannels(whole.Gpu, 2, part.Gpu);
        part.AssertSame($"copy from channels {dtype}", 0);
        using var sx = Random(rng, dtype, -1, 1, 2, 4, 7, 7);
        using var sy = Random(rng, dtype, -1, 1, 2, 8, 4, 4);
        Cpu.PadShortcutForward(sx.Cpu, sy.Cpu, 2, 2);
        gpu.PadShortcutForward(sx.Gpu, sy.Gpu, 2, 2);
        sy.AssertSame($"pad shortcut {dtype}", 0);
        Cpu.PadShortcutBackward(sy.Cpu, sx.Cpu, 2, 2);
        gpu.PadShortcutBackward(sy.Gpu, sx.Gpu, 2, 2);
        sx.AssertSame($"pad shortcut backward {dtype}", 0);
    }

    [Theory]
    [MemberData(nameof(ReducedTypes))]
    public void NearestNeighbourDistancesAndTopK(DType dtype)
    {
        var gpu = Require();
        var rng = new Rng(111);
        using var q = Random(rng, dtype, 0, 1, 37, 100);
        using var r = Random(rng, dtype, 0, 1, 301, 100);
        using var norms = Random(rng, dtype, 20, 40, 301);
        using var d = Twin.Zeros(dtype, 37, 301);
        Cpu.SquaredL2Distances(q.Cpu, r.Cpu, norms.Cpu, d.Cpu);
        gpu.SquaredL2Distances(q.Gpu, r.Gpu, norms.Gpu, d.Gpu);
        d.AssertSame($"squared L2 distances {dtype}", 2 * Ulp(dtype));
        using var small = Integers(rng, dtype, 0, 20, 37, 301); // few distinct distances: ties decide the order
        using var k = Twin.Zeros(DType.I32, 37, 7);
        Cpu.SmallestK(small.Cpu, 7, k.Cpu);
        gpu.SmallestK(small.Gpu, 7, k.Gpu);
        k.AssertSame($"smallest k {dtype}", 0);
        using var tooMany = new Tensor([37, 302], DType.I32, GpuDevice);
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.SmallestK(small.Gpu, 302, tooMany));
    }

    [Theory]
    [MemberData(nameof(ReducedTypes))]
    public void ImageBatchesNormaliseIntoReducedOutputs(DType dtype)
    {
        var gpu = Require();
        using var images = new Tensor([3, 3, 17, 9], DType.U8, Device.Cpu, Layout.NHWC);
        var rng = new Rng(112);
        var bytes = images.Span<byte>();
        for (var i = 0; i < bytes.Length; i++) bytes[i] = (byte)rng.NextInt(256);
        using var onGpu = new Tensor(images.Shape, DType.U8, GpuDevice, Layout.NHWC);
        CopyAcross(images, onGpu);
        using var expected = new Tensor(images.Shape, dtype);
        using var actual = new Tensor(images.Shape, dtype, GpuDevice);
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        Cpu.NormalizeImages(images, expected, mean, std);
        gpu.NormalizeImages(onGpu, actual, mean, std);
        AssertClose($"normalised images {dtype}", expected, actual, 0);
    }

    [Fact]
    public void MixedDTypesAreRefusedAsOnTheCpu()
    {
        var gpu = Require();
        using var h = new Tensor([4, 4], DType.F16, GpuDevice);
        using var b = new Tensor([4, 4], DType.BF16, GpuDevice);
        using var f = new Tensor([4, 4], DType.F32, GpuDevice);
        var e = Assert.Throws<ArgumentException>(() => gpu.Gemm(false, false, 1, f, h, 0, h));
        Assert.Contains("Gemm", e.Message);
        Assert.Contains("A", e.Message);
        e = Assert.Throws<ArgumentException>(() => gpu.Add(h, b, h));
        Assert.Contains("Add", e.Message);
        Assert.Contains("bf16", e.Message);
        using var x = new Tensor([2, 3, 4, 4], DType.F16, GpuDevice);
        using var y = new Tensor([2, 3, 4, 4], DType.F16, GpuDevice);
        using var p64 = new Tensor([3], DType.F64, GpuDevice);
        using var p32 = new Tensor([3], DType.F32, GpuDevice);
        e = Assert.Throws<ArgumentException>(() => gpu.BatchNormForwardInference(x, y, p64, p32, p32, p32, 1e-5));
        Assert.Contains("gamma", e.Message);
        gpu.Fill(p32, 1);
        gpu.BatchNormForwardInference(x, y, p32, p32, p32, p32, 1e-5); // F32 parameters beside F16 data are fine
        gpu.Synchronize();
    }
}

/// <summary>The CUDA backend's dtype rule for F16 / BF16, without a GPU: it refuses what the CPU backend refuses, naming the op and the tensor.</summary>
public class ReducedPrecisionRuleTests
{
    private static readonly Backend Cpu = CpuBackend.Instance;

    [Fact]
    public void TheRuleFindsTheReducedTypeAndIgnoresIntegers()
    {
        using var h = new Tensor([2, 3], DType.F16);
        using var f = new Tensor([3], DType.F32);
        using var labels = new Tensor([2], DType.I32);
        Assert.Null(CudaBackend.ReducedType("op", new("a", f), new("b", f)));
        Assert.Equal(DType.F16, CudaBackend.ReducedType("op", new("scores", h), new("labels", labels), new("gradient", null)));
        Assert.Equal(DType.F16, CudaBackend.ReducedType("op", new("x", h), new("gamma", f, MayBeF32: true)));
    }

    [Fact]
    public void MixedDTypesAreRefusedByBothBackends()
    {
        using var h = new Tensor([2, 3], DType.F16);
        using var h2 = new Tensor([2, 3], DType.F16);
        using var b = new Tensor([2, 3], DType.BF16);
        using var f = new Tensor([2, 3], DType.F32);
        using var d = new Tensor([2, 3], DType.F64);

        var e = Assert.Throws<ArgumentException>(() => CudaBackend.ReducedType("Add", new("a", f), new("b", h), new("y", h2)));
        Assert.Contains("Add", e.Message);
        Assert.Contains("a is a f32 tensor", e.Message);
        Assert.ThrowsAny<ArgumentException>(() => Cpu.Add(f, h, h2));

        e = Assert.Throws<ArgumentException>(() => CudaBackend.ReducedType("Add", new("a", h), new("b", b), new("y", h2)));
        Assert.Contains("b is bf16", e.Message);
        Assert.ThrowsAny<ArgumentException>(() => Cpu.Add(h, b, h2));

        // Only batch norm's parameters may be F32 beside reduced data, and never F64.
        e = Assert.Throws<ArgumentException>(() => CudaBackend.ReducedType("BatchNormForwardInference", new("x", h), new("gamma", d, MayBeF32: true)));
        Assert.Contains("gamma", e.Message);
        using var x = new Tensor([2, 3, 2, 2], DType.F16);
        using var y = new Tensor([2, 3, 2, 2], DType.F16);
        using var p64 = new Tensor([3], DType.F64);
        using var p32 = new Tensor([3], DType.F32);
        Assert.ThrowsAny<ArgumentException>(() => Cpu.BatchNormForwardInference(x, y, p64, p32, p32, p32, 1e-5));
    }

    /// <summary>Every kernel the CUDA backend launches for F16 / BF16 tensors is in the kernel sources' lists (a misspelt name would only fail on a GPU).</summary>
    [Fact]
    public void EveryReducedPrecisionKernelIsDefined()
    {
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, text) in CudaKernels.Sources)
            foreach (var line in text.Split('\n'))
                if (line.StartsWith("// kernels:", StringComparison.Ordinal))
                    listed.UnionWith(line["// kernels:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        string[] families =
        [
            "nn_fill", "nn_scale", "nn_axpy", "nn_add", "nn_relu", "nn_relu_backward", "nn_tanh", "nn_tanh_backward", "nn_add_row_vector",
            "nn_add_channel_bias", "nn_normalize_images_u8", "nn_sum_partials", "nn_sum_squares_partials", "nn_sum_rows", "nn_channel_sum",
            "nn_argmax_rows", "nn_softmax_cross_entropy", "nn_multiclass_hinge", "nn_sgd_momentum", "nn_maxpool_forward", "nn_maxpool_backward",
            "nn_avgpool_forward", "nn_avgpool_backward", "nn_adaptive_avgpool_forward", "nn_adaptive_avgpool_backward", "nn_copy_into_channels",
            "nn_copy_from_channels", "nn_pad_shortcut_forward", "nn_pad_shortcut_backward", "nn_dropout_forward", "nn_dropout_backward",
            "nn_batchnorm_backward_inference", "nn_squared_norms_rows", "nn_l2_combine", "nn_smallest_k", "nn_unscale",
        ];
        var missing = new List<string>();
        foreach (var s in new[] { "f16", "bf16" })
        {
            foreach (var f in families)
            {
                var name = f == "nn_unscale" ? $"nn_unscale_{s}_f32" : $"{f}_{s}";
                if (!listed.Contains(name)) missing.Add(name);
            }
            foreach (var name in new[] { $"nn_scale_shift_u8_{s}", $"nn_scale_shift_{s}_{s}", $"nn_cast_{s}_f32", $"nn_cast_f32_{s}" })
                if (!listed.Contains(name)) missing.Add(name);
        }
        foreach (var name in new[] { "nn_unscale_f32_f32", "nn_unscale_f64_f64" })
            if (!listed.Contains(name)) missing.Add(name);
        Assert.True(missing.Count == 0, $"kernels the CUDA backend launches for F16 / BF16 but no kernel file lists: {string.Join(", ", missing)}");
    }
}
