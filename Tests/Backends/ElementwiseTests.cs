using NativeNets.Backends;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Backends;

public class ElementwiseTests
{
    private static readonly Backend Cpu = CpuBackend.Instance;

    [Fact]
    public void ReluAndItsBackwardMaskByTheOutput()
    {
        using var x = Tensor.FromArray(new float[] { -2, -0.5f, 0, 0.5f, 3 }, 5);
        using var y = Tensor.Zeros(5);
        Cpu.Relu(x, y);
        Assert.Equal(new float[] { 0, 0, 0, 0.5f, 3 }, y.ToArray<float>());
        using var dy = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5 }, 5);
        using var dx = Tensor.Zeros(5);
        Cpu.ReluBackward(y, dy, dx);
        Assert.Equal(new float[] { 0, 0, 0, 4, 5 }, dx.ToArray<float>());
    }

    [Fact]
    public void ReluBackwardOnLongVectorsMatchesScalarRule()
    {
        var rng = new Rng(3);
        var n = 1000;
        var yv = Enumerable.Range(0, n).Select(_ => (float)rng.Uniform(-1, 1)).ToArray();
        var dyv = Enumerable.Range(0, n).Select(_ => (float)rng.Uniform(-1, 1)).ToArray();
        using var y = Tensor.FromArray(yv, n);
        using var dy = Tensor.FromArray(dyv, n);
        using var dx = Tensor.Zeros(n);
        Cpu.ReluBackward(y, dy, dx);
        var got = dx.ToArray<float>();
        for (var i = 0; i < n; i++) Assert.Equal(yv[i] > 0 ? dyv[i] : 0f, got[i]);
    }

    [Fact]
    public void TanhMatchesMathTanh()
    {
        var xs = new float[] { -5, -1, -0.1f, 0, 0.3f, 2, 9 };
        using var x = Tensor.FromArray(xs, xs.Length);
        using var y = Tensor.Zeros(xs.Length);
        Cpu.Tanh(x, y);
        var got = y.ToArray<float>();
        for (var i = 0; i < xs.Length; i++) Assert.Equal(MathF.Tanh(xs[i]), got[i], 1e-6f);
    }

    [Fact]
    public void F32TanhIsWithinFourTenMillionthsEverywhere()
    {
        var n = 2_400_001;
        var xs = new float[n];
        for (var i = 0; i < n; i++) xs[i] = -12f + 24f * i / (n - 1);
        using var x = Tensor.FromArray(xs, n);
        using var y = Tensor.Zeros(n);
        Cpu.Tanh(x, y);
        var got = y.ToArray<float>();
        double worst = 0;
        for (var i = 0; i < n; i++) worst = Math.Max(worst, Math.Abs(got[i] - Math.Tanh(xs[i])));
        Assert.True(worst < 4e-7, $"max error {worst:E2}");
        using var special = Tensor.FromArray(new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-20f, -0f }, 5);
        using var out5 = Tensor.Zeros(5);
        Cpu.Tanh(special, out5);
        var r = out5.ToArray<float>();
        Assert.True(float.IsNaN(r[0]));
        Assert.Equal(new[] { 1f, -1f, 1e-20f }, r[1..4]);
    }

    [Fact]
    public void ScaleShiftConvertsBytesToNormalisedFloats()
    {
        var bytes = Enumerable.Range(0, 37).Select(i => (byte)(i * 7)).ToArray();
        using var u8 = Tensor.FromArray(bytes, bytes.Length);
        using var f = Tensor.Zeros(bytes.Length);
        Cpu.ScaleShift(u8, f, 1 / 255.0, -0.5);
        var got = f.ToArray<float>();
        for (var i = 0; i < bytes.Length; i++) Assert.Equal(bytes[i] / 255f - 0.5f, got[i], 1e-6f);
    }

    [Fact]
    public void CastsRoundTripThroughHalfAndBFloat16()
    {
        var values = new float[] { 0, 1, -2.5f, 1e-3f, 65504, 3.14159f };
        using var f = Tensor.FromArray(values, values.Length);
        using var h = Tensor.Zeros(DType.F16, values.Length);
        using var bf = Tensor.Zeros(DType.BF16, values.Length);
        using var back = Tensor.Zeros(values.Length);
        Cpu.Cast(f, h);
        Cpu.Cast(h, back);
        var fromHalf = back.ToArray<float>();
        Cpu.Cast(f, bf);
        Cpu.Cast(bf, back);
        var fromBf = back.ToArray<float>();
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal((float)(Half)values[i], fromHalf[i]);
            Assert.Equal(values[i], fromBf[i], Math.Abs(values[i]) / 128 + 1e-30f);
        }
        Assert.Equal(0x3F80, BFloat16.FromSingle(1f));
        Assert.Equal(0x3F81, BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(0x3F80C000))); // above half: up
        Assert.Equal(0x3F80, BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(0x3F808000))); // half, even below: down
        Assert.Equal(0x3F82, BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(0x3F818000))); // half, odd below: up to even
    }

    [Fact]
    public void RowVectorAddAndRowSumsAreTransposesOfEachOther()
    {
        using var y = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var b = Tensor.FromArray(new float[] { 10, 20, 30 }, 3);
        Cpu.AddRowVector(y, b);
        Assert.Equal(new float[] { 11, 22, 33, 14, 25, 36 }, y.ToArray<float>());
        using var s = Tensor.FromArray(new float[] { 1, 1, 1 }, 3);
        Cpu.SumRows(y, s, 1);
        Assert.Equal(new float[] { 26, 48, 70 }, s.ToArray<float>());
        Cpu.SumRows(y, s, 0);
        Assert.Equal(new float[] { 25, 47, 69 }, s.ToArray<float>());
    }

    [Fact]
    public void ReductionsAndArgMaxTakeTheFirstOfEqualMaxima()
    {
        using var x = Tensor.FromArray(new float[] { 1, 5, 5, -1, -3, -2, 0, 0, 0 }, 3, 3);
        Assert.Equal(5.0, Cpu.Sum(x), 6);
        Assert.Equal(1 + 25 + 25 + 1 + 9 + 4, Cpu.SumOfSquares(x), 6);
        using var idx = Tensor.Zeros(DType.I32, 3);
        Cpu.ArgMaxRows(x, idx);
        Assert.Equal(new[] { 1, 0, 0 }, idx.ToArray<int>());
    }

    [Fact]
    public void SgdStepFollowsTorchsFormula()
    {
        using var p = Tensor.FromArray(new float[] { 1, -2 }, 2);
        using var g = Tensor.FromArray(new float[] { 0.5f, 0.25f }, 2);
        using var v = Tensor.FromArray(new float[] { 0.1f, -0.1f }, 2);
        Cpu.SgdMomentumStep(p, g, v, lr: 0.1, momentum: 0.9, weightDecay: 0.01);
        // v = 0.9 v + g + wd p ; p -= lr v
        var v0 = 0.9f * 0.1f + 0.5f + 0.01f * 1;
        var v1 = 0.9f * -0.1f + 0.25f + 0.01f * -2;
        Assert.Equal(new[] { v0, v1 }, v.ToArray<float>());
        Assert.Equal(new[] { 1 - 0.1f * v0, -2 - 0.1f * v1 }, p.ToArray<float>());
    }

    [Fact]
    public void LargeSgdStepsSplitOverThreadsMatchTheScalarRule()
    {
        var n = 100_003;
        var rng = new Rng(5);
        var pv = Enumerable.Range(0, n).Select(_ => (float)rng.Uniform(-1, 1)).ToArray();
        var gv = Enumerable.Range(0, n).Select(_ => (float)rng.Uniform(-1, 1)).ToArray();
        using var p = Tensor.FromArray(pv, n);
        using var g = Tensor.FromArray(gv, n);
        using var v = Tensor.Zeros(n);
        Cpu.SgdMomentumStep(p, g, v, 0.5, 0.9, 0.1);
        var got = p.ToArray<float>();
        for (var i = 0; i < n; i += 997) Assert.Equal(pv[i] - 0.5f * (gv[i] + 0.1f * pv[i]), got[i], 1e-6f);
    }

    [Fact]
    public void OpsRefuseMismatchedTensorsAndNameTheOp()
    {
        using var a = Tensor.Zeros(4);
        using var b = Tensor.Zeros(5);
        var e = Assert.Throws<ArgumentException>(() => Cpu.Relu(a, b));
        Assert.Contains("Relu", e.Message);
        using var i = Tensor.Zeros(DType.I32, 4);
        Assert.Throws<ArgumentException>(() => Cpu.Axpy(1, a, i));
        Assert.Throws<NotSupportedException>(() => Cpu.Tanh(i, i));
    }
}

/// <summary>The backend's image normalisation equals the data pipeline's (torchvision's ToTensor + Normalize).</summary>
public class NormalizeImagesTests
{
    [Fact]
    public void BackendNormalisationEqualsTheTransform()
    {
        var rng = new NativeNets.Tensors.Rng(3);
        using var images = new NativeNets.Tensors.Tensor([2, 3, 5, 7], NativeNets.Tensors.DType.U8, NativeNets.Tensors.Device.Cpu, NativeNets.Tensors.Layout.NHWC);
        var bytes = images.Span<byte>();
        for (var i = 0; i < bytes.Length; i++) bytes[i] = (byte)rng.NextInt(256);
        using var viaBackend = new NativeNets.Tensors.Tensor([2, 3, 5, 7]);
        NativeNets.Backends.CpuBackend.Instance.NormalizeImages(images, viaBackend, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
        using var viaTransform = NativeNets.Data.Transforms.Normalize.ImageNet.Apply(images);
        Assert.Equal(viaTransform.ToArray<float>(), viaBackend.ToArray<float>());
        using var wrong = new NativeNets.Tensors.Tensor([2, 3, 5, 7], NativeNets.Tensors.DType.U8);
        Assert.Throws<ArgumentException>(() => NativeNets.Backends.CpuBackend.Instance.NormalizeImages(wrong, viaBackend, [0f, 0f, 0f], [1f, 1f, 1f]));
    }
}
