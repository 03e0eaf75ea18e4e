using NativeNets.Backends;
using NativeNets.Modules;
using NativeNets.Tensors;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Modules;

/// <summary>Central-difference checks in float64 for every CNN layer and composite.</summary>
public class CnnGradientTests
{
    public static TheoryData<int, int, int, int, int, int, int, bool> ConvCases() => new()
    {
        // in, out, kernel, stride, padding, dilation, groups, bias
        { 3, 4, 3, 1, 0, 1, 1, true },
        { 3, 5, 3, 2, 1, 1, 1, true },
        { 2, 3, 3, 1, 2, 2, 1, false },
        { 4, 6, 3, 1, 1, 1, 2, true },
        { 4, 4, 3, 1, 1, 1, 4, false },
        { 6, 8, 1, 1, 0, 1, 1, true },   // pointwise: no im2col
        { 6, 8, 1, 2, 0, 1, 1, false },
        { 3, 2, 5, 3, 2, 1, 1, true },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv2d(int cin, int cout, int k, int stride, int pad, int dil, int groups, bool bias)
    {
        var rng = new Rng((ulong)(cin * 100 + cout * 10 + k));
        using var layer = new Conv2d(cin, cout, k, stride, pad, dil, groups, bias, rng, DType.F64);
        using var x = GradientChecker.RandomTensor(rng, -1, 1, 2, cin, 7, 6);
        GradientChecker.CheckLayer(layer, x);
    }

    [Fact]
    public void Conv2dOnABatchLargerThanTheThreadCount()
    {
        var rng = new Rng(41);
        using var layer = new Conv2d(2, 3, 3, 1, 1, bias: true, rng: rng, dtype: DType.F64);
        using var x = GradientChecker.RandomTensor(rng, -1, 1, 5, 2, 4, 4);
        GradientChecker.CheckLayer(layer, x);
    }

    [Fact]
    public void Conv2dWhoseKernelCoversTheInputIsAFullyConnectedLayer()
    {
        var rng = new Rng(42);
        using var layer = new Conv2d(4, 5, 3, rng: rng, dtype: DType.F64); // fan-in 36: past the direct kernel
        using var x = GradientChecker.RandomTensor(rng, -1, 1, 3, 4, 3, 3);
        GradientChecker.CheckLayer(layer, x);
        Assert.Equal(new[] { 3, 5, 1, 1 }, layer.Forward(x).Shape);
    }

    [Theory]
    [InlineData(2, 2, 0, false)]
    [InlineData(3, 2, 0, true)]
    [InlineData(3, 2, 1, false)]
    [InlineData(3, 1, 1, true)]
    public void MaxPool2d(int k, int s, int p, bool ceil)
    {
        using var layer = new MaxPool2d(k, s, p, ceil);
        // Distinct values, so that no window has two maxima within a difference step.
        var values = Enumerable.Range(0, 2 * 3 * 7 * 8).Select(i => (double)i).ToArray();
        new Rng(5).Shuffle(values.AsSpan());
        using var x = Tensor.FromArray(values.Select(v => v * 0.01).ToArray(), 2, 3, 7, 8);
        GradientChecker.CheckLayer(layer, x);
    }

    [Theory]
    [InlineData(2, 2, 0, false, true)]
    [InlineData(3, 2, 1, false, true)]
    [InlineData(3, 2, 1, true, false)]
    [InlineData(3, 2, 0, true, true)]
    public void AvgPool2d(int k, int s, int p, bool ceil, bool includePad)
    {
        using var layer = new AvgPool2d(k, s, p, ceil, includePad);
        using var x = GradientChecker.RandomTensor(new Rng(6), -1, 1, 2, 3, 7, 8);
        GradientChecker.CheckLayer(layer, x);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(6, 6)]
    public void AdaptiveAvgPool2d(int oh, int ow)
    {
        using var layer = new AdaptiveAvgPool2d(oh, ow);
        using var x = GradientChecker.RandomTensor(new Rng(7), -1, 1, 2, 3, 5, 7);
        GradientChecker.CheckLayer(layer, x);
    }

    [Theory]
    [InlineData(5, 1e-4, 0.75, 2.0)]
    [InlineData(3, 0.5, 0.75, 1.0)]
    [InlineData(4, 0.9, 0.6, 1.5)]
    public void LocalResponseNorm(int size, double alpha, double beta, double k)
    {
        using var layer = new LocalResponseNorm(size, alpha, beta, k);
        using var x = GradientChecker.RandomTensor(new Rng(8), -1.5, 1.5, 2, 7, 3, 3);
        GradientChecker.CheckLayer(layer, x);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BatchNorm2d(bool training)
    {
        using var layer = new BatchNorm2d(3, dtype: DType.F64) { Training = training };
        var rng = new Rng(9);
        layer.Weight.Value.CopyFrom<double>([1.5, 0.5, -1]);
        layer.Bias.Value.CopyFrom<double>([0.1, -0.2, 0.3]);
        layer.RunningMean.CopyFrom<double>([0.2, -0.1, 0]);
        layer.RunningVar.CopyFrom<double>([1.3, 0.7, 2]);
        using var x = GradientChecker.RandomTensor(rng, -2, 2, 3, 3, 2, 3);
        GradientChecker.CheckLayer(layer, x);
    }

    [Fact]
    public void BatchNormRunningStatisticsFollowPyTorch()
    {
        using var layer = new BatchNorm2d(1, dtype: DType.F64);
        using var x = Tensor.FromArray(new double[] { 1, 2, 3, 6 }, 2, 1, 1, 2);
        layer.Forward(x);
        // mean 3, biased var 3.5, unbiased 14/3; momentum 0.1 from (0, 1).
        Assert.Equal(0.3, layer.RunningMean.ToArray<double>()[0], 12);
        Assert.Equal(0.9 + 0.1 * 14.0 / 3, layer.RunningVar.ToArray<double>()[0], 12);
        Assert.Equal(1, layer.NumBatchesTracked);
    }

    [Fact]
    public void DropoutMaskIsSeededAndScaled()
    {
        using var layer = new Dropout(0.25, seed: 3);
        using var x = Tensor.FromArray(Enumerable.Repeat(1.0, 4000).ToArray(), 4000);
        var y = layer.Forward(x).ToArray<double>();
        var kept = y.Count(v => v != 0);
        Assert.InRange(kept, 2850, 3150);
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.75) < 1e-12));
        using var again = new Dropout(0.25, seed: 3);
        Assert.Equal(y, again.Forward(x).ToArray<double>());
        // Backward: the same mask and scale.
        using var dy = Tensor.FromArray(Enumerable.Repeat(2.0, 4000).ToArray(), 4000);
        var dx = layer.Backward(dy)!.ToArray<double>();
        for (var i = 0; i < y.Length; i++) Assert.Equal(y[i] * 2, dx[i], 12);
        layer.Training = false;
        Assert.Same(x, layer.Forward(x));
    }

    [Fact]
    public void FlattenAndSequentialCnn()
    {
        var rng = new Rng(10);
        using var net = new Sequential(new Conv2d(2, 3, 3, padding: 1, rng: rng, dtype: DType.F64), new Tanh(), new AvgPool2d(2),
            new Flatten(), new Linear(3 * 2 * 2, 4, rng: rng, dtype: DType.F64));
        using var x = GradientChecker.RandomTensor(rng, -1, 1, 2, 2, 4, 4);
        GradientChecker.CheckLayer(net, x);
    }

    [Fact]
    public void ResidualWithProjectionShortcut()
    {
        var rng = new Rng(11);
        using var block = new Residual(
            [("conv1", new Conv2d(3, 4, 3, 2, 1, bias: false, rng: rng, dtype: DType.F64)), ("bn1", new BatchNorm2d(4, dtype: DType.F64)),
             ("tanh", new Tanh()), ("conv2", new Conv2d(4, 4, 3, 1, 1, bias: false, rng: rng, dtype: DType.F64))],
            ("downsample", new Sequential(new Conv2d(3, 4, 1, 2, bias: false, rng: rng, dtype: DType.F64), new BatchNorm2d(4, dtype: DType.F64))),
            new Tanh());
        using var x = GradientChecker.RandomTensor(rng, -1, 1, 2, 3, 5, 5);
        GradientChecker.CheckLayer(block, x);
        Assert.Contains(block.NamedParameters(), p => p.Name == "downsample.0.weight");
    }

    [Fact]
    public void ResidualWithIdentityAndPaddedShortcuts()
    {
        var rng = new Rng(12);
        using var identity = new Residual([("conv1", new Conv2d(3, 3, 3, 1, 1, rng: rng, dtype: DType.F64))], post: new Tanh());
        using var x = GradientChecker.RandomTensor(rng, -1, 1, 2, 3, 4, 4);
        GradientChecker.CheckLayer(identity, x);
        using var padded = new Residual([("conv1", new Conv2d(2, 6, 3, 2, 1, rng: rng, dtype: DType.F64))], ("shortcut", new PadShortcut(6, 2)), new Tanh());
        using var x2 = GradientChecker.RandomTensor(rng, -1, 1, 2, 2, 5, 5);
        GradientChecker.CheckLayer(padded, x2);
    }

    [Fact]
    public void InceptionConcatenatesBranches()
    {
        var rng = new Rng(13);
        using var block = new Inception(
            ("branch1", new Conv2d(3, 2, 1, rng: rng, dtype: DType.F64)),
            ("branch2", new Sequential(new Conv2d(3, 2, 1, rng: rng, dtype: DType.F64), new Tanh(), new Conv2d(2, 3, 3, padding: 1, rng: rng, dtype: DType.F64))),
            ("branch4", new Sequential(new MaxPool2d(3, 1, 1, ceilMode: true), new Conv2d(3, 1, 1, rng: rng, dtype: DType.F64))));
        var values = Enumerable.Range(0, 2 * 3 * 4 * 4).Select(i => (double)i).ToArray();
        new Rng(14).Shuffle(values.AsSpan());
        using var x = Tensor.FromArray(values.Select(v => v * 0.02 - 0.9).ToArray(), 2, 3, 4, 4);
        GradientChecker.CheckLayer(block, x);
        Assert.Equal(new[] { 2, 6, 4, 4 }, block.Forward(x).Shape);
    }

    [Fact]
    public void GeometryErrorsSayWhatDoesNotFit()
    {
        using var conv = new Conv2d(3, 4, 5);
        using var small = Tensor.Zeros(1, 3, 3, 3);
        Assert.Contains("does not fit", Assert.Throws<ArgumentException>(() => conv.Forward(small)).Message);
        using var wrong = Tensor.Zeros(1, 2, 8, 8);
        Assert.Contains("[N, 3, H, W]", Assert.Throws<ArgumentException>(() => conv.Forward(wrong)).Message);
        Assert.Equal((4, 4), Pool2dGeometry.Square(3, 2, ceilMode: true).OutputSize(8, 8));
        Assert.Equal((3, 3), Pool2dGeometry.Square(3, 2).OutputSize(8, 8));
    }
}
