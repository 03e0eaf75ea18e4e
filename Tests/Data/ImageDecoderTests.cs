using NativeNets.Data;
using NativeNets.Data.Images;
using NativeNets.Tensors;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Data;

public class ImageDecoderTests
{
    // Lossless formats decode to exactly Pillow's convert("RGB").
    [Theory]
    [InlineData("rgb.png")]
    [InlineData("rgba.png")]
    [InlineData("grey-alpha.png")]
    [InlineData("palette.png")]
    [InlineData("rgb.bmp")]
    [InlineData("palette.gif")]
    public void LosslessFilesDecodeToPillowsPixels(string name)
    {
        using var fx = TestImages.OpenFixture();
        var expected = TestImages.Read(fx, "decode." + name);
        var img = ImageDecoder.DecodeFile(TestImages.File(name));
        Assert.Equal((expected.Width, expected.Height), (img.Width, img.Height));
        Assert.True(expected.Span.SequenceEqual(img.Span), $"{name}: {TestImages.Compare(expected.Span, img.Span)}");
    }

    // stb_image's JPEG decoder (integer IDCT, fancy upsampling, its own YCbCr->RGB fixed point) is not libjpeg-turbo:
    // measured against Pillow on these files: at most 2 levels off (1 for grey and CMYK), a mean under 0.1.
    [Theory]
    [InlineData("rgb420.jpg", 2, 0.1)]
    [InlineData("rgb444.jpg", 2, 0.05)]
    [InlineData("progressive.jpg", 2, 0.1)]
    [InlineData("odd-size.jpg", 2, 0.1)]
    [InlineData("grey.jpg", 1, 0.01)]
    [InlineData("cmyk.jpg", 1, 0.01)]
    public void JpegsDecodeCloseToPillow(string name, int maxDifference, double maxMean)
    {
        using var fx = TestImages.OpenFixture();
        var expected = TestImages.Read(fx, "decode." + name);
        var img = ImageDecoder.DecodeFile(TestImages.File(name));
        Assert.Equal((expected.Width, expected.Height), (img.Width, img.Height));
        var (max, mean, differing) = TestImages.Compare(expected.Span, img.Span);
        Assert.True(max <= maxDifference && mean <= maxMean,
            $"{name}: max difference {max}, mean {mean:F3}, {differing} of {expected.ByteCount} bytes differ");
    }

    [Fact]
    public void ACmykJpegWithoutItsAdobeMarkerIsReadAsAdobeCmykAsPillowDoes()
    {
        // Pillow's CMYK JPEG carries APP14 "Adobe" with transform 0; without it stb_image would take the four
        // components for YCbCr plus a spare channel, while libjpeg (and so Pillow) still reads inverted CMYK.
        var bytes = File.ReadAllBytes(TestImages.File("cmyk.jpg"));
        var at = bytes.AsSpan().IndexOf([(byte)0xFF, (byte)0xEE]);
        Assert.True(at > 0, "the fixture has no APP14 segment");
        var length = bytes[at + 2] << 8 | bytes[at + 3];
        byte[] stripped = [.. bytes[..at], .. bytes[(at + 2 + length)..]];
        var expected = ImageDecoder.Decode(bytes, "with.jpg");
        var img = ImageDecoder.Decode(stripped, "without.jpg");
        Assert.True(expected.Span.SequenceEqual(img.Span));
    }

    [Fact]
    public void GreyIsReplicatedToThreeChannels()
    {
        var img = ImageDecoder.DecodeFile(TestImages.File("grey.jpg"));
        var px = img.Span;
        for (var i = 0; i < px.Length; i += 3)
            Assert.True(px[i] == px[i + 1] && px[i] == px[i + 2], $"pixel {i / 3} is not grey");
    }

    [Theory]
    [InlineData("truncated.jpg", "truncated")]
    [InlineData("huge-header.jpg", "65535x65535")]
    [InlineData("not-an-image.jpg", "not a JPEG, PNG, BMP or GIF")]
    public void BadFilesAreDataFormatErrorsNamingTheFile(string name, string expected)
    {
        var path = TestImages.File(name);
        var e = Assert.Throws<DataFormatException>(() => ImageDecoder.DecodeFile(path));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith(path + ": ", e.Message);
    }

    [Fact]
    public void UnsupportedJpegCodingProcessesAreNamed()
    {
        var bytes = File.ReadAllBytes(TestImages.File("rgb420.jpg"));
        var sof = bytes.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        var arithmetic = (byte[])bytes.Clone();
        arithmetic[sof + 1] = 0xC9;
        var e = Assert.Throws<DataFormatException>(() => ImageDecoder.Decode(arithmetic, "a.jpg"));
        Assert.Contains("arithmetic-coded JPEG (SOF9", e.Message);
        Assert.Equal(sof, e.Offset);
        var twelveBit = (byte[])bytes.Clone();
        twelveBit[sof + 4] = 12;
        Assert.Contains("12-bit samples", Assert.Throws<DataFormatException>(() => ImageDecoder.Decode(twelveBit, "b.jpg")).Message);
    }

    [Fact]
    public void EmptyAndMissingFilesAreDataFormatErrors()
    {
        using var dir = new TempDirectory();
        var empty = dir.File("empty.JPEG");
        File.WriteAllBytes(empty, []);
        Assert.Contains("empty file", Assert.Throws<DataFormatException>(() => ImageDecoder.DecodeFile(empty)).Message);
        Assert.Contains("cannot be read", Assert.Throws<DataFormatException>(() => ImageDecoder.DecodeFile(dir.File("missing.jpg"))).Message);
    }

    [Fact]
    public void TruncationIsReportedAtTheEndOfTheData()
    {
        var bytes = File.ReadAllBytes(TestImages.File("rgb420.jpg"));
        var e = Assert.Throws<DataFormatException>(() => ImageDecoder.Decode(bytes, bytes.Length - 2, "x.jpg"));
        Assert.Equal(bytes.Length - 2, e.Offset);
        var png = TestImages.Png(TestImages.Picture(20, 10, 1));
        e = Assert.Throws<DataFormatException>(() => ImageDecoder.Decode(png, png.Length - 12, "x.png"));
        Assert.Contains("IEND", e.Message);
    }

    [Fact]
    public void APngWithAFlippedBitFailsItsCrc()
    {
        var png = TestImages.Png(TestImages.Picture(20, 10, 2));
        png[60] ^= 0x10;
        var e = Assert.Throws<DataFormatException>(() => ImageDecoder.Decode(png, "flipped.png"));
        Assert.Contains("CRC", e.Message);
    }

    [Fact]
    public void OurPngWriterRoundTrips()
    {
        var pic = TestImages.Picture(33, 17, 3);
        var img = ImageDecoder.Decode(TestImages.Png(pic), "p.png");
        Assert.True(pic.Span.SequenceEqual(img.Span));
    }

    [Fact]
    public void TheMaxPixelLimitIsAppliedBeforeDecoding()
    {
        var png = TestImages.Png(TestImages.Picture(40, 30, 4));
        var e = Assert.Throws<DataFormatException>(() => ImageDecoder.Decode(png, "big.png", maxPixels: 1000));
        Assert.Contains("40x30", e.Message);
        Assert.Equal(1200, ImageDecoder.Decode(png, "ok.png", maxPixels: 1200).Width * 30);
    }

    /// <summary>
    /// Thousands of hostile inputs: random bytes, random bytes behind each format's magic number, and valid JPEGs and
    /// PNGs truncated, bit-flipped, byte-overwritten and with segments cut out. Only DataFormatException may come out
    /// (or an image, where the damage leaves a decodable file).
    /// </summary>
    [Fact]
    public void FuzzedBytesOnlyEverGiveDataFormatExceptions()
    {
        var seeds = new List<byte[]>();
        foreach (var name in new[] { "rgb420.jpg", "rgb444.jpg", "progressive.jpg", "grey.jpg", "cmyk.jpg", "odd-size.jpg", "rgba.png", "palette.png", "grey-alpha.png", "rgb.png", "rgb.bmp", "palette.gif" })
            seeds.Add(File.ReadAllBytes(TestImages.File(name)));
        seeds.Add(TestImages.Png(TestImages.Picture(16, 9, 5)));
        var rng = new Rng(20240607);
        int decoded = 0, rejected = 0;
        for (var iteration = 0; iteration < 10000; iteration++)
        {
            var bytes = Mutate(seeds, rng, iteration);
            try
            {
                // A flipped bit in a size field can make a legal image of millions of pixels; a lower limit keeps the test quick.
                var img = ImageDecoder.Decode(bytes, $"fuzz-{iteration}", maxPixels: 1 << 20);
                Assert.Equal(img.Width * img.Height * 3, img.ByteCount);
                decoded++;
            }
            catch (DataFormatException e)
            {
                Assert.StartsWith($"fuzz-{iteration}: ", e.Message);
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iteration} ({bytes.Length} bytes) threw {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(rejected > 3000 && decoded > 1000, $"{decoded} decoded, {rejected} rejected: the mutations should produce both");
    }

    internal static byte[] Mutate(List<byte[]> seeds, Rng rng, int iteration)
    {
        var seed = seeds[rng.NextInt(seeds.Count)];
        switch (iteration % 9)
        {
            case 0: // random bytes, sometimes behind a magic number
            {
                var b = new byte[rng.NextInt(600)];
                for (var i = 0; i < b.Length; i++) b[i] = (byte)rng.NextInt(256);
                byte[][] magics = [[0xFF, 0xD8, 0xFF], [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "BM"u8.ToArray(), "GIF89a"u8.ToArray(), []];
                var m = magics[rng.NextInt(magics.Length)];
                if (b.Length >= m.Length) m.CopyTo(b, 0);
                return b;
            }
            case 1: // truncated
                return seed[..rng.NextInt(seed.Length)];
            case 2: // one to eight flipped bits
            case 3:
            {
                var b = (byte[])seed.Clone();
                for (var k = 1 + rng.NextInt(8); k > 0; k--) b[rng.NextInt(b.Length)] ^= (byte)(1 << rng.NextInt(8));
                return b;
            }
            case 4: // bytes overwritten with extreme values (lengths, sizes, counts)
            {
                var b = (byte[])seed.Clone();
                for (var k = 1 + rng.NextInt(4); k > 0; k--) b[rng.NextInt(Math.Min(b.Length, 400))] = rng.NextInt(2) == 0 ? (byte)0xFF : (byte)0;
                return b;
            }
            case 5: // a range cut out
            {
                var start = rng.NextInt(seed.Length);
                var len = rng.NextInt(Math.Min(64, seed.Length - start) + 1);
                return [.. seed[..start], .. seed[(start + len)..]];
            }
            case 6: // a range duplicated
            {
                var start = rng.NextInt(seed.Length);
                var len = rng.NextInt(Math.Min(64, seed.Length - start) + 1);
                return [.. seed[..(start + len)], .. seed[start..]];
            }
            case 7: // a PNG damaged inside its chunks with the CRCs made right again, so the inflater sees the damage
            {
                var png = seeds.Where(s => s[0] == 0x89).ToList();
                if (png.Count == 0) goto default;
                var b = (byte[])png[rng.NextInt(png.Count)].Clone();
                for (var k = 1 + rng.NextInt(6); k > 0; k--) b[8 + rng.NextInt(b.Length - 8)] ^= (byte)(1 << rng.NextInt(8));
                TestImages.FixPngCrcs(b);
                return b;
            }
            default: // flipped bits in the headers only, then truncated or not
            {
                var b = (byte[])seed.Clone();
                for (var k = 1 + rng.NextInt(3); k > 0; k--) b[rng.NextInt(Math.Min(b.Length, 700))] ^= (byte)(1 << rng.NextInt(8));
                return rng.NextInt(3) == 0 ? b[..rng.NextInt(b.Length)] : b;
            }
        }
    }
}
