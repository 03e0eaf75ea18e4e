using System.Security.Cryptography;
using NativeNets.Data.Formats;
using NativeNets.Data.Images;
using NativeNets.Data.Transforms;
using NativeNets.Tensors;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Data;

/// <summary>
/// The evaluation transform on real photos (Tests/Fixtures/photos, from scikit-image's data; licences in its README.md)
/// against what Pillow 9.4 and torchvision 0.14 computed from the same bytes (Tests/Fixtures/generate_photos.py).
/// JPEGs are held to issue 7's bound (mean absolute difference under 0.5/255, no value off by more than 2/255) rather
/// than to the bit, because a decoder other than Pillow's libjpeg-turbo (StbImageSharp) rounds its IDCT, chroma
/// upsampling and YCbCr conversion differently; the lossless PNG isolates the transforms, which must then be exact.
/// </summary>
public class RealPhotoTests
{
    private const double MeanBound = 0.5;   // levels of 0..255
    private const int MaxBound = 2;

    /// <summary>The photos the fixture was made from, in its order (checked against its metadata).</summary>
    private static readonly string[] PhotoFiles = ["rocket.jpg", "retina.jpg", "astronaut.jpg", "coffee.jpg", "chelsea.jpg", "chelsea.png"];

    /// <summary>One theory row per photo.</summary>
    public static TheoryData<string> Photos() => new(PhotoFiles);

    private static string PhotoPath(string file) => Path.Combine(Fixtures.Directory, "photos", file);

    private static SafetensorsFile OpenFixture() => Fixtures.Open("photos");

    /// <summary>Decodes the committed photo with our decoder and applies our Resize(256) + CenterCrop(224).</summary>
    private static RgbImage OursEval(SafetensorsFile fx, string file)
    {
        var path = PhotoPath(file);
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
        Assert.True(sha == fx.Metadata[$"sha256.{file}"],
            $"{path} is not the file photos.safetensors was made from (sha256 {sha}, fixture {fx.Metadata[$"sha256.{file}"]}); rerun /usr/bin/python3 Tests/Fixtures/generate_photos.py");

        var decoded = ImageDecoder.DecodeFile(path);
        var size = fx.ReadDoubles($"size.{file}");
        Assert.True((decoded.Width, decoded.Height) == ((int)size[0], (int)size[1]),
            $"{file}: we decode {decoded.Width}x{decoded.Height}, Pillow {size[0]}x{size[1]}");
        var resized = new Resize(256).Apply(decoded, new Rng(0));
        var cropped = new CenterCrop(224).Apply(resized, new Rng(0));
        Assert.Equal((224, 224), (cropped.Width, cropped.Height));
        // The packaged evaluation pipeline is the same two steps.
        Assert.True(cropped.Span.SequenceEqual(ImageNetTransforms.Eval().Apply(decoded, new Rng(1)).Span), $"{file}: ImageNetTransforms.Eval() differs from Resize(256) + CenterCrop(224)");
        return cropped;
    }

    [Fact]
    public void TheFixtureHoldsAtLeastFiveRealJpegPhotos()
    {
        using var fx = OpenFixture();
        var listed = fx.Metadata["photos"].Split(',');
        Assert.Equal(PhotoFiles, listed);
        Assert.True(listed.Count(f => f.EndsWith(".jpg", StringComparison.Ordinal)) >= 5, $"only {string.Join(", ", listed)}");
        foreach (var file in listed)
        {
            Assert.True(File.Exists(PhotoPath(file)), $"{PhotoPath(file)} is missing");
            Assert.True(fx.Contains($"eval.{file}") && fx.Contains($"size.{file}") && fx.Contains($"normalized_sum.{file}"), $"{file} has no results in the fixture");
        }
        Assert.True(File.Exists(Path.Combine(Fixtures.Directory, "photos", "README.md")), "photos/README.md (sources and licences) is missing");
    }

    [Theory]
    [MemberData(nameof(Photos))]
    public void EvaluationTransformMatchesTorchvisionOnARealPhoto(string file)
    {
        using var fx = OpenFixture();
        var ours = OursEval(fx, file);
        var theirs = TestImages.Read(fx, $"eval.{file}");
        var (max, mean, differing) = TestImages.Compare(theirs.Span, ours.Span);
        var histogram = new int[256];
        for (var i = 0; i < theirs.ByteCount; i++) histogram[Math.Abs(theirs.Pixels[i] - ours.Pixels[i])]++;
        var byLevel = string.Join(", ", Enumerable.Range(1, max).Select(d => $"{histogram[d]} by {d}"));
        var figures = $"{file}: mean |ours - torchvision| {mean:F4}/255, max {max}/255; {differing} of {theirs.ByteCount} values differ" +
                      (differing > 0 ? $" ({byLevel})" : "");
        TestContext.Current.TestOutputHelper?.WriteLine(figures);
        Assert.True(mean < MeanBound && max <= MaxBound, $"{figures}; allowed: mean < {MeanBound}/255, max <= {MaxBound}/255");
        if (file.EndsWith(".png", StringComparison.Ordinal))
            Assert.True(differing == 0, $"{figures}: a lossless photo decodes identically, so the transforms must match to the bit");
    }

    [Theory]
    [MemberData(nameof(Photos))]
    public void NormalizedEvaluationOutputMatchesTorchvisionOnARealPhoto(string file)
    {
        using var fx = OpenFixture();
        var theirs = TestImages.Read(fx, $"eval.{file}");
        var table = fx.ReadDoubles("normalize.table");   // torch's ToTensor + Normalize of every byte, [3, 256]
        var sums = fx.ReadDoubles($"normalized_sum.{file}");
        var ours = Normalize.ImageNet.Apply(OursEval(fx, file));
        const int plane = 224 * 224;
        Assert.Equal(3 * plane, ours.Length);

        var std = Normalize.ImageNet.Std;
        var report = new List<string>();
        var failures = new List<string>();
        for (var c = 0; c < 3; c++)
        {
            // torchvision's normalised tensor, rebuilt from its bytes and its per-byte values; the sum proves the rebuild.
            double sum = 0, sumAbs = 0, sumDiff = 0, maxDiff = 0;
            for (var i = 0; i < plane; i++)
            {
                var expected = (float)table[c * 256 + theirs.Pixels[3 * i + c]];
                sum += expected;
                sumAbs += Math.Abs(expected);
                var d = Math.Abs((double)ours[c * plane + i] - expected);
                sumDiff += d;
                maxDiff = Math.Max(maxDiff, d);
            }
            Assert.True(Math.Abs(sum - sums[c]) <= 1e-9 * sumAbs, $"{file} channel {c}: torchvision's normalised tensor sums to {sums[c]:R}, the rebuild to {sum:R}");
            var mean = sumDiff / plane;
            // The bounds in 0..255 levels, expressed after ToTensor + Normalize: one level is 1/255/std[c]
            // (plus float32 rounding of the two values compared).
            var meanBound = MeanBound / 255 / std[c];
            var maxBound = MaxBound / 255.0 / std[c] + 1e-6;
            var line = $"channel {c}: mean {mean:E3} (bound {meanBound:E3}, = {mean * 255 * std[c]:F4}/255), max {maxDiff:E3} (bound {maxBound:E3}, = {maxDiff * 255 * std[c]:F2}/255)";
            report.Add(line);
            if (!(mean < meanBound && maxDiff <= maxBound)) failures.Add(line);
        }
        var figures = $"{file}, normalised: {string.Join("; ", report)}";
        TestContext.Current.TestOutputHelper?.WriteLine(figures);
        Assert.True(failures.Count == 0, $"{figures}; out of bounds: {string.Join("; ", failures)}");
    }
}
