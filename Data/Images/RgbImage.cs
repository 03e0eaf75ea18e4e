namespace NativeNets.Data.Images;

/// <summary>An 8-bit RGB image, row-major, 3 bytes per pixel (R, G, B), no row padding: what Pillow's mode "RGB" holds.</summary>
public sealed class RgbImage
{
    /// <summary>A black image of the given size.</summary>
    public RgbImage(int width, int height)
        : this(width, height, new byte[checked(CheckSize(width, height) * 3)])
    {
    }

    /// <summary>Wraps <paramref name="pixels"/> (at least width x height x 3 bytes) without copying.</summary>
    public RgbImage(int width, int height, byte[] pixels)
    {
        var n = CheckSize(width, height) * 3;
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length < n)
            throw new ArgumentException($"{pixels.Length} bytes cannot hold a {width}x{height} RGB image ({n} bytes)", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>An image whose buffer comes from <see cref="System.Buffers.ArrayPool{T}.Shared"/>, uninitialised; <see cref="Release"/> hands it back.</summary>
    internal static RgbImage Rent(int width, int height) =>
        new(width, height, System.Buffers.ArrayPool<byte>.Shared.Rent(checked(CheckSize(width, height) * 3))) { Pooled = true };

    /// <summary>Whether the buffer is rented from the shared pool (large images churn the large-object heap otherwise).</summary>
    internal bool Pooled { get; private set; }

    /// <summary>
    /// Hands the pixel buffer back to the shared pool when it was rented from it (decoded and resized images are);
    /// the image must not be used afterwards. Optional: an image never released is collected as usual.
    /// </summary>
    public void Release()
    {
        if (!Pooled) return;
        Pooled = false;
        System.Buffers.ArrayPool<byte>.Shared.Return(Pixels);
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The pixel bytes; only the first <see cref="ByteCount"/> belong to the image.</summary>
    public byte[] Pixels { get; }

    /// <summary>Bytes per row (width x 3).</summary>
    public int Stride => Width * 3;

    /// <summary>Bytes of image data (width x height x 3).</summary>
    public int ByteCount => Width * Height * 3;

    /// <summary>The image's bytes, exactly <see cref="ByteCount"/> of them.</summary>
    public Span<byte> Span => Pixels.AsSpan(0, ByteCount);

    /// <summary>A copy of the rectangle at (<paramref name="left"/>, <paramref name="top"/>), as Pillow's Image.crop of an in-bounds box.</summary>
    public RgbImage Crop(int left, int top, int width, int height)
    {
        if (left < 0 || top < 0 || width <= 0 || height <= 0 || left + width > Width || top + height > Height)
            throw new ArgumentOutOfRangeException(nameof(left), $"crop ({left}, {top}, {width}x{height}) is outside the {Width}x{Height} image");
        var result = Rent(width, height);
        for (var y = 0; y < height; y++)
            Pixels.AsSpan(((top + y) * Width + left) * 3, width * 3).CopyTo(result.Pixels.AsSpan(y * width * 3));
        return result;
    }

    private static int CheckSize(int width, int height)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height}: both sides must be positive");
        return checked(width * height);
    }
}
