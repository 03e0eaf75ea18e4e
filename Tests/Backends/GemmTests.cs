using NativeNets.Backends;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Backends;

public class GemmTests
{
    private static readonly Backend Cpu = CpuBackend.Instance;

    public static TheoryData<int, int, int, bool, bool> Shapes()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        var shapes = new[] { (1, 1, 1), (5, 7, 3), (6, 32, 16), (13, 33, 70), (97, 45, 300), (256, 100, 784), (64, 500, 257), (6, 25, 5000) };
        foreach (var (m, n, k) in shapes)
            foreach (var ta in new[] { false, true })
                foreach (var tb in new[] { false, true })
                    data.Add(m, n, k, ta, tb);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void F32GemmMatchesTheDoubleReference(int m, int n, int k, bool ta, bool tb)
    {
        var rng = new Rng((ulong)(m * 1000 + n * 10 + k));
        var a = Random(rng, ta ? [k, m] : [m, k]);
        var b = Random(rng, tb ? [n, k] : [k, n]);
        var c0 = Random(rng, [m, n]);
        using var ta32 = Tensor.FromArray(a.Select(v => (float)v).ToArray(), ta ? [k, m] : [m, k]);
        using var tb32 = Tensor.FromArray(b.Select(v => (float)v).ToArray(), tb ? [n, k] : [k, n]);
        using var tc32 = Tensor.FromArray(c0.Select(v => (float)v).ToArray(), m, n);
        Cpu.Gemm(ta, tb, 0.75, ta32, tb32, 0.5, tc32);

        using var ta64 = Tensor.FromArray(a, ta ? [k, m] : [m, k]);
        using var tb64 = Tensor.FromArray(b, tb ? [n, k] : [k, n]);
        using var tc64 = Tensor.FromArray(c0, m, n);
        Cpu.Gemm(ta, tb, 0.75, ta64, tb64, 0.5, tc64);

        var got = tc32.ToArray<float>();
        var want = tc64.ToArray<double>();
        for (var i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= 1e-5 * k + 1e-5, $"C[{i / n}, {i % n}] = {got[i]}, expected {want[i]} (m={m} n={n} k={k} ta={ta} tb={tb})");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public unsafe void F64GemmMatchesTheTripleLoop(int m, int n, int k, bool ta, bool tb)
    {
        var rng = new Rng((ulong)(m * 7 + n * 3 + k));
        var a = Random(rng, ta ? [k, m] : [m, k]);
        var b = Random(rng, tb ? [n, k] : [k, n]);
        var c = Random(rng, [m, n]);
        var want = (double[])c.Clone();
        fixed (double* pa = a, pb = b, pw = want) CpuBackend.GemmReference(ta, tb, m, n, k, 1.5, pa, pb, -0.5, pw);
        using var tc = Tensor.FromArray(c, m, n);
        using var ta64 = Tensor.FromArray(a, ta ? [k, m] : [m, k]);
        using var tb64 = Tensor.FromArray(b, tb ? [n, k] : [k, n]);
        Cpu.Gemm(ta, tb, 1.5, ta64, tb64, -0.5, tc);
        var got = tc.ToArray<double>();
        for (var i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 1e-9);
    }

    [Fact]
    public void ReferenceGemmComputesAKnownProduct()
    {
        using var a = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var b = Tensor.FromArray(new double[] { 7, 8, 9, 10, 11, 12 }, 3, 2);
        using var c = Tensor.Zeros(DType.F64, 2, 2);
        Cpu.Gemm(false, false, 1, a, b, 0, c);
        Assert.Equal(new double[] { 58, 64, 139, 154 }, c.ToArray<double>());
    }

    [Fact]
    public void BetaZeroIgnoresWhatCHeld()
    {
        using var a = Tensor.FromArray(new float[] { 1, 2 }, 1, 2);
        using var b = Tensor.FromArray(new float[] { 3, 4 }, 2, 1);
        using var c = Tensor.FromArray(new[] { float.NaN }, 1, 1);
        Cpu.Gemm(false, false, 1, a, b, 0, c);
        Assert.Equal(11f, c.ToArray<float>()[0]);
    }

    [Fact]
    public void MismatchedShapesAreRefusedWithBothShapes()
    {
        using var a = Tensor.Zeros(3, 4);
        using var b = Tensor.Zeros(5, 2);
        using var c = Tensor.Zeros(3, 2);
        var e = Assert.Throws<ArgumentException>(() => Cpu.Gemm(false, false, 1, a, b, 0, c));
        Assert.Contains("[3, 4]", e.Message);
        Assert.Contains("[5, 2]", e.Message);
    }

    private static double[] Random(Rng rng, int[] dims)
    {
        var v = new double[dims.Aggregate(1, (x, y) => x * y)];
        for (var i = 0; i < v.Length; i++) v[i] = Math.Round(rng.Uniform(-1, 1), 3);
        return v;
    }
}
