using NativeNets.Nets.Classifiers;
using NativeNets.Nets.Retrieval;
using NativeNets.Tensors;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Nets;

public class RetrievalTests
{
    [Fact]
    public void ATrainedLeNetFindsImagesOfTheSameClass()
    {
        using var train = Synthetic.Blobs(600, 10, 28, 1, noise: 90);
        using var test = Synthetic.Blobs(100, 10, 28, 2, noise: 90);
        using var lenet = new CnnClassifier("lenet5", new TrainOptions { Epochs = 2, BatchSize = 50, LearningRate = 0.05 });
        lenet.Train(train.Images, train.Labels);
        using var index = new FeatureIndex(lenet.Network, lenet.PixelMean, lenet.PixelStd, Device.Cpu);
        index.Build(train.Images, train.Labels);
        Assert.Equal(84, index.Width); // LeNet-5's F6
        var nearest = index.Nearest(test.Images, 5);
        Assert.All(nearest, n => Assert.Equal(5, n.Distinct().Count()));
        Assert.InRange(FeatureIndex.PrecisionAtK(nearest, test.Labels, train.Labels), 0.9, 1.0);
        // An indexed image is its own nearest neighbour.
        using var first = train.Take(3);
        var self = index.Nearest(first.Images, 1);
        Assert.Equal([0, 1, 2], self.Select(n => n[0]));
    }

    [Fact]
    public void PrecisionAtKCountsLabelMatches()
    {
        int[][] nearest = [[0, 1], [2, 3]];
        Assert.Equal(0.75, FeatureIndex.PrecisionAtK(nearest, [7, 8], [7, 7, 8, 9]));
    }
}
