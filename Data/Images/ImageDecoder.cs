using System.Buffers;
using System.Buffers.Binary;
using NativeNets.Native;
using StbImageSharp;

namespace NativeNets.Data.Images;

/// <summary>The image formats <see cref="ImageDecoder"/> reads, recognised by their first bytes, never by the file name.</summary>
public enum ImageFormat
{
    Jpeg,
    Png,
    Bmp,
    Gif,
}

/// <summary>
/// Decodes JPEGs with libjpeg-turbo's TurboJPEG API when libturbojpeg (2.x) is installed, with libjpeg's defaults as
/// Pillow decodes them, so that the pixels are Pillow's to the bit (see <see cref="JpegBackend"/>); otherwise, and for
/// PNG, BMP and GIF (first frame), decodes to 8-bit RGB with StbImageSharp, converting as Pillow's
/// <c>convert("RGB")</c> does: grey is replicated to the three channels, alpha is dropped (not composited), palettes
/// are expanded, 16-bit samples keep their high byte, and Adobe CMYK/YCCK JPEGs are converted as
/// R = (255 - C)(255 - K)/255 with Pillow's assumption that the samples are stored inverted.
/// Every failure, whatever the bytes (empty, truncated, corrupt, not an image, unsupported, absurd dimensions),
/// is a <see cref="DataFormatException"/> that names the file, the byte offset where known, and what was wrong.
/// Thread-safe: decoders run concurrently on the loader's worker threads.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Pillow's decompression-bomb error threshold (2 x Image.MAX_IMAGE_PIXELS): larger images are refused before decoding.</summary>
    public const long DefaultMaxPixels = 2L * 89_478_485;

    /// <summary>Files above this size are refused before they are read.</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>
    /// libjpeg's decompression defaults, which Pillow keeps: the accurate integer IDCT and smooth ("fancy") chroma
    /// upsampling, so no FASTDCT or FASTUPSAMPLE. STOPONWARNING ends a corrupt scan at once (a warning is refused
    /// anyway), LIMITSCANS refuses progressive JPEGs of absurdly many scans; neither changes a good image's pixels.
    /// </summary>
    private const TJFLAG TurboJpegFlags = TJFLAG.TJFLAG_ACCURATEDCT | TJFLAG.TJFLAG_STOPONWARNING | TJFLAG.TJFLAG_LIMITSCANS;

    /// <summary>libturbojpeg's path when its TurboJPEG 2.x API is there to decode JPEGs, else null (StbImageSharp decodes them).</summary>
    private static readonly string? TurboJpegPath =
        TurboJpeg.IsAvailable ? NativeLibraries.Load(NativeLibraries.TurboJpeg).Path ?? "libturbojpeg" : null;

    /// <summary>A tjhandle must not be shared between threads: one decompressor per decoding thread, freed with the thread's statics.</summary>
    [ThreadStatic]
    private static TurboJpegDecompressor? t_turboJpeg;

    /// <summary>Which decoder reads JPEGs: "libjpeg-turbo &lt;path of libturbojpeg&gt;" or "StbImageSharp" (for benchmarks and `doctor`).</summary>
    public static string JpegBackend => TurboJpegPath is { } p ? $"libjpeg-turbo {p}" : "StbImageSharp";

    /// <summary>Which format the bytes are, from their magic number; null when they are none of the four.</summary>
    public static ImageFormat? Sniff(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageFormat.Jpeg;
        if (data.Length >= 8 && data[..8].SequenceEqual(PngStructure.Signature)) return ImageFormat.Png;
        if (data.Length >= 2 && data[0] == (byte)'B' && data[1] == (byte)'M') return ImageFormat.Bmp;
        if (data.Length >= 6 && (data[..6].SequenceEqual("GIF87a"u8) || data[..6].SequenceEqual("GIF89a"u8))) return ImageFormat.Gif;
        return null;
    }

    /// <summary>Reads and decodes the file at <paramref name="path"/>; an unreadable file is a <see cref="DataFormatException"/> too.</summary>
    public static RgbImage DecodeFile(string path, long maxPixels = DefaultMaxPixels)
    {
        byte[] buffer;
        int length;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            var size = RandomAccess.GetLength(handle);
            if (size > MaxFileBytes)
                throw new DataFormatException(path, $"the file is {size} bytes; image files over {MaxFileBytes} bytes are refused");
            length = (int)size;
            buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
            try
            {
                var read = 0;
                while (read < length)
                {
                    var n = RandomAccess.Read(handle, buffer.AsSpan(read, length - read), read);
                    if (n == 0) break;
                    read += n;
                }
                length = read;
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new DataFormatException(path, $"cannot be read: {e.Message}", inner: e);
        }
        try
        {
            return Decode(buffer, length, path, maxPixels);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Decodes all of <paramref name="data"/>; <paramref name="path"/> only names the source in errors.</summary>
    public static RgbImage Decode(byte[] data, string path, long maxPixels = DefaultMaxPixels) =>
        Decode(data, data.Length, path, maxPixels);

    /// <summary>Decodes the first <paramref name="length"/> bytes of <paramref name="data"/>.</summary>
    public static RgbImage Decode(byte[] data, int length, string path, long maxPixels = DefaultMaxPixels)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, data.Length);
        var bytes = data.AsSpan(0, length);
        if (length == 0) throw new DataFormatException(path, "empty file (0 bytes): not an image");
        var format = Sniff(bytes) ?? throw new DataFormatException(path,
            $"not a JPEG, PNG, BMP or GIF image: it starts with {Convert.ToHexString(bytes[..Math.Min(8, length)])}", 0);

        // Check the structure first: stb_image pads truncated data with zeros, skips CRCs, and would allocate
        // whatever a header claims. Only bytes that pass reach it.
        int width, height;
        long sizeAt;
        var jpegComponents = 0;
        switch (format)
        {
            case ImageFormat.Jpeg:
                var jpeg = JpegStructure.Scan(bytes, path);
                (width, height, sizeAt) = (jpeg.Width, jpeg.Height, jpeg.FrameOffset + 5);
                jpegComponents = jpeg.Components;
                if (jpeg.Components == 4 && jpeg.AdobeTransform < 0 && TurboJpegPath is null)
                {
                    // stb_image reads 4 components without an Adobe APP14 marker as YCbCr plus an unused channel;
                    // Pillow (libjpeg) reads them as inverted CMYK. Tell stb so with an APP14 marker (transform 0).
                    data = WithAdobeMarker(bytes);
                    length = data.Length;
                }
                break;
            case ImageFormat.Png:
                (width, height) = PngStructure.Scan(bytes, path);
                sizeAt = 16;
                break;
            case ImageFormat.Bmp:
                (width, height) = BmpHeader(bytes, path);
                sizeAt = 18;
                break;
            default:
                (width, height) = GifHeader(bytes, path);
                sizeAt = 6;
                break;
        }
        if ((long)width * height > maxPixels)
            throw new DataFormatException(path,
                $"absurd dimensions: the header claims {width}x{height} ({(long)width * height:N0} pixels); images over {maxPixels:N0} pixels are refused", sizeAt);

        if (format == ImageFormat.Jpeg && TurboJpegPath is not null)
            return DecodeWithTurboJpeg(bytes, path, width, height, jpegComponents);
        return DecodeWithStb(data, length, path, format, width, height);
    }

    /// <summary>
    /// TurboJPEG's decompression straight into a pooled RGB buffer. Grey decodes to RGB with R = G = B (libjpeg's
    /// grey-to-RGB conversion, as Pillow's convert("RGB")); 4-component JPEGs decode to libjpeg's CMYK (YCCK converted
    /// by libjpeg) and then to RGB as Pillow does. A warning (corrupt data: the image would be damaged or incomplete)
    /// is a bad image, as is a fatal error.
    /// </summary>
    private static RgbImage DecodeWithTurboJpeg(ReadOnlySpan<byte> jpeg, string path, int width, int height, int components)
    {
        var tj = t_turboJpeg ??= TurboJpegDecompressor.Create();
        var image = RgbImage.Rent(width, height);
        byte[]? cmyk = null;
        try
        {
            if (components == 4)
            {
                cmyk = ArrayPool<byte>.Shared.Rent(checked(width * height * 4));
                tj.Decompress(jpeg, cmyk, width, height, TJPF.TJPF_CMYK, TurboJpegFlags);
                InvertedCmykToRgb(cmyk, image.Pixels, width * height);
            }
            else
            {
                tj.Decompress(jpeg, image.Pixels, width, height, TJPF.TJPF_RGB, TurboJpegFlags);
            }
            return image;
        }
        catch (TurboJpegException e)
        {
            image.Release();
            var what = e.Severity == TJERR.TJERR_WARNING ? " (a warning: the image would be damaged or incomplete)" : "";
            throw new DataFormatException(path, $"corrupt JPEG data: libjpeg-turbo stopped with \"{e.ErrorText}\"{what}", inner: e);
        }
        catch
        {
            image.Release();
            throw;
        }
        finally
        {
            if (cmyk is not null) ArrayPool<byte>.Shared.Return(cmyk);
        }
    }

    /// <summary>
    /// Pillow 9.4's CMYK JPEG to RGB: it reads libjpeg's samples as Adobe-inverted ("CMYK;I": c = 255 - C) and converts
    /// with cmyk2rgb, R = nk - c * nk / 255 rounded as MULDIV255, where nk = 255 - k = K. So R = K - MULDIV255(255 - C, K).
    /// </summary>
    private static void InvertedCmykToRgb(ReadOnlySpan<byte> cmyk, Span<byte> rgb, int pixels)
    {
        cmyk = cmyk[..(pixels * 4)];
        rgb = rgb[..(pixels * 3)];
        for (int i = 0, o = 0; i < cmyk.Length; i += 4, o += 3)
        {
            int nk = cmyk[i + 3];
            rgb[o] = (byte)(nk - MulDiv255(255 - cmyk[i], nk));
            rgb[o + 1] = (byte)(nk - MulDiv255(255 - cmyk[i + 1], nk));
            rgb[o + 2] = (byte)(nk - MulDiv255(255 - cmyk[i + 2], nk));
        }
    }

    /// <summary>Pillow's MULDIV255: a * b / 255, rounded.</summary>
    private static int MulDiv255(int a, int b)
    {
        var t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    /// <summary>
    /// stb_image's load into RGB. The pointer-level call (not ImageResult, which copies into a new array each time) lets
    /// the pixels land in a pooled buffer: a fresh 0.5 MB array per image keeps the GC's large-object heap busy and
    /// stalls the loader's threads. StbImageSharp 2.30.16 allocates with Marshal.AllocHGlobal, so FreeHGlobal frees.
    /// </summary>
    private static unsafe RgbImage DecodeWithStb(byte[] data, int length, string path, ImageFormat format, int width, int height)
    {
        byte* pixels = null;
        try
        {
            int x, y, comp;
            using var stream = new MemoryStream(data, 0, length, writable: false);
            pixels = StbImage.stbi__load_and_postprocess_8bit(new StbImage.stbi__context(stream), &x, &y, &comp, (int)ColorComponents.RedGreenBlue);
            if (pixels == null)
                // The failure reason is a static of stb's, shared between threads: a concurrent failure may overwrite it.
                throw new DataFormatException(path, $"corrupt {Name(format)} data: the decoder stopped with \"{StbImage.stbi__g_failure_reason}\"");
            if (x != width || y != height)
                throw new DataFormatException(path, $"the decoder returned {x}x{y} for a {Name(format)} header of {width}x{height}");
            var image = RgbImage.Rent(width, height);
            new ReadOnlySpan<byte>(pixels, image.ByteCount).CopyTo(image.Pixels);
            return image;
        }
        catch (DataFormatException)
        {
            throw;
        }
        catch (Exception e)
        {
            // Corrupt data can also end in an exception inside the decoder (an index out of range, a size overflow).
            throw new DataFormatException(path, $"corrupt {Name(format)} data: the decoder stopped with {e.GetType().Name} \"{e.Message}\"", inner: e);
        }
        finally
        {
            if (pixels != null) System.Runtime.InteropServices.Marshal.FreeHGlobal((nint)pixels);
        }
    }

    private static string Name(ImageFormat format) => format.ToString().ToUpperInvariant();

    private static byte[] WithAdobeMarker(ReadOnlySpan<byte> jpeg)
    {
        ReadOnlySpan<byte> app14 = [0xFF, 0xEE, 0x00, 0x0E, (byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00];
        var result = new byte[jpeg.Length + app14.Length];
        jpeg[..2].CopyTo(result);
        app14.CopyTo(result.AsSpan(2));
        jpeg[2..].CopyTo(result.AsSpan(2 + app14.Length));
        return result;
    }

    private static (int, int) BmpHeader(ReadOnlySpan<byte> data, string path)
    {
        if (data.Length < 26) throw new DataFormatException(path, $"truncated: {data.Length} bytes cannot hold a BMP header", data.Length);
        var pixelOffset = BinaryPrimitives.ReadUInt32LittleEndian(data[10..]);
        var headerSize = BinaryPrimitives.ReadUInt32LittleEndian(data[14..]);
        if (headerSize is not (12 or 40 or 56 or 108 or 124))
            throw new DataFormatException(path, $"BMP info header of {headerSize} bytes; supported are 12, 40, 56, 108 and 124", 14);
        long width, height;
        int bpp;
        uint compression = 0;
        if (headerSize == 12)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(data[18..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(data[20..]);
            bpp = BinaryPrimitives.ReadUInt16LittleEndian(data[24..]);
        }
        else
        {
            if (data.Length < 34) throw new DataFormatException(path, $"truncated: {data.Length} bytes cannot hold a BMP info header", data.Length);
            width = BinaryPrimitives.ReadInt32LittleEndian(data[18..]);
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(data[22..]));
            bpp = BinaryPrimitives.ReadUInt16LittleEndian(data[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(data[30..]);
        }
        if (width <= 0 || height <= 0 || width > int.MaxValue || height > int.MaxValue)
            throw new DataFormatException(path, $"the BMP header gives a size of {width}x{height}", 18);
        if (bpp is not (1 or 4 or 8 or 16 or 24 or 32))
            throw new DataFormatException(path, $"{bpp} bits per pixel; a BMP has 1, 4, 8, 16, 24 or 32", headerSize == 12 ? 24 : 28);
        if (compression is 0 or 3)
        {
            // Uncompressed rows are padded to 4 bytes; the file must hold all of them (stb_image would read zeros).
            var rowBytes = (width * bpp + 31) / 32 * 4;
            if (pixelOffset + rowBytes * height > data.Length)
                throw new DataFormatException(path,
                    $"truncated: {height} rows of {rowBytes} bytes from byte {pixelOffset} need {pixelOffset + rowBytes * height} bytes, the file has {data.Length}", data.Length);
        }
        return ((int)width, (int)height);
    }

    private static (int, int) GifHeader(ReadOnlySpan<byte> data, string path)
    {
        if (data.Length < 14) throw new DataFormatException(path, $"truncated: {data.Length} bytes cannot hold a GIF header and an image", data.Length);
        int width = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        int height = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
        if (width == 0 || height == 0) throw new DataFormatException(path, $"the GIF screen is {width}x{height}", 6);
        if (data[10..].IndexOf((byte)0x2C) < 0)
            throw new DataFormatException(path, "no image descriptor (2C) in the GIF: no image data", 10);
        return (width, height);
    }
}
