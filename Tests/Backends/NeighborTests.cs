using NativeNets.Backends;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Backends;

public class NeighborTests
{
    private static readonly Backend Cpu = CpuBackend.Instance;

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(9, 200, 784)]   // Fashion-MNIST rows: 12 x 64 bytes + 16
    [InlineData(5, 17, 100)]    // 64 + 32 + 4: every vector width and the scalar tail
    public void L1DistancesOnBytesAreExact(int q, int r, int d)
    {
        var rng = new Rng((ulong)(q * r * d));
        var qb = Bytes(rng, q * d);
        var rb = Bytes(rng, r * d);
        using var queries = Tensor.FromArray(qb, q, d);
        using var refs = Tensor.FromArray(rb, r, d);
        using var dist = Tensor.Zeros(DType.I32, q, r);
        Cpu.L1DistancesU8(queries, refs, dist);
        var got = dist.ToArray<int>();
        for (var i = 0; i < q; i++)
            for (var j = 0; j < r; j++)
            {
                var s = 0;
                for (var k = 0; k < d; k++) s += Math.Abs(qb[i * d + k] - rb[j * d + k]);
                Assert.Equal(s, got[i * r + j]);
            }
    }

    [Fact]
    public void SquaredL2DistancesMatchTheDirectSum()
    {
        var rng = new Rng(4);
        int q = 7, r = 40, d = 33;
        var qv = Enumerable.Range(0, q * d).Select(_ => (float)rng.Uniform(0, 1)).ToArray();
        var rv = Enumerable.Range(0, r * d).Select(_ => (float)rng.Uniform(0, 1)).ToArray();
        using var queries = Tensor.FromArray(qv, q, d);
        using var refs = Tensor.FromArray(rv, r, d);
        var normValues = Enumerable.Range(0, r).Select(j => rv.Skip(j * d).Take(d).Sum(v => v * v)).ToArray();
        using var norms = Tensor.FromArray(normValues, r);
        using var dist = Tensor.Zeros(q, r);
        Cpu.SquaredL2Distances(queries, refs, norms, dist);
        var got = dist.ToArray<float>();
        for (var i = 0; i < q; i++)
            for (var j = 0; j < r; j++)
            {
                double s = 0;
                for (var k = 0; k < d; k++) s += Math.Pow(qv[i * d + k] - rv[j * d + k], 2);
                Assert.Equal(s, got[i * r + j], 1e-4);
            }
    }

    [Fact]
    public void SmallestKIsSortedAndEqualDistancesKeepTheLowerIndex()
    {
        using var dist = Tensor.FromArray(new[] { 5, 3, 9, 3, 1, 3, 7, 1 }, 1, 8);
        using var idx = Tensor.Zeros(DType.I32, 1, 4);
        Cpu.SmallestK(dist, 4, idx);
        Assert.Equal(new[] { 4, 7, 1, 3 }, idx.ToArray<int>());
    }

    [Fact]
    public void SmallestKMatchesAStableSortOnRandomRows()
    {
        var rng = new Rng(12);
        int q = 20, r = 300, k = 7;
        var values = Enumerable.Range(0, q * r).Select(_ => rng.NextInt(50)).ToArray();
        using var dist = Tensor.FromArray(values, q, r);
        using var idx = Tensor.Zeros(DType.I32, q, k);
        Cpu.SmallestK(dist, k, idx);
        var got = idx.ToArray<int>();
        for (var i = 0; i < q; i++)
        {
            var want = Enumerable.Range(0, r).OrderBy(j => values[i * r + j]).ThenBy(j => j).Take(k).ToArray();
            Assert.Equal(want, got.AsSpan(i * k, k).ToArray());
        }
    }

    [Fact]
    public void SmallestKRefusesKLargerThanTheReferences()
    {
        using var dist = Tensor.Zeros(DType.I32, 2, 3);
        using var idx = Tensor.Zeros(DType.I32, 2, 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => Cpu.SmallestK(dist, 4, idx));
    }

    private static byte[] Bytes(Rng rng, int n)
    {
        var b = new byte[n];
        for (var i = 0; i < n; i++) b[i] = (byte)rng.NextInt(256);
        return b;
    }
}
