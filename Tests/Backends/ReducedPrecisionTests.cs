using NativeNets.Backends;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Backends;

/// <summary>
/// F16 and BF16 on the CPU backend: every op computes from the rounded inputs in F32 and rounds each output once, so
/// its result is within one unit in the last place (of the reduced type) of the exact result computed in F64 from
/// the same rounded inputs. Batch-norm parameters stay F32 beside reduced activations; other mixes are refused.
/// </summary>
public class ReducedPrecisionTests
{
    private static readonly CpuBackend Cpu = CpuBackend.Instance;

    public static TheoryData<DType> Reduced() => new() { DType.F16, DType.BF16 };

    private static Tensor Make(DType dtype, double[] values, params int[] dims)
    {
        using var wide = Tensor.FromArray(values, dims);
        var t = new Tensor(dims, dtype, Device.Cpu);
        Cpu.Cast(wide, t);
        return t;
    }

    private static Tensor Random(DType dtype, Rng rng, double scale, params int[] dims) =>
        Make(dtype, Enumerable.Range(0, dims.Aggregate(1, (a, b) => a * b)).Select(_ => rng.Uniform(-scale, scale)).ToArray(), dims);

    /// <summary>An F64 copy with the same (already rounded) values.</summary>
    private static Tensor F64(Tensor t)
    {
        var d = new Tensor(t.Shape, DType.F64, Device.Cpu);
        Cpu.Cast(t, d);
        return d;
    }

    private static double[] Values(Tensor t)
    {
        using var d = F64(t);
        return d.ToArray<double>();
    }

    /// <summary>The spacing of the reduced type at |v|: 10 fraction bits for F16 (subnormal below 2^-14), 7 for BF16.</summary>
    private static double Ulp(double v, DType dtype)
    {
        var a = Math.Abs(v);
        if (dtype == DType.F16)
            return a < Math.Pow(2, -14) ? Math.Pow(2, -24) : Math.Pow(2, Math.Floor(Math.Log2(a)) - 10);
        return a < Math.Pow(2, -126) ? Math.Pow(2, -133) : Math.Pow(2, Math.Floor(Math.Log2(a)) - 7);
    }

    /// <summary>got (reduced) within one ulp of the exact F64 result, plus what F32 accumulation of <paramref name="terms"/> terms may add.</summary>
    private static void AssertWithinOneUlp(Tensor got, Tensor exact64, DType dtype, int terms, string what)
    {
        Assert.Equal(dtype, got.DType);
        var g = Values(got);
        var e = exact64.ToArray<double>();
        Assert.Equal(e.Length, g.Length);
        var scale = e.Select(Math.Abs).DefaultIfEmpty(0).Max();
        for (var i = 0; i < e.Length; i++)
        {
            var tolerance = Ulp(e[i], dtype) + terms * 1.2e-7 * scale;
            Assert.True(Math.Abs(g[i] - e[i]) <= tolerance, $"{what} [{i}]: {g[i]}, exact {e[i]} (tolerance {tolerance:G3}, {dtype.Name()})");
        }
    }

    [Theory]
    [MemberData(nameof(Reduced))]
    public void GemmRoundsOnceFromTheExactProductAndAccumulatesIntoC(DType dtype)
    {
        var rng = new Rng(7);
        const int m = 17, n = 13, k = 300;
        using var a = Random(dtype, rng, 1, k, m); // transposed A
        using var b = Random(dtype, rng, 1, n, k); // transposed B
        using var c = Random(dtype, rng, 4, m, n);
        using var a64 = F64(a);
        using var b64 = F64(b);
        using var c64 = F64(c);
        Cpu.Gemm(true, true, 0.75, a, b, 0.5, c);
        Cpu.Gemm(true, true, 0.75, a64, b64, 0.5, c64);
        AssertWithinOneUlp(c, c64, dtype, k, "C");
    }

    [Theory]
    [MemberData(nameof(Reduced))]
    public void ConvolutionForwardAndBothBackwardsMatchFloat64(DType dtype)
    {
        var rng = new Rng(11);
        var g = Conv2dGeometry.Square(stride: 2, padding: 1);
        using var x = Random(dtype, rng, 1, 2, 3, 9, 9);
        using var w = Random(dtype, rng, 0.5, 4, 3, 3, 3);
        using var bias = Random(dtype, rng, 0.5, 4);
        var (oh, ow) = g.OutputSize(9, 9, 3, 3);
        using var y = new Tensor([2, 4, oh, ow], dtype, Device.Cpu);
        using var x64 = F64(x);
        using var w64 = F64(w);
        using var bias64 = F64(bias);
        using var y64 = new Tensor([2, 4, oh, ow], DType.F64, Device.Cpu);
        Cpu.ConvForward(x, w, bias, y, g);
        Cpu.ConvForward(x64, w64, bias64, y64, g);
        AssertWithinOneUlp(y, y64, dtype, 27, "y");

        using var dy = Random(dtype, rng, 1, 2, 4, oh, ow);
        using var dy64 = F64(dy);
        using var dx = new Tensor(x.Shape, dtype, Device.Cpu);
        using var dx64 = new Tensor(x.Shape, DType.F64, Device.Cpu);
        Cpu.ConvBackwardData(dy, w, dx, g);
        Cpu.ConvBackwardData(dy64, w64, dx64, g);
        AssertWithinOneUlp(dx, dx64, dtype, 36, "dx");

        // beta = 1: the gradient accumulates into what the weight gradient already holds (in F32, rounded once).
        using var dw = Random(dtype, rng, 1, 4, 3, 3, 3);
        using var dw64 = F64(dw);
        Cpu.ConvBackwardFilter(x, dy, dw, g, beta: 1);
        Cpu.ConvBackwardFilter(x64, dy64, dw64, g, beta: 1);
        AssertWithinOneUlp(dw, dw64, dtype, 2 * oh * ow + 1, "dw");
    }

    [Theory]
    [MemberData(nameof(Reduced))]
    public void BatchNormKeepsItsParametersAndStatisticsInF32(DType dtype)
    {
        var rng = new Rng(5);
        using var x = Random(dtype, rng, 3, 4, 3, 5, 5);
        using var x64 = F64(x);
        Tensor F32(params double[] v) => Tensor.FromArray(v.Select(d => (float)d).ToArray(), v.Length);
        Tensor F64Of(params double[] v) => Tensor.FromArray(v, v.Length);
        using var gamma = F32(1.5, 0.5, -1);
        using var beta = F32(0.25, -0.5, 1);
        using var mean = F32(0, 0, 0);
        using var variance = F32(1, 1, 1);
        using var saveMean = F32(0, 0, 0);
        using var saveInvStd = F32(0, 0, 0);
        using var gamma64 = F64Of(1.5, 0.5, -1);
        using var beta64 = F64Of(0.25, -0.5, 1);
        using var mean64 = F64Of(0, 0, 0);
        using var variance64 = F64Of(1, 1, 1);
        using var saveMean64 = F64Of(0, 0, 0);
        using var saveInvStd64 = F64Of(0, 0, 0);
        using var y = new Tensor(x.Shape, dtype, Device.Cpu);
        using var y64 = new Tensor(x.Shape, DType.F64, Device.Cpu);
        Cpu.BatchNormForwardTraining(x, y, gamma, beta, mean, variance, 0.1, 1e-5, saveMean, saveInvStd);
        Cpu.BatchNormForwardTraining(x64, y64, gamma64, beta64, mean64, variance64, 0.1, 1e-5, saveMean64, saveInvStd64);
        AssertWithinOneUlp(y, y64, dtype, 100, "y");
        Assert.Equal(DType.F32, mean.DType);
        var (m, m64) = (mean.ToArray<float>(), mean64.ToArray<double>());
        for (var c = 0; c < 3; c++) Assert.Equal(m64[c], m[c], 5);

        using var dy = Random(dtype, rng, 1, 4, 3, 5, 5);
        using var dy64 = F64(dy);
        using var dx = new Tensor(x.Shape, dtype, Device.Cpu);
        using var dx64 = new Tensor(x.Shape, DType.F64, Device.Cpu);
        using var dgamma = F32(0, 0, 0);
        using var dbeta = F32(0, 0, 0);
        using var dgamma64 = F64Of(0, 0, 0);
        using var dbeta64 = F64Of(0, 0, 0);
        Cpu.BatchNormBackwardTraining(x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd);
        Cpu.BatchNormBackwardTraining(x64, dy64, dx64, gamma64, dgamma64, dbeta64, saveMean64, saveInvStd64);
        AssertWithinOneUlp(dx, dx64, dtype, 200, "dx");
        var (dg, dg64) = (dgamma.ToArray<float>(), dgamma64.ToArray<double>());
        for (var c = 0; c < 3; c++) Assert.True(Math.Abs(dg[c] - dg64[c]) <= 1e-4 * (1 + Math.Abs(dg64[c])), $"dgamma[{c}] {dg[c]} vs {dg64[c]}");
    }

    [Theory]
    [MemberData(nameof(Reduced))]
    public void SoftmaxCrossEntropyScalesTheGradientAndNotTheLoss(DType dtype)
    {
        var rng = new Rng(3);
        using var logits = Random(dtype, rng, 4, 6, 10);
        using var logits64 = F64(logits);
        using var labels = Tensor.FromArray(new[] { 0, 3, 9, 1, 1, 7 }, 6);
        using var grad = new Tensor(logits.Shape, dtype, Device.Cpu);
        using var grad64 = new Tensor(logits.Shape, DType.F64, Device.Cpu);
        var loss = Cpu.SoftmaxCrossEntropy(logits, labels, grad, gradScale: 1024);
        var loss64 = Cpu.SoftmaxCrossEntropy(logits64, labels, grad64, gradScale: 1024);
        Assert.Equal(loss64, loss, 5);
        AssertWithinOneUlp(grad, grad64, dtype, 10, "dlogits");
    }

    [Theory]
    [MemberData(nameof(Reduced))]
    public void ElementwiseOpsRoundOnceAndInPlaceOpsStayInPlace(DType dtype)
    {
        var rng = new Rng(9);
        using var x = Random(dtype, rng, 2, 1000);
        var x64 = F64(x);
        Cpu.Scale(x, 0.3);
        Cpu.Scale(x64, 0.3);
        AssertWithinOneUlp(x, x64, dtype, 1, "scale in place");

        // Each reference starts from the rounded values the reduced op starts from.
        x64.Dispose();
        x64 = F64(x);
        Cpu.Add(x, x, x); // one tensor three times: one twin, written back once
        Cpu.Add(x64, x64, x64);
        AssertWithinOneUlp(x, x64, dtype, 1, "x + x in place");

        x64.Dispose();
        x64 = F64(x);
        using var y = new Tensor(x.Shape, dtype, Device.Cpu);
        using var y64 = new Tensor(x.Shape, DType.F64, Device.Cpu);
        Cpu.Tanh(x, y);
        Cpu.Tanh(x64, y64);
        x64.Dispose();
        AssertWithinOneUlp(y, y64, dtype, 2, "tanh");

        var pixels = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        using var u8 = Tensor.FromArray(pixels, 256);
        using var normalised = new Tensor([256], dtype, Device.Cpu);
        using var normalised64 = new Tensor([256], DType.F64, Device.Cpu);
        Cpu.ScaleShift(u8, normalised, 1 / (255 * 0.35), -0.29 / 0.35);
        Cpu.ScaleShift(u8, normalised64, 1 / (255 * 0.35), -0.29 / 0.35);
        AssertWithinOneUlp(normalised, normalised64, dtype, 2, "U8 to reduced");
    }

    [Theory]
    [MemberData(nameof(Reduced))]
    public void PoolingAndArgMaxAgreeWithF32OnTheRoundedValues(DType dtype)
    {
        var rng = new Rng(21);
        using var x = Random(dtype, rng, 5, 2, 3, 8, 8);
        using var x32 = new Tensor(x.Shape, DType.F32, Device.Cpu);
        Cpu.Cast(x, x32);
        var g = Pool2dGeometry.Square(kernel: 3, stride: 2, padding: 1);
        var (oh, ow) = g.OutputSize(8, 8);
        using var y = new Tensor([2, 3, oh, ow], dtype, Device.Cpu);
        using var y32 = new Tensor([2, 3, oh, ow], DType.F32, Device.Cpu);
        Cpu.MaxPoolForward(x, y, g);
        Cpu.MaxPoolForward(x32, y32, g);
        // A maximum is one of the inputs: exact in any precision.
        Assert.Equal(y32.ToArray<float>(), Values(y).Select(v => (float)v).ToArray());

        using var rows = x.Reshape(6, 64);
        using var rows32 = x32.Reshape(6, 64);
        using var idx = new Tensor([6], DType.I32, Device.Cpu);
        using var idx32 = new Tensor([6], DType.I32, Device.Cpu);
        Cpu.ArgMaxRows(rows, idx);
        Cpu.ArgMaxRows(rows32, idx32);
        Assert.Equal(idx32.ToArray<int>(), idx.ToArray<int>());
    }

    [Fact]
    public void MixedDTypesInOneOpAreRefusedByName()
    {
        using var a = new Tensor([4, 4], DType.F16, Device.Cpu);
        using var b32 = new Tensor([4, 4], DType.F32, Device.Cpu);
        using var bBf = new Tensor([4, 4], DType.BF16, Device.Cpu);
        using var c = new Tensor([4, 4], DType.F16, Device.Cpu);
        var e = Assert.Throws<ArgumentException>(() => Cpu.Gemm(false, false, 1, a, b32, 0, c));
        Assert.Contains("Gemm", e.Message);
        Assert.Contains("f32", e.Message);
        e = Assert.Throws<ArgumentException>(() => Cpu.Gemm(false, false, 1, a, bBf, 0, c));
        Assert.Contains("bf16", e.Message);
        Assert.Contains("f16", e.Message);

        // Batch norm: F32 parameters are what mixed precision keeps; F64 ones beside F16 data are a mistake.
        using var x = new Tensor([2, 4, 3, 3], DType.F16, Device.Cpu);
        using var y = new Tensor([2, 4, 3, 3], DType.F16, Device.Cpu);
        using var p64 = new Tensor([4], DType.F64, Device.Cpu);
        e = Assert.Throws<ArgumentException>(() => Cpu.BatchNormForwardInference(x, y, p64, p64, p64, p64, 1e-5));
        Assert.Contains("BatchNormForwardInference", e.Message);
        Assert.Contains("f64", e.Message);
    }

    [Fact]
    public void CastBetweenF32AndF16IsBitIdenticalToTheScalarConversions()
    {
        // Every half to float, exactly.
        var halves = Enumerable.Range(0, 65536).Select(i => BitConverter.UInt16BitsToHalf((ushort)i)).ToArray();
        using var h = new Tensor([halves.Length], DType.F16, Device.Cpu);
        h.CopyFrom<Half>(halves);
        using var f = new Tensor([halves.Length], DType.F32, Device.Cpu);
        Cpu.Cast(h, f);
        var got = f.ToArray<float>();
        for (var i = 0; i < halves.Length; i++)
            Assert.Equal(BitConverter.SingleToUInt32Bits((float)halves[i]), BitConverter.SingleToUInt32Bits(got[i]));

        // Floats to half and to bfloat16: halfway cases, overflow, subnormals, infinities, NaN and random bits.
        var rng = new Rng(1);
        var floats = new List<float> { 0f, -0f, 65504f, 65519.99f, 65520f, 1e9f, -1e9f, 6e-8f, 2.98e-8f, 1e-30f, float.Epsilon,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1.00048828125f, 1.00146484375f, 3.3895314e38f, float.MaxValue };
        for (var i = 0; i < 20000; i++) floats.Add(BitConverter.UInt32BitsToSingle((uint)rng.NextUInt64()));
        using var source = Tensor.FromArray(floats.ToArray(), floats.Count);
        using var toHalf = new Tensor([floats.Count], DType.F16, Device.Cpu);
        using var toBf16 = new Tensor([floats.Count], DType.BF16, Device.Cpu);
        Cpu.Cast(source, toHalf);
        Cpu.Cast(source, toBf16);
        var gotHalf = toHalf.ToArray<Half>();
        var gotBf16 = toBf16.ToArray<ushort>();
        for (var i = 0; i < floats.Count; i++)
        {
            var want = (Half)(double)floats[i];
            if (Half.IsNaN(want)) Assert.True(Half.IsNaN(gotHalf[i]), $"{floats[i]} to half");
            else Assert.Equal(BitConverter.HalfToUInt16Bits(want), BitConverter.HalfToUInt16Bits(gotHalf[i]));
            Assert.Equal(BFloat16.FromSingle(floats[i]), gotBf16[i]);
        }
    }

    [Fact]
    public void UnscaleGradientsWritesMasterGradientsAndReportsOverflow()
    {
        using var g16 = Make(DType.F16, [1024, -2048, 0.5], 3);
        using var m16 = new Tensor([3], DType.F32, Device.Cpu);
        using var gB = Make(DType.BF16, [256, 3], 2);
        using var mB = new Tensor([2], DType.F32, Device.Cpu);
        using var g32 = Tensor.FromArray(new[] { 8f, -16f }, 2); // F32: scaled in place
        Assert.True(Cpu.UnscaleGradients([g16, gB, g32], [m16, mB, g32], 1.0 / 1024));
        Assert.Equal([1f, -2f, 0.5f / 1024], m16.ToArray<float>());
        Assert.Equal([0.25f, 3f / 1024], mB.ToArray<float>());
        Assert.Equal([8f / 1024, -16f / 1024], g32.ToArray<float>());

        using var inf = Make(DType.F16, [1, double.PositiveInfinity, 2], 3);
        Assert.False(Cpu.UnscaleGradients([g16, inf], [m16, m16], 1));
        using var nan = Make(DType.BF16, [double.NaN, 0], 2);
        Assert.False(Cpu.UnscaleGradients([nan], [mB], 0.5));
        Assert.Throws<ArgumentException>(() => Cpu.UnscaleGradients([g16], [mB], 1)); // 3 values into 2
        Assert.Throws<ArgumentException>(() => Cpu.UnscaleGradients([g16], [], 1));
    }
}
