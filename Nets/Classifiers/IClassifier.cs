using NativeNets.Data;
using NativeNets.Tensors;

namespace NativeNets.Nets.Classifiers;

/// <summary>
/// The data-driven approach of the lecture: Train(images, labels) builds the model, Predict(images)
/// returns a label per image. Images are U8 pixels [N, C, H, W] in host memory.
/// </summary>
public interface IClassifier : IDisposable
{
    string Name { get; }

    void Train(Tensor images, int[] labels);

    int[] Predict(Tensor images);
}

public static class ClassifierExtensions
{
    public static void Train(this IClassifier classifier, LabeledImages data) => classifier.Train(data.Images, data.Labels);

    /// <summary>Fraction of <paramref name="data"/> that the classifier labels correctly.</summary>
    public static double Accuracy(this IClassifier classifier, LabeledImages data) => Accuracy(classifier.Predict(data.Images), data.Labels);

    public static double Accuracy(int[] predicted, int[] labels)
    {
        if (predicted.Length != labels.Length) throw new ArgumentException($"{predicted.Length} predictions for {labels.Length} labels");
        if (labels.Length == 0) return 0;
        var correct = 0;
        for (var i = 0; i < labels.Length; i++) if (predicted[i] == labels[i]) correct++;
        return (double)correct / labels.Length;
    }

    internal static int ClassCount(int[] labels)
    {
        if (labels.Length == 0) throw new ArgumentException("no training labels");
        var max = 0;
        foreach (var l in labels)
        {
            if (l < 0) throw new ArgumentException($"negative label {l}");
            max = Math.Max(max, l);
        }
        return max + 1;
    }

    /// <summary>
    /// A copy of <paramref name="images"/> on <paramref name="device"/> when they are elsewhere (the caller disposes it),
    /// null when they are there already: a data set goes to the device once, and its batches are gathered there.
    /// </summary>
    internal static Tensor? CopyIfElsewhere(Tensor images, Device device) => images.Device == device ? null : images.CopyTo(device);

    internal static void CheckImages(Tensor images, string who)
    {
        if (images.DType != DType.U8 || images.Rank < 2)
            throw new ArgumentException($"{who}: images must be U8 [N, C, H, W] (or [N, D]), got {images}");
    }
}
