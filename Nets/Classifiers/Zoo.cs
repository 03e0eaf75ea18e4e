using NativeNets.Tensors;

namespace NativeNets.Nets.Classifiers;

/// <summary>The classifiers by name, with the hyperparameters that train them well on Fashion-MNIST.</summary>
internal static class Zoo
{
    /// <summary>The lecture's first-half classifiers, trained on flattened pixels.</summary>
    public static readonly IReadOnlyList<string> LinearModels = ["linear-svm", "linear-softmax", "two-layer", "three-layer"];

    /// <summary>Everything `train --model` takes: the models above and every architecture.</summary>
    public static readonly IReadOnlyList<string> TrainableModels = [.. LinearModels, .. Architectures.Architectures.Names];

    /// <summary>
    /// Defaults per model, from a handful of runs each (learning rate, weight decay, epochs). Linear models
    /// plateau near 0.84-0.845 on Fashion-MNIST whatever the setting; the nets gain from the step decay.
    /// </summary>
    public static TrainOptions DefaultOptions(string model) => model switch
    {
        "linear-softmax" => new TrainOptions { Epochs = 10, LearningRate = 0.01, WeightDecay = 1e-4, LrStepEpochs = 7 },
        "linear-svm" => new TrainOptions { Epochs = 10, LearningRate = 0.002, WeightDecay = 1e-3, LrStepEpochs = 7 },
        "two-layer" => new TrainOptions { Epochs = 20, LearningRate = 0.05, WeightDecay = 5e-4, LrStepEpochs = 15 },
        "three-layer" => new TrainOptions { Epochs = 20, LearningRate = 0.05, WeightDecay = 5e-4, LrStepEpochs = 15 },
        "lenet5" => new TrainOptions { Epochs = 20, LearningRate = 0.05, WeightDecay = 5e-4, LrStepEpochs = 14 },
        _ when Architectures.Architectures.Names.Contains(model) => new TrainOptions { Epochs = 15, BatchSize = 128, LearningRate = 0.1, WeightDecay = 5e-4, LrStepEpochs = 10 },
        _ => throw UnknownModel(model),
    };

    public static NeuralClassifier Create(string model, TrainOptions options, Device device, int[]? hidden = null, bool smallStem = false) => model switch
    {
        "linear-softmax" => new LinearClassifier(LinearLoss.Softmax, options, device),
        "linear-svm" => new LinearClassifier(LinearLoss.Svm, options, device),
        "two-layer" => new TwoLayerNet(hidden is { Length: > 0 } ? hidden[0] : 100, options, device),
        "three-layer" => new ThreeLayerNet(hidden is { Length: > 0 } ? hidden[0] : 256, hidden is { Length: > 1 } ? hidden[1] : 128, options, device),
        _ when Architectures.Architectures.Names.Contains(model) => new CnnClassifier(model, options, device, smallStem),
        _ => throw UnknownModel(model),
    };

    private static ArgumentException UnknownModel(string model) =>
        new($"unknown model '{model}': expected one of {string.Join(", ", TrainableModels)}");
}
