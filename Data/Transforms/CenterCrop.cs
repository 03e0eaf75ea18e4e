using NativeNets.Data.Images;
using NativeNets.Tensors;

namespace NativeNets.Data.Transforms;

/// <summary>torchvision's CenterCrop: offsets int(round((H - h) / 2)) with Python's round-half-to-even; an image smaller than the crop is first padded with zeros.</summary>
public sealed class CenterCrop : IImageTransform
{
    /// <summary>A square crop of side <paramref name="size"/>.</summary>
    public CenterCrop(int size) : this(size, size)
    {
    }

    /// <summary>A crop of <paramref name="height"/> x <paramref name="width"/>.</summary>
    public CenterCrop(int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Height = height;
        Width = width;
    }

    /// <summary>Output height.</summary>
    public int Height { get; }
    /// <summary>Output width.</summary>
    public int Width { get; }

    /// <summary>The crop's top-left corner in an image of the given size (no padding needed): torchvision's rounding.</summary>
    public static (int Left, int Top) Offset(int imageWidth, int imageHeight, int cropWidth, int cropHeight) =>
        ((int)Math.Round((imageWidth - cropWidth) / 2.0, MidpointRounding.ToEven),
         (int)Math.Round((imageHeight - cropHeight) / 2.0, MidpointRounding.ToEven));

    /// <inheritdoc />
    public RgbImage Apply(RgbImage image, Rng rng)
    {
        if (Width > image.Width || Height > image.Height)
        {
            // torchvision pads (left, top, right, bottom) = (dw // 2, dh // 2, (dw + 1) // 2, (dh + 1) // 2) with 0.
            var padLeft = Width > image.Width ? (Width - image.Width) / 2 : 0;
            var padTop = Height > image.Height ? (Height - image.Height) / 2 : 0;
            var padRight = Width > image.Width ? (Width - image.Width + 1) / 2 : 0;
            var padBottom = Height > image.Height ? (Height - image.Height + 1) / 2 : 0;
            var padded = new RgbImage(image.Width + padLeft + padRight, image.Height + padTop + padBottom);
            for (var y = 0; y < image.Height; y++)
                image.Pixels.AsSpan(y * image.Stride, image.Stride).CopyTo(padded.Pixels.AsSpan(((y + padTop) * padded.Width + padLeft) * 3));
            image = padded;
            if (image.Width == Width && image.Height == Height) return image;
        }
        var (left, top) = Offset(image.Width, image.Height, Width, Height);
        return image.Crop(left, top, Width, Height);
    }
}
