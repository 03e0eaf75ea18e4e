using System.Security.Cryptography;
using NativeNets.Data;
using NativeNets.Data.Formats;
using NativeNets.Data.Images;
using NativeNets.Native;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Data;

/// <summary>
/// The TurboJPEG fast path of <see cref="ImageDecoder"/> (libjpeg-turbo, Debian's libturbojpeg0): the committed JPEGs
/// must decode to exactly the pixels Pillow 9.4 (libjpeg-turbo 2.1.5) decodes, as recorded in jpeg-decode.safetensors by
/// Tests/Fixtures/generate_jpeg_decode.py: the fixture images in full, the photos by the SHA-256 of all their pixels
/// (with per-row sums and a central block to say where a difference is). Skipped where libturbojpeg is not installed.
/// </summary>
public class TurboJpegTests
{
    private const string SkipReason = "libturbojpeg (TurboJPEG 2.x) is not installed (Debian: apt-get install libturbojpeg0)";

    private static void RequireTurboJpeg() => Assert.SkipUnless(TurboJpeg.IsAvailable, SkipReason);

    /// <summary>The JPEGs the fixture was made from, in its order.</summary>
    private static readonly string[] Files =
    [
        "images/cmyk.jpg", "images/grey.jpg", "images/odd-size.jpg", "images/progressive.jpg", "images/rgb420.jpg", "images/rgb444.jpg",
        "photos/astronaut.jpg", "photos/chelsea.jpg", "photos/coffee.jpg", "photos/retina.jpg", "photos/rocket.jpg",
    ];

    public static TheoryData<string> Jpegs() => new(Files);

    private static SafetensorsFile OpenFixture() => Fixtures.Open("jpeg-decode");

    [Fact]
    public void TheFixtureListsEveryCommittedJpeg()
    {
        using var fx = OpenFixture();
        Assert.Equal(Files, fx.Metadata["files"].Split(','));
        Assert.Equal("2.1.5", fx.Metadata["libjpeg_turbo"]);
    }

    [Fact]
    public void TheBackendIsNamed()
    {
        if (TurboJpeg.IsAvailable)
            Assert.Equal($"libjpeg-turbo {NativeLibraries.Load(NativeLibraries.TurboJpeg).Path}", ImageDecoder.JpegBackend);
        else
            Assert.Equal("StbImageSharp", ImageDecoder.JpegBackend);
    }

    [Theory]
    [MemberData(nameof(Jpegs))]
    public void JpegsDecodeBitIdenticallyToPillow(string key)
    {
        RequireTurboJpeg();
        using var fx = OpenFixture();
        var path = Path.Combine(Fixtures.Directory, key);
        var bytes = File.ReadAllBytes(path);
        Assert.True(Convert.ToHexStringLower(SHA256.HashData(bytes)) == fx.Metadata[$"sha256.{key}"],
            $"{path} is not the file jpeg-decode.safetensors was made from; rerun /usr/bin/python3 Tests/Fixtures/generate_jpeg_decode.py");

        var img = ImageDecoder.Decode(bytes, path);
        Assert.Equal(fx.Metadata[$"size.{key}"], $"{img.Width}x{img.Height}");
        var w = img.Width;
        var h = img.Height;
        var px = img.Span;
        var where = new List<string>();
        if (fx.Contains($"rgb.{key}"))
        {
            var expected = TestImages.Read(fx, $"rgb.{key}");
            var (max, mean, differing) = TestImages.Compare(expected.Span, px);
            if (differing > 0) where.Add($"{differing} of {px.Length} bytes differ, max {max}, mean {mean:F4}");
        }
        else
        {
            var rowsum = fx.ReadDoubles($"rowsum.{key}");   // I32 [H, 3]
            Assert.Equal(h * 3, rowsum.Length);
            var rows = new List<int>();
            for (var y = 0; y < h; y++)
                for (var c = 0; c < 3; c++)
                {
                    long s = 0;
                    for (var x = 0; x < w; x++) s += px[(y * w + x) * 3 + c];
                    if (s != (long)rowsum[y * 3 + c] && (rows.Count == 0 || rows[^1] != y)) rows.Add(y);
                }
            if (rows.Count > 0) where.Add($"the sums of {rows.Count} rows differ (first rows {string.Join(", ", rows.Take(5))})");
            var centre = TestImages.Read(fx, $"centre.{key}");
            int top = (h - centre.Height) / 2, left = (w - centre.Width) / 2;
            var block = img.Crop(left, top, centre.Width, centre.Height);
            var (max, mean, differing) = TestImages.Compare(centre.Span, block.Span);
            if (differing > 0) where.Add($"the central {centre.Width}x{centre.Height} block: {differing} bytes differ, max {max}, mean {mean:F4}");
        }
        var sha = Convert.ToHexStringLower(SHA256.HashData(px));
        if (sha != fx.Metadata[$"sha256rgb.{key}"]) where.Add($"SHA-256 of the pixels {sha}, Pillow's {fx.Metadata[$"sha256rgb.{key}"]}");
        TestContext.Current.TestOutputHelper?.WriteLine($"{key} ({fx.Metadata[$"mode.{key}"]}, {w}x{h}): {(where.Count == 0 ? "bit-identical to Pillow" : string.Join("; ", where))}");
        Assert.True(where.Count == 0, $"{key}: not Pillow's pixels: {string.Join("; ", where)}");
    }

    [Fact]
    public void TheHeaderIsReadAsTheFileDescribesIt()
    {
        RequireTurboJpeg();
        using var tj = TurboJpegDecompressor.Create();
        Assert.Equal((64, 48, TJSAMP.TJSAMP_420, TJCS.TJCS_YCbCr), tj.ReadHeader(File.ReadAllBytes(TestImages.File("rgb420.jpg"))));
        Assert.Equal((64, 48, TJSAMP.TJSAMP_444, TJCS.TJCS_YCbCr), tj.ReadHeader(File.ReadAllBytes(TestImages.File("rgb444.jpg"))));
        Assert.Equal((64, 48, TJSAMP.TJSAMP_GRAY, TJCS.TJCS_GRAY), tj.ReadHeader(File.ReadAllBytes(TestImages.File("grey.jpg"))));
        var cmyk = tj.ReadHeader(File.ReadAllBytes(TestImages.File("cmyk.jpg")));
        Assert.True(cmyk.Colorspace is TJCS.TJCS_CMYK or TJCS.TJCS_YCCK, $"cmyk.jpg reads as {cmyk.Colorspace}");
    }

    [Fact]
    public void ErrorsAreTurboJpegExceptionsWithTheLibrarysText()
    {
        RequireTurboJpeg();
        using var tj = TurboJpegDecompressor.Create();
        var e = Assert.Throws<TurboJpegException>(() => tj.ReadHeader("not a jpeg at all"u8));
        Assert.Equal(TJERR.TJERR_FATAL, e.Severity);
        Assert.False(string.IsNullOrWhiteSpace(e.ErrorText));
        Assert.Contains("tjDecompressHeader3", e.Message);
        Assert.Contains(e.ErrorText, e.Message);
        Assert.Equal(NativeLibraries.TurboJpeg, e.Library);
    }

    [Fact]
    public void ATruncatedScanIsAWarningThatIsNeverAnImage()
    {
        RequireTurboJpeg();
        var bytes = File.ReadAllBytes(TestImages.File("rgb420.jpg"));
        // The library on its own: a scan cut short is only a warning (libjpeg pads it and finishes the image); the binding
        // still reports it, so a damaged image cannot pass silently.
        var cut = bytes[..(bytes.Length * 2 / 3)];
        using var tj = TurboJpegDecompressor.Create();
        var buffer = new byte[64 * 48 * 3];
        var e = Assert.Throws<TurboJpegException>(() => tj.Decompress(cut, buffer, 64, 48, TJPF.TJPF_RGB, TJFLAG.None));
        Assert.Equal(TJERR.TJERR_WARNING, e.Severity);
        // The decoder: the structural check reports the truncation first, with its offset.
        var d = Assert.Throws<DataFormatException>(() => ImageDecoder.Decode(cut, "cut.jpg"));
        Assert.Contains("truncated", d.Message);
        Assert.Equal(cut.Length, d.Offset);
    }

    [Fact]
    public void CorruptEntropyCodedDataIsADataFormatErrorWithTheLibrarysText()
    {
        RequireTurboJpeg();
        // Structurally whole (every marker in place) but with the entropy-coded data of the scan replaced by a
        // restart marker where none is expected: libjpeg warns, and the decoder refuses the image.
        var bytes = File.ReadAllBytes(TestImages.File("rgb420.jpg"));
        var sos = bytes.AsSpan().IndexOf([(byte)0xFF, (byte)0xDA]);
        var start = sos + 2 + (bytes[sos + 2] << 8 | bytes[sos + 3]);
        var end = bytes.Length - 2;
        var damaged = (byte[])bytes.Clone();
        for (var i = start; i < end; i++) damaged[i] = 0;
        damaged[start + 10] = 0xFF;
        damaged[start + 11] = 0xD3;
        var d = Assert.Throws<DataFormatException>(() => ImageDecoder.Decode(damaged, "damaged.jpg"));
        Assert.StartsWith("damaged.jpg: corrupt JPEG data: libjpeg-turbo stopped with \"", d.Message);
        Assert.IsType<TurboJpegException>(d.InnerException);
    }

    [Fact]
    public void DecodersOnManyThreadsAgree()
    {
        RequireTurboJpeg();
        var names = new[] { "rgb420.jpg", "rgb444.jpg", "progressive.jpg", "grey.jpg", "cmyk.jpg", "odd-size.jpg" };
        var files = names.Select(n => File.ReadAllBytes(TestImages.File(n))).ToArray();
        var expected = files.Select((b, i) => Convert.ToHexString(SHA256.HashData(ImageDecoder.Decode(b, names[i]).Span))).ToArray();
        var failures = 0;
        Parallel.For(0, 600, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var k = i % files.Length;
            var img = ImageDecoder.Decode(files[k], names[k]);
            if (Convert.ToHexString(SHA256.HashData(img.Span)) != expected[k]) Interlocked.Increment(ref failures);
            img.Release();
        });
        Assert.Equal(0, failures);
    }
}
