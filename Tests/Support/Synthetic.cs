using NativeNets.Data;
using NativeNets.Data.Formats;
using NativeNets.Tensors;

namespace NativeNets.Tests.Support;

/// <summary>Small generated datasets: each class a random prototype image, each item its prototype plus noise.</summary>
public static class Synthetic
{
    public static LabeledImages Blobs(int count, int classes, int side, ulong seed, int noise = 40, ulong prototypeSeed = 99)
    {
        var protoRng = new Rng(prototypeSeed);
        var d = side * side;
        var prototypes = new byte[classes, d];
        for (var c = 0; c < classes; c++)
            for (var i = 0; i < d; i++) prototypes[c, i] = (byte)protoRng.NextInt(256);
        var rng = new Rng(seed);
        var pixels = new byte[count * d];
        var labels = new int[count];
        for (var n = 0; n < count; n++)
        {
            var c = n % classes;
            labels[n] = c;
            for (var i = 0; i < d; i++)
                pixels[n * d + i] = (byte)Math.Clamp(prototypes[c, i] + rng.NextInt(2 * noise + 1) - noise, 0, 255);
        }
        return new LabeledImages(Tensor.FromArray(pixels, count, 1, side, side), labels,
            Enumerable.Range(0, classes).Select(c => $"class {c}").ToArray(), "synthetic");
    }

    /// <summary>Writes a dataset as the four Fashion-MNIST IDX files (gzipped) into <paramref name="dir"/>.</summary>
    public static void WriteMnistFiles(string dir, LabeledImages train, LabeledImages test)
    {
        foreach (var (split, data) in new[] { ("train", train), ("t10k", test) })
        {
            IdxFile.Write(Path.Combine(dir, $"{split}-images-idx3-ubyte.gz"), data.Images.Span<byte>(), data.Count, data.Height, data.Width);
            IdxFile.Write(Path.Combine(dir, $"{split}-labels-idx1-ubyte.gz"), data.Labels.Select(l => (byte)l).ToArray(), data.Count);
        }
    }
}
