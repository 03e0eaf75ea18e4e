using System.Buffers.Binary;
using System.IO.Compression;
using NativeNets.Data.Formats;
using NativeNets.Data.Images;
using NativeNets.Tensors;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Data;

/// <summary>Images for the data tests: a tiny PNG writer, generated pictures, and the committed fixture files.</summary>
internal static class TestImages
{
    public static string ImagesDirectory => Path.Combine(Fixtures.Directory, "images");

    public static string File(string name) => Path.Combine(ImagesDirectory, name);

    public static SafetensorsFile OpenFixture() => Fixtures.Open("transforms");

    /// <summary>A U8 H x W x 3 fixture entry as an image.</summary>
    public static RgbImage Read(SafetensorsFile file, string name)
    {
        var e = file.Entry(name);
        Assert.Equal("U8", e.DType);
        Assert.Equal(3, e.Shape.Length);
        Assert.Equal(3, e.Shape[2]);
        return new RgbImage(e.Shape[1], e.Shape[0], file.ReadBytes(name));
    }

    /// <summary>A deterministic picture: waves plus noise from <paramref name="seed"/>.</summary>
    public static RgbImage Picture(int width, int height, ulong seed)
    {
        var rng = new Rng(seed);
        var img = new RgbImage(width, height);
        var px = img.Pixels;
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                for (var c = 0; c < 3; c++)
                    px[(y * width + x) * 3 + c] = (byte)Math.Clamp(128 + 90 * Math.Sin(x / (5.0 + c) + seed) * Math.Cos(y / 7.0) + rng.NextInt(41) - 20, 0, 255);
        return img;
    }

    /// <summary>An 8-bit RGB PNG (colour type 2, no interlace), deflated with .NET's zlib.</summary>
    public static byte[] Png(RgbImage image)
    {
        var raw = new byte[(image.Stride + 1) * image.Height];
        for (var y = 0; y < image.Height; y++)
            image.Pixels.AsSpan(y * image.Stride, image.Stride).CopyTo(raw.AsSpan(y * (image.Stride + 1) + 1)); // filter 0 per row
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Fastest, leaveOpen: true)) zs.Write(raw);
        var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), image.Height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        Chunk(ms, "IHDR", ihdr);
        Chunk(ms, "IDAT", z.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] body)
    {
        Span<byte> b4 = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b4, body.Length);
        s.Write(b4);
        var typed = new byte[4 + body.Length];
        System.Text.Encoding.ASCII.GetBytes(type, typed);
        body.CopyTo(typed, 4);
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(b4, PngCrc(typed));
        s.Write(b4);
    }

    /// <summary>Recomputes every chunk's CRC in place (as far as the chunk lengths stay inside the bytes).</summary>
    public static void FixPngCrcs(byte[] png)
    {
        var pos = 8;
        while (pos + 12 <= png.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            if (length > (uint)(png.Length - pos - 12)) return;
            var crc = PngCrc(png.AsSpan(pos + 4, 4 + (int)length));
            BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(pos + 8 + (int)length), crc);
            pos += 12 + (int)length;
        }
    }

    private static uint PngCrc(ReadOnlySpan<byte> bytes)
    {
        var c = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            c ^= b;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        return c ^ 0xFFFFFFFFu;
    }

    /// <summary>Pixel differences: the largest, the mean, and how many bytes differ.</summary>
    public static (int Max, double Mean, int Differing) Compare(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        int max = 0, differing = 0;
        long sum = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var d = Math.Abs(expected[i] - actual[i]);
            if (d > max) max = d;
            if (d != 0) differing++;
            sum += d;
        }
        return (max, expected.Length == 0 ? 0 : (double)sum / expected.Length, differing);
    }
}
