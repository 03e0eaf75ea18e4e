using NativeNets.Tensors;

namespace NativeNets.Data;

/// <summary>
/// Images with one class label each: U8 pixels [N, C, H, W] in host memory (0..255), I32-range labels in
/// [0, ClassCount). This is what the seed's Train(images, labels) and Predict(images) take.
/// </summary>
public sealed class LabeledImages : IDisposable
{
    public LabeledImages(Tensor images, int[] labels, IReadOnlyList<string> classNames, string source)
    {
        if (images.DType != DType.U8 || images.Rank != 4)
            throw new ArgumentException($"images must be U8 [N, C, H, W], got {images}");
        if (images[0] != labels.Length)
            throw new ArgumentException($"{source}: {labels.Length} labels for {images[0]} images");
        for (var i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new ArgumentException($"{source}: label {labels[i]} of item {i} is outside the {classNames.Count} classes");
        Images = images;
        Labels = labels;
        ClassNames = classNames;
        Source = source;
    }

    public Tensor Images { get; }
    public int[] Labels { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public int ClassCount => ClassNames.Count;
    public string Source { get; }
    public int Count => Images[0];
    public int Channels => Images[1];
    public int Height => Images[2];
    public int Width => Images[3];
    public int Features => Channels * Height * Width;

    /// <summary>The first <paramref name="count"/> items, copied.</summary>
    public LabeledImages Take(int count)
    {
        count = Math.Clamp(count, 0, Count);
        var bytes = Images.Span<byte>()[..(count * Features)].ToArray();
        var images = Tensor.FromArray(bytes, count, Channels, Height, Width);
        return new LabeledImages(images, Labels[..count], ClassNames, $"{Source} (first {count})");
    }

    /// <summary>Items at the given indices, copied (a split or a subset).</summary>
    public LabeledImages Select(ReadOnlySpan<int> indices, string? source = null)
    {
        var images = new Tensor([indices.Length, Channels, Height, Width], DType.U8);
        Images.Backend.GatherRows(Images, indices, images);
        var labels = new int[indices.Length];
        for (var i = 0; i < indices.Length; i++) labels[i] = Labels[indices[i]];
        return new LabeledImages(images, labels, ClassNames, source ?? $"{Source} (subset of {indices.Length})");
    }

    public void Dispose() => Images.Dispose();
}
