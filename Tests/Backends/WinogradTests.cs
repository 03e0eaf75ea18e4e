using NativeNets.Backends;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Backends;

/// <summary>
/// The CPU's Winograd F(2x2, 3x3) and F(4x4, 3x3) paths (3x3, stride 1, F32, 16 channels or more) against the exact
/// float64 convolution, forward, backward data and backward filter: odd and even sizes (partial tiles at the bottom and
/// right), paddings 0, 1 and 2, one image and several chunks, and both ways of sharing the work between threads (chunks
/// of images, or the whole batch with channels and planes split).
/// </summary>
public class WinogradTests
{
    private static readonly CpuBackend Cpu = CpuBackend.Instance;

    public static TheoryData<int, int, int, int, int, int, int, bool> Shapes() => new()
    {
        // n, c, o, h, w, pad; then the tile side the shape gets and whether the batch runs as one chunk split by planes
        { 1, 16, 16, 8, 8, 1, 2, true },
        { 2, 16, 24, 7, 7, 1, 2, true },
        { 3, 32, 16, 9, 5, 0, 2, true },
        { 2, 16, 16, 6, 11, 2, 2, true },
        { 5, 64, 64, 28, 28, 1, 2, true },
        { 4, 128, 32, 4, 4, 1, 2, true },
        { 40, 16, 16, 14, 14, 1, 2, false },
        { 2, 20, 18, 6, 6, 1, 2, true }, // channel counts that are not multiples of 8: the transforms' scalar tails
        { 8, 16, 16, 28, 28, 1, 4, true },
        { 24, 16, 16, 28, 28, 1, 4, false },
        { 64, 16, 24, 7, 7, 1, 4, true }, // one 2x2 block of 4x4 tiles per image, the last ones hanging over the edge
        { 48, 20, 18, 13, 9, 2, 4, true },
        { 30, 16, 16, 30, 30, 0, 4, false },
    };

    private static (Tensor F32, Tensor F64) Random(Rng rng, params int[] dims)
    {
        var values = Enumerable.Range(0, dims.Aggregate(1, (a, b) => a * b)).Select(_ => (double)(float)rng.Uniform(-1, 1)).ToArray();
        return (Tensor.FromArray(values.Select(v => (float)v).ToArray(), dims), Tensor.FromArray(values, dims));
    }

    private static void AssertClose(Tensor got32, Tensor want64, string what)
    {
        var got = got32.ToArray<float>();
        var want = want64.ToArray<double>();
        var scale = want.Max(Math.Abs);
        for (var i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= 1e-5 * scale + 1e-6, $"{what}[{i}] = {got[i]}, exact {want[i]} (largest {scale})");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBothBackwardsMatchTheExactConvolution(int n, int c, int o, int h, int w, int pad, int tile, bool byPlanes)
    {
        var g = Conv2dGeometry.Square(stride: 1, padding: pad);
        Assert.True(CpuBackend.WinogradApplies(c, o, 3, 3, g));
        var rng = new Rng((ulong)(n * 1000 + c * 10 + h + pad));
        var (oh, ow) = g.OutputSize(h, w, 3, 3);
        Assert.Equal((tile, byPlanes), CpuBackend.WinogradPlan(n, oh, ow));
        // The same layer on other values first, so that whatever a pass leaves unwritten (or another thread overwrites)
        // holds stale numbers, not zeros that happen to be right.
        Stale(n, c, o, h, w, g, rng);
        var (x, x64) = Random(rng, n, c, h, w);
        var (k, k64) = Random(rng, o, c, 3, 3);
        var (b, b64) = Random(rng, o);
        using (x) using (x64) using (k) using (k64) using (b) using (b64)
        {
            using var y = new Tensor([n, o, oh, ow], DType.F32, Device.Cpu);
            using var y64 = new Tensor([n, o, oh, ow], DType.F64, Device.Cpu);
            Cpu.ConvForward(x, k, b, y, g);
            Cpu.ConvForward(x64, k64, b64, y64, g);
            AssertClose(y, y64, "y");

            var (dy, dy64) = Random(rng, n, o, oh, ow);
            using (dy) using (dy64)
            {
                using var dx = new Tensor([n, c, h, w], DType.F32, Device.Cpu);
                using var dx64 = new Tensor([n, c, h, w], DType.F64, Device.Cpu);
                Cpu.Fill(dx, 123); // overwritten, not accumulated
                Cpu.ConvBackwardData(dy, k, dx, g);
                Cpu.ConvBackwardData(dy64, k64, dx64, g);
                AssertClose(dx, dx64, "dx");

                // The weight gradient, overwritten (beta 0) and then accumulated (beta 1) onto what it holds.
                var (dw, dw64) = Random(rng, o, c, 3, 3);
                using (dw) using (dw64)
                {
                    Cpu.ConvBackwardFilter(x, dy, dw, g, beta: 0);
                    Cpu.ConvBackwardFilter(x64, dy64, dw64, g, beta: 0);
                    AssertClose(dw, dw64, "dw");
                    Cpu.ConvBackwardFilter(x, dy, dw, g, beta: 1);
                    Cpu.ConvBackwardFilter(x64, dy64, dw64, g, beta: 1);
                    AssertClose(dw, dw64, "dw accumulated");
                }
            }
        }
    }

    private static void Stale(int n, int c, int o, int h, int w, Conv2dGeometry g, Rng rng)
    {
        var (oh, ow) = g.OutputSize(h, w, 3, 3);
        var ((x, x64), (k, k64), (dy, dy64)) = (Random(rng, n, c, h, w), Random(rng, o, c, 3, 3), Random(rng, n, o, oh, ow));
        using var _ = new Disposables(x, x64, k, k64, dy, dy64);
        using var y = new Tensor([n, o, oh, ow], DType.F32, Device.Cpu);
        using var dx = new Tensor([n, c, h, w], DType.F32, Device.Cpu);
        using var dw = new Tensor([o, c, 3, 3], DType.F32, Device.Cpu);
        Cpu.ConvForward(x, k, null, y, g);
        Cpu.ConvBackwardData(dy, k, dx, g);
        Cpu.ConvBackwardFilter(x, dy, dw, g, beta: 0);
    }

    private sealed class Disposables(params IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items) item.Dispose();
        }
    }

    [Fact]
    public void OnlyStrideOneThreeByThreeF32LayersWithEnoughChannelsTakeIt()
    {
        Assert.False(CpuBackend.WinogradApplies(16, 16, 3, 3, Conv2dGeometry.Square(stride: 2, padding: 1)));
        Assert.False(CpuBackend.WinogradApplies(16, 16, 5, 5, Conv2dGeometry.Square(padding: 2)));
        Assert.False(CpuBackend.WinogradApplies(3, 64, 3, 3, Conv2dGeometry.Square(padding: 1)));
        Assert.False(CpuBackend.WinogradApplies(32, 32, 3, 3, Conv2dGeometry.Square(padding: 1, groups: 2)));
        Assert.False(CpuBackend.WinogradApplies(32, 32, 3, 3, Conv2dGeometry.Square(padding: 1, dilation: 2)));
        Assert.True(CpuBackend.WinogradApplies(64, 64, 3, 3, Conv2dGeometry.Square(padding: 1)));
    }
}
