using NativeNets.Nets.Classifiers;
using NativeNets.Tensors;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Nets;

/// <summary>Every classifier on small synthetic data: noisy copies of one random prototype image per class.</summary>
public class ClassifierTests
{
    [Theory]
    [InlineData(1, Distance.L1)]
    [InlineData(3, Distance.L1)]
    [InlineData(1, Distance.L2)]
    [InlineData(5, Distance.L2)]
    public void NearestNeighborAgreesWithBruteForce(int k, Distance distance)
    {
        using var train = Synthetic.Blobs(300, 5, 10, 1, noise: 120);
        using var test = Synthetic.Blobs(70, 5, 10, 2, noise: 120);
        using var knn = new NearestNeighbor(k, distance);
        knn.Train(train);
        var predicted = knn.Predict(test.Images);
        var want = BruteForce(train, test, k, distance);
        Assert.Equal(want, predicted);
        Assert.True(ClassifierExtensions.Accuracy(predicted, test.Labels) > 0.5);
    }

    [Fact]
    public void NearestNeighborBreaksTiesDeterministically()
    {
        // Two training images at the same distance: the lower index wins for k = 1.
        using var train = new NativeNets.Data.LabeledImages(Tensor.FromArray(new byte[] { 10, 30, 20 }, 3, 1, 1, 1), [4, 2, 7], Enumerable.Range(0, 8).Select(i => $"{i}").ToArray(), "t");
        using var knn = new NearestNeighbor(1, Distance.L1);
        knn.Train(train);
        Assert.Equal(new[] { 7 }, knn.Predict(Tensor.FromArray(new byte[] { 20 }, 1, 1, 1, 1)));
        // 20 is closest to item 2 (label 7) exactly; 15 is equally far from items 0 and 2: item 0 (label 4) first.
        Assert.Equal(new[] { 4 }, knn.Predict(Tensor.FromArray(new byte[] { 15 }, 1, 1, 1, 1)));
        // k = 2 at 25: items 1 and 2 are both 5 away: one vote each; the tie goes to item 1's label (2), ranked first.
        using var knn2 = new NearestNeighbor(2, Distance.L1);
        knn2.Train(train);
        Assert.Equal(new[] { 2 }, knn2.Predict(Tensor.FromArray(new byte[] { 25 }, 1, 1, 1, 1)));
    }

    [Theory]
    [InlineData("linear-softmax")]
    [InlineData("linear-svm")]
    [InlineData("two-layer")]
    [InlineData("three-layer")]
    public void NeuralClassifiersLearnSyntheticClasses(string model)
    {
        using var train = Synthetic.Blobs(600, 6, 8, 1, noise: 100);
        using var test = Synthetic.Blobs(120, 6, 8, 2, noise: 100);
        var options = Zoo.DefaultOptions(model) with { Epochs = 8, BatchSize = 32, Seed = 3 };
        using var c = Zoo.Create(model, options, Device.Cpu, model == "two-layer" ? [32] : model == "three-layer" ? [32, 16] : null);
        var losses = new List<double>();
        c.OnEpoch = r => losses.Add(r.MeanLoss);
        c.Train(train);
        Assert.True(losses[^1] < losses[0], $"{model}: loss went from {losses[0]} to {losses[^1]}");
        var accuracy = c.Accuracy(test);
        Assert.True(accuracy >= 0.9, $"{model}: test accuracy {accuracy}");
    }

    [Fact]
    public void TrainingIsReproducibleForASeed()
    {
        using var train = Synthetic.Blobs(200, 4, 6, 1, noise: 100);
        double[] Run()
        {
            using var c = new TwoLayerNet(16, new TrainOptions { Epochs = 2, BatchSize = 16, Seed = 9 });
            c.Train(train);
            return c.Network.Parameters().SelectMany(p => p.Value.ToArray<float>().Select(v => (double)v)).ToArray();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void PredictBeforeTrainAndWrongImageSizesAreRefused()
    {
        using var c = new LinearClassifier();
        Assert.Throws<InvalidOperationException>(() => c.Predict(Tensor.Zeros(DType.U8, 1, 1, 2, 2)));
        using var train = Synthetic.Blobs(20, 2, 4, 1);
        c.Train(train);
        var e = Assert.Throws<ArgumentException>(() => c.Predict(Tensor.Zeros(DType.U8, 1, 1, 3, 3)));
        Assert.Contains("9", e.Message);
        Assert.Throws<ArgumentException>(() => c.Train(train.Images, train.Labels[..5]));
    }

    private static int[] BruteForce(NativeNets.Data.LabeledImages train, NativeNets.Data.LabeledImages test, int k, Distance distance)
    {
        var tr = train.Images.ToArray<byte>();
        var te = test.Images.ToArray<byte>();
        var d = train.Features;
        var result = new int[test.Count];
        for (var q = 0; q < test.Count; q++)
        {
            var dists = new double[train.Count];
            for (var r = 0; r < train.Count; r++)
            {
                double s = 0;
                for (var i = 0; i < d; i++)
                {
                    var diff = te[q * d + i] / (distance == Distance.L2 ? 255.0 : 1.0) - tr[r * d + i] / (distance == Distance.L2 ? 255.0 : 1.0);
                    s += distance == Distance.L1 ? Math.Abs(diff) : diff * diff;
                }
                dists[r] = s;
            }
            var nearest = Enumerable.Range(0, train.Count).OrderBy(r => dists[r]).ThenBy(r => r).Take(k).ToArray();
            var votes = nearest.Select((r, rank) => (label: train.Labels[r], rank)).GroupBy(x => x.label)
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Min(x => x.rank)).First().Key;
            result[q] = votes;
        }
        return result;
    }
}
