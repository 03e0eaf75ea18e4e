using System.Diagnostics;
using NativeNets.Data;
using NativeNets.Nets.Classifiers;
using NativeNets.Tensors;

namespace NativeNets.Nets.Experiments;

/// <summary>Runs one classifier on a train/test pair and measures it: what `knn`, `train`, `seed` and the benchmarks share.</summary>
internal static class Runner
{
    public static KnnResult Knn(LabeledImages train, LabeledImages test, int k, Distance distance, Device device,
        Action<int, int>? progress = null)
    {
        using var knn = new NearestNeighbor(k, distance, device) { OnProgress = progress };
        knn.Train(train);
        var clock = Stopwatch.StartNew();
        var predicted = knn.Predict(test.Images);
        var seconds = clock.Elapsed.TotalSeconds;
        var accuracy = ClassifierExtensions.Accuracy(predicted, test.Labels);
        return new KnnResult(knn.Name, k, distance.ToString().ToLowerInvariant(), train.Count, test.Count, accuracy,
            seconds, test.Count / Math.Max(seconds, 1e-9), device.ToString())
        {
            PredictionsSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(predicted.AsSpan()))),
        };
    }

    public static TrainResult Train(string model, LabeledImages train, LabeledImages test, TrainOptions options, Device device,
        int[]? hidden = null, bool smallStem = false, string? saveWeights = null, Distributed.Communicator? communicator = null,
        Action<EpochReport>? onEpoch = null, Action<long, long>? onStep = null, Action<MixedPrecision.LossScaleOverflow>? onOverflow = null)
    {
        var clock = Stopwatch.StartNew();
        using var classifier = Zoo.Create(model, options, device, hidden, smallStem);
        classifier.Communicator = communicator;
        double finalLoss = double.NaN;
        classifier.OnEpoch = r =>
        {
            finalLoss = r.MeanLoss;
            onEpoch?.Invoke(r);
        };
        classifier.OnStep = onStep;
        classifier.OnOverflow = onOverflow;
        classifier.Train(train);
        var accuracy = communicator is { Size: > 1 } ranks ? ShardedAccuracy(classifier, test, ranks) : classifier.Accuracy(test);
        if (saveWeights is not null)
            Weights.StateDict.Save(classifier.Network, saveWeights, new Dictionary<string, string>
            {
                ["model"] = model, ["small_stem"] = smallStem ? "true" : "false",
                ["pixel_mean"] = classifier.PixelMean.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                ["pixel_std"] = classifier.PixelStd.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            });
        var seconds = clock.Elapsed.TotalSeconds;
        return new TrainResult(model, options.Epochs, options.BatchSize, options.LearningRate, options.WeightDecay, train.Count, test.Count,
            accuracy, finalLoss, classifier.TrainSeconds, seconds, classifier.TrainImages / Math.Max(classifier.TrainSeconds, 1e-9),
            classifier.Network.ParameterCount(), device.ToString())
        {
            Precision = MixedPrecision.PrecisionExtensions.Name(options.Precision),
            SkippedSteps = classifier.LossScaler?.SkippedSteps ?? 0,
        };
    }

    /// <summary>Each rank classifies every size-th test image from its rank on; the counts are summed over the ranks.</summary>
    private static double ShardedAccuracy(NeuralClassifier classifier, LabeledImages test, Distributed.Communicator communicator)
    {
        var mine = Enumerable.Range(0, test.Count).Where(i => i % communicator.Size == communicator.Rank).ToArray();
        long correct = 0;
        if (mine.Length > 0)
        {
            using var images = new Tensor([mine.Length, test.Images[1], test.Images[2], test.Images[3]], DType.U8);
            test.Images.Backend.GatherRows(test.Images.Reshape(test.Count, -1), mine, images.Reshape(mine.Length, -1));
            var predicted = classifier.Predict(images);
            for (var i = 0; i < mine.Length; i++) if (predicted[i] == test.Labels[mine[i]]) correct++;
        }
        var totals = communicator.AllReduceSum([correct, mine.Length]);
        return (double)totals[0] / Math.Max(1, totals[1]);
    }
}
