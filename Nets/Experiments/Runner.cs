using System.Diagnostics;
using NativeNets.Data;
using NativeNets.Nets.Classifiers;
using NativeNets.Tensors;

namespace NativeNets.Nets.Experiments;

/// <summary>Runs one classifier on a train/test pair and measures it: what `knn`, `train`, `seed` and the benchmarks share.</summary>
public static class Runner
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
            seconds, test.Count / Math.Max(seconds, 1e-9), device.ToString());
    }

    public static TrainResult Train(string model, LabeledImages train, LabeledImages test, TrainOptions options, Device device,
        int[]? hidden = null, bool smallStem = false, string? saveWeights = null, Action<EpochReport>? onEpoch = null, Action<long, long>? onStep = null)
    {
        var clock = Stopwatch.StartNew();
        using var classifier = Zoo.Create(model, options, device, hidden, smallStem);
        double finalLoss = double.NaN;
        classifier.OnEpoch = r =>
        {
            finalLoss = r.MeanLoss;
            onEpoch?.Invoke(r);
        };
        classifier.OnStep = onStep;
        classifier.Train(train);
        var accuracy = classifier.Accuracy(test);
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
            classifier.Network.ParameterCount(), device.ToString());
    }
}
