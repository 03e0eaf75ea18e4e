using NativeNets.Losses;
using NativeNets.Modules;
using NativeNets.Optim;
using NativeNets.Tensors;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Distributed;

/// <summary>The model-side parts of the recipe: weight decay policy, zero-init of the last BN gamma, BN per virtual worker.</summary>
public class GoyalRecipeTests
{
    private static Sequential SmallResNet(DType dtype = DType.F64)
    {
        var rng = new Rng(3);
        Residual Block(int channels) => new(
            [("conv1", new Conv2d(channels, channels, 3, padding: 1, bias: false, rng: rng, dtype: dtype)), ("bn1", new BatchNorm2d(channels, dtype: dtype)),
             ("relu", new ReLU()), ("conv2", new Conv2d(channels, channels, 3, padding: 1, bias: false, rng: rng, dtype: dtype)), ("bn2", new BatchNorm2d(channels, dtype: dtype))],
            post: new ReLU());
        return new Sequential()
            .Add("conv1", new Conv2d(1, 3, 3, padding: 1, rng: rng, dtype: dtype)).Add("bn1", new BatchNorm2d(3, dtype: dtype)).Add("relu", new ReLU())
            .Add("layer1", new Sequential(Block(3), Block(3)))
            .Add("flatten", new Flatten()).Add("fc", new Linear(3 * 4 * 4, 4, rng: rng, dtype: dtype));
    }

    [Fact]
    public void NoWeightDecayOnBatchNormNorOnBiases()
    {
        using var net = SmallResNet();
        var all = GoyalRecipe.SetWeightDecayPolicy(net, batchNorm: true, biases: true);
        Assert.Empty(all);
        Assert.All(net.Parameters(), p => Assert.True(p.Decay));
        var without = GoyalRecipe.NoWeightDecayOnBatchNorm(net);
        Assert.Equal(
            ["conv1.bias", "bn1.weight", "bn1.bias", "layer1.0.bn1.weight", "layer1.0.bn1.bias", "layer1.0.bn2.weight", "layer1.0.bn2.bias",
             "layer1.1.bn1.weight", "layer1.1.bn1.bias", "layer1.1.bn2.weight", "layer1.1.bn2.bias", "fc.bias"],
            without);
        foreach (var (name, p) in net.NamedParameters()) Assert.Equal(name.EndsWith(".weight", StringComparison.Ordinal) && !name.Contains("bn"), p.Decay);
    }

    [Fact]
    public void ZeroGammaMakesEveryResidualBlockStartAsItsShortcut()
    {
        using var net = SmallResNet();
        var changed = GoyalRecipe.ZeroInitLastBatchNormGamma(net);
        Assert.Equal(["layer1.0.bn2", "layer1.1.bn2"], changed);
        var block = (Residual)((Sequential)net[3])[0];
        var bn = (BatchNorm2d)block.LastOfBranch;
        Assert.All(bn.Weight.Value.ToArray<double>(), g => Assert.Equal(0.0, g));
        // With beta = 0 too, the branch adds nothing: the block is ReLU(x), which is x after the stem's ReLU.
        using var x = GradientChecker.RandomTensor(new Rng(4), 0, 1, 2, 3, 4, 4);
        Assert.Equal(x.ToArray<double>(), block.Forward(x).ToArray<double>());
    }

    [Fact]
    public void VirtualWorkersSetEveryBatchNorm()
    {
        using var net = SmallResNet();
        Assert.Equal(5, GoyalRecipe.SetVirtualWorkers(net, 4));
        Assert.All(net.NamedLayers().Select(l => l.Layer).OfType<BatchNorm2d>(), bn => Assert.Equal(4, bn.GhostBatches));
    }

    [Fact]
    public void GhostBatchNormGradientCheckWithTwoSlices()
    {
        using var layer = new BatchNorm2d(3, dtype: DType.F64) { GhostBatches = 2 };
        layer.Weight.Value.CopyFrom<double>([1.5, 0.5, -1]);
        layer.Bias.Value.CopyFrom<double>([0.1, -0.2, 0.3]);
        using var x = GradientChecker.RandomTensor(new Rng(9), -2, 2, 4, 3, 2, 3);
        GradientChecker.CheckLayer(layer, x);
    }

    [Fact]
    public void GhostBatchesNormaliseEachSliceByItsOwnStatistics()
    {
        using var x = GradientChecker.RandomTensor(new Rng(5), -2, 2, 6, 2, 3, 3);
        using var dy = GradientChecker.RandomTensor(new Rng(6), -1, 1, 6, 2, 3, 3);
        using var ghost = new BatchNorm2d(2, dtype: DType.F64) { GhostBatches = 3 };
        var y = ghost.Forward(x).ToArray<double>();
        var dx = ghost.Backward(dy)!.ToArray<double>();
        var xs = x.ToArray<double>();
        var dys = dy.ToArray<double>();
        const int slice = 2 * 2 * 3 * 3;
        var means = new double[2];
        var vars = new double[2];
        double[] dgamma = new double[2], dbeta = new double[2];
        for (var i = 0; i < 3; i++)
        {
            using var one = new BatchNorm2d(2, dtype: DType.F64);
            using var xi = Tensor.FromArray(xs[(i * slice)..((i + 1) * slice)], 2, 2, 3, 3);
            using var dyi = Tensor.FromArray(dys[(i * slice)..((i + 1) * slice)], 2, 2, 3, 3);
            var yi = one.Forward(xi).ToArray<double>();
            var dxi = one.Backward(dyi)!.ToArray<double>();
            for (var j = 0; j < slice; j++)
            {
                Assert.Equal(yi[j], y[i * slice + j], 14);
                Assert.Equal(dxi[j], dx[i * slice + j], 14);
            }
            for (var c = 0; c < 2; c++)
            {
                means[c] += one.RunningMean.ToArray<double>()[c] / 3;
                vars[c] += one.RunningVar.ToArray<double>()[c] / 3;
                dgamma[c] += one.Weight.Grad.ToArray<double>()[c];
                dbeta[c] += one.Bias.Grad.ToArray<double>()[c];
            }
        }
        // The parameter gradients add up over the slices; the running statistics are the average of the slices' updates.
        for (var c = 0; c < 2; c++)
        {
            Assert.Equal(dgamma[c], ghost.Weight.Grad.ToArray<double>()[c], 12);
            Assert.Equal(dbeta[c], ghost.Bias.Grad.ToArray<double>()[c], 12);
            Assert.Equal(means[c], ghost.RunningMean.ToArray<double>()[c], 14);
            Assert.Equal(vars[c], ghost.RunningVar.ToArray<double>()[c], 14);
        }
        Assert.Equal(1, ghost.NumBatchesTracked);
    }

    [Fact]
    public void GhostBatchesMustDivideTheBatchAndEvaluationIgnoresThem()
    {
        using var layer = new BatchNorm2d(1, dtype: DType.F64) { GhostBatches = 2 };
        using var odd = GradientChecker.RandomTensor(new Rng(1), -1, 1, 3, 1, 2, 2);
        var e = Assert.Throws<ArgumentException>(() => layer.Forward(odd));
        Assert.Contains("does not split into 2 ghost batches", e.Message);
        layer.Training = false;
        using var plain = new BatchNorm2d(1, dtype: DType.F64) { Training = false };
        Assert.Equal(plain.Forward(odd).ToArray<double>(), layer.Forward(odd).ToArray<double>());
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.GhostBatches = 0);
    }

    [Fact]
    public void LossOverTheWholeBatchKnIsTheAverageOfTheWorkersLosses()
    {
        // The loss is a mean over the whole minibatch: for kn images with k ghost batches its gradient is the average
        // of the k workers' gradients, each the mean over its n images. So "normalise by kn" needs nothing more.
        const int k = 3, n = 4;
        var data = DistributedSupport.Dataset(k * n, images: true);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var whole = DistributedSupport.Network(batchNorm: true, DType.F64);
        GoyalRecipe.SetVirtualWorkers(whole, k);
        var (x, y) = DistributedSupport.Batch(data, Enumerable.Range(0, k * n).ToArray(), DType.F64);
        double total;
        using (x)
        using (y)
        {
            total = loss.Forward(whole.Forward(x), y);
            whole.Backward(loss.Backward());
        }
        var expected = DistributedSupport.Gradients(whole).Select(g => new double[g.Length]).ToArray();
        double workersLoss = 0;
        for (var w = 0; w < k; w++)
        {
            using var worker = DistributedSupport.Network(batchNorm: true, DType.F64);
            var (xw, yw) = DistributedSupport.Batch(data, Enumerable.Range(w * n, n).ToArray(), DType.F64);
            using (xw)
            using (yw)
            {
                workersLoss += loss.Forward(worker.Forward(xw), yw) / k;
                worker.Backward(loss.Backward());
            }
            var g = DistributedSupport.Gradients(worker);
            for (var p = 0; p < g.Length; p++)
                for (var i = 0; i < g[p].Length; i++) expected[p][i] += g[p][i] / k;
        }
        Assert.Equal(workersLoss, total, 12);
        Assert.True(DistributedSupport.MaxDifference(expected, DistributedSupport.Gradients(whole)) < 1e-12);
    }
}
