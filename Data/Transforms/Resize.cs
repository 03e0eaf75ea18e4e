using NativeNets.Data.Images;
using NativeNets.Tensors;

namespace NativeNets.Data.Transforms;

/// <summary>torchvision's Resize on PIL images: an int resizes the shorter side keeping the aspect ratio, (h, w) resizes to exactly that; Pillow's bilinear filter.</summary>
public sealed class Resize : IImageTransform
{
    /// <summary>Resize(size): the shorter side becomes <paramref name="size"/>, the longer int(size * long / short).</summary>
    public Resize(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ShorterSide = size;
    }

    /// <summary>Resize((height, width)): exactly that size.</summary>
    public Resize(int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Height = height;
        Width = width;
    }

    /// <summary>The shorter side's target, when constructed with one size.</summary>
    public int? ShorterSide { get; }
    /// <summary>The exact target height, when constructed with two sizes.</summary>
    public int? Height { get; }
    /// <summary>The exact target width, when constructed with two sizes.</summary>
    public int? Width { get; }

    /// <summary>The output (width, height) for an input of the given size: torchvision's _compute_resized_output_size.</summary>
    public (int Width, int Height) OutputSize(int width, int height)
    {
        if (ShorterSide is not { } s) return (Width!.Value, Height!.Value);
        var (shorter, longer) = width <= height ? (width, height) : (height, width);
        // Python: int(requested_new_short * long / short), a true division then truncation.
        var newLong = (int)((double)((long)s * longer) / shorter);
        return width <= height ? (s, newLong) : (newLong, s);
    }

    /// <inheritdoc />
    public RgbImage Apply(RgbImage image, Rng rng)
    {
        var (w, h) = OutputSize(image.Width, image.Height);
        return w == image.Width && h == image.Height ? image : PillowResize.Bilinear(image, w, h);
    }
}
