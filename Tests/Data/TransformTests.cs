using System.Globalization;
using NativeNets.Data.Formats;
using NativeNets.Data.Images;
using NativeNets.Data.Transforms;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Data;

/// <summary>The transforms against what Pillow 9.4 and torchvision 0.14 computed (Tests/Fixtures/generate_transforms.py).</summary>
public class TransformTests
{
    private static IEnumerable<string> Names(SafetensorsFile fx, string prefix) =>
        fx.Entries.Select(e => e.Name).Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(n => n, StringComparer.Ordinal);

    private static int[] Ints(string text, char separator) =>
        text.Split(separator).Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();

    private static void AssertSameBytes(string what, RgbImage expected, RgbImage actual)
    {
        Assert.True((expected.Width, expected.Height) == (actual.Width, actual.Height),
            $"{what}: ours is {actual.Width}x{actual.Height}, torchvision's {expected.Width}x{expected.Height}");
        var (max, mean, differing) = TestImages.Compare(expected.Span, actual.Span);
        Assert.True(differing == 0, $"{what}: {differing} of {expected.ByteCount} bytes differ from Pillow's (max {max}, mean {mean:F4})");
    }

    [Fact]
    public void BilinearResizeEqualsPillowBitForBit()
    {
        using var fx = TestImages.OpenFixture();
        var count = 0;
        foreach (var name in Names(fx, "resize."))
        {
            var parts = name.Split('.');
            var size = Ints(parts[2], 'x');
            var input = TestImages.Read(fx, "img." + parts[1]);
            AssertSameBytes(name, TestImages.Read(fx, name), PillowResize.Bilinear(input, size[0], size[1]));
            count++;
        }
        Assert.True(count >= 30, $"only {count} resize cases in the fixture");
    }

    [Fact]
    public void ResizedCropEqualsTorchvisionsCropThenResize()
    {
        using var fx = TestImages.OpenFixture();
        foreach (var name in Names(fx, "rcrop."))
        {
            var parts = name.Split('.');
            var box = Ints(parts[2], '_');   // left, top, width, height
            var size = int.Parse(parts[3], CultureInfo.InvariantCulture);
            var input = TestImages.Read(fx, "img." + parts[1]);
            AssertSameBytes(name, TestImages.Read(fx, name), PillowResize.Bilinear(input, box[0], box[1], box[2], box[3], size, size));
            // The same through an explicit crop: the box form must never read outside the box.
            AssertSameBytes(name + " (cropped first)", TestImages.Read(fx, name), PillowResize.Bilinear(input.Crop(box[0], box[1], box[2], box[3]), size, size));
        }
    }

    [Fact]
    public void ResizeOfTheShorterSideEqualsTorchvision()
    {
        using var fx = TestImages.OpenFixture();
        foreach (var name in Names(fx, "tvresize."))
        {
            var parts = name.Split('.');
            var n = int.Parse(parts[2], CultureInfo.InvariantCulture);
            var input = TestImages.Read(fx, "img." + parts[1]);
            AssertSameBytes(name, TestImages.Read(fx, name), new Resize(n).Apply(input, new Rng(0)));
        }
    }

    [Fact]
    public void CenterCropEqualsTorchvisionIncludingPaddingAndRounding()
    {
        using var fx = TestImages.OpenFixture();
        foreach (var name in Names(fx, "center."))
        {
            var parts = name.Split('.');
            var n = int.Parse(parts[2], CultureInfo.InvariantCulture);
            var input = TestImages.Read(fx, "img." + parts[1]);
            AssertSameBytes(name, TestImages.Read(fx, name), new CenterCrop(n).Apply(input, new Rng(0)));
        }
        // Python's round(x / 2.0) rounds halves to even: offsets of 0.5 -> 0, 1.5 -> 2, 2.5 -> 2.
        Assert.Equal((0, 0), CenterCrop.Offset(11, 11, 10, 10));
        Assert.Equal((2, 2), CenterCrop.Offset(13, 13, 10, 10));
        Assert.Equal((2, 2), CenterCrop.Offset(15, 15, 10, 10));
        Assert.Equal((16, 16), CenterCrop.Offset(256, 256, 224, 224));
    }

    [Fact]
    public void ResizeOutputSizeFollowsTorchvision()
    {
        Assert.Equal((256, 341), new Resize(256).OutputSize(375, 500));   // int(256 * 500 / 375) = 341
        Assert.Equal((341, 256), new Resize(256).OutputSize(500, 375));
        Assert.Equal((256, 256), new Resize(256).OutputSize(100, 100));
        Assert.Equal((384, 256), new Resize(256).OutputSize(3, 2));
        Assert.Equal((7, 5), new Resize(5, 7).OutputSize(100, 30));
    }

    [Fact]
    public void NormalizeEqualsToTensorThenNormalizeToTheBit()
    {
        using var fx = TestImages.OpenFixture();
        foreach (var name in Names(fx, "normalize."))
        {
            var input = TestImages.Read(fx, "img." + name.Split('.')[1]);
            var expected = fx.ReadDoubles(name).Select(v => (float)v).ToArray();
            var ours = Normalize.ImageNet.Apply(input);
            Assert.Equal(expected.Length, ours.Length);
            for (var i = 0; i < ours.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(ours[i]),
                    $"{name}[{i}]: ours {ours[i]:R}, torchvision {expected[i]:R}");

            // The batch form (U8 NHWC in, F32 NCHW out) gives the same values.
            using var batch = new Tensor([1, 3, input.Height, input.Width], DType.U8, Device.Cpu, Layout.NHWC);
            batch.CopyFrom<byte>(input.Span);
            using var output = Normalize.ImageNet.Apply(batch);
            Assert.Equal(ours, output.ToArray<float>());
        }
    }

    /// <summary>RandomResizedCrop.get_params replayed with the draws torchvision made (logged by the generator).</summary>
    [Fact]
    public void RandomResizedCropSamplingEqualsTorchvisionGivenTheSameDraws()
    {
        using var fx = TestImages.OpenFixture();
        var cases = fx.ReadDoubles("rrc.cases");
        var draws = fx.ReadDoubles("rrc.draws");
        var outs = fx.ReadDoubles("rrc.out");
        var caseCount = cases.Length / 7;
        var drawCount = draws.Length / 5;
        var next = 0;
        int fallbacks = 0, exact = 0;
        for (var c = 0; c < caseCount; c++)
        {
            var w = (int)cases[7 * c];
            var h = (int)cases[7 * c + 1];
            var scale = (cases[7 * c + 2], cases[7 * c + 3]);
            var ratio = (cases[7 * c + 4], cases[7 * c + 5]);
            var used = 0;
            double NextDraw(int kind, double lo, double hi)
            {
                Assert.True(next < drawCount && (int)draws[5 * next] == c, $"case {c}: we draw more often than torchvision did");
                Assert.Equal(kind, (int)draws[5 * next + 1]);
                // Bounds too: the float32 log-ratio bounds and the randint ranges must be torchvision's.
                Assert.Equal(draws[5 * next + 2], lo);
                Assert.Equal(draws[5 * next + 3], hi);
                used++;
                return draws[5 * next++ + 4];
            }
            var box = RandomResizedCrop.GetParams(w, h, scale, ratio,
                (lo, hi) => NextDraw(0, lo, hi),
                n => (int)NextDraw(1, 0, n));
            Assert.True(next == drawCount || (int)draws[5 * next] != c, $"case {c}: torchvision drew more often than we did");
            Assert.Equal(((int)outs[4 * c], (int)outs[4 * c + 1], (int)outs[4 * c + 2], (int)outs[4 * c + 3]), (box.Top, box.Left, box.Height, box.Width));
            if (used == 20) fallbacks++;
            exact++;
        }
        Assert.True(fallbacks >= 9, $"only {fallbacks} of {exact} cases reached the fallback");
    }

    /// <summary>An independent transcription of torchvision 0.14's get_params, with the draws supplied.</summary>
    private static (int I, int J, int H, int W) TorchvisionGetParams(int width, int height, double s0, double s1, double r0, double r1,
        Func<double, double, double> uniform, Func<int, int> randint)
    {
        double area = height * width;
        float[] logRatio = [MathF.Log((float)r0), MathF.Log((float)r1)];
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var targetArea = area * uniform(s0, s1);
            var aspectRatio = (double)MathF.Exp((float)uniform(logRatio[0], logRatio[1]));
            var w = (int)Math.Round(Math.Sqrt(targetArea * aspectRatio));
            var h = (int)Math.Round(Math.Sqrt(targetArea / aspectRatio));
            if (0 < w && w <= width && 0 < h && h <= height)
                return (randint(height - h + 1), randint(width - w + 1), h, w);
        }
        var inRatio = (double)width / height;
        int fw = width, fh = height;
        if (inRatio < Math.Min(r0, r1)) fh = (int)Math.Round(fw / Math.Min(r0, r1));
        else if (inRatio > Math.Max(r0, r1)) fw = (int)Math.Round(fh * Math.Max(r0, r1));
        return ((height - fh) / 2, (width - fw) / 2, fh, fw);
    }

    [Fact]
    public void RandomResizedCropMatchesADirectTranscriptionOnRandomDraws()
    {
        var sizes = new[] { (500, 375), (375, 500), (224, 224), (1000, 30), (30, 1000), (7, 5), (1, 1), (4000, 3000) };
        var rng = new Rng(77);
        for (var k = 0; k < 20000; k++)
        {
            var (w, h) = sizes[k % sizes.Length];
            var draws = Enumerable.Range(0, 40).Select(_ => rng.NextDouble()).ToArray();
            int a = 0, b = 0;
            var ours = RandomResizedCrop.GetParams(w, h, (0.08, 1.0), (3.0 / 4, 4.0 / 3),
                (lo, hi) => (float)(lo + (hi - lo) * draws[a++]), n => (int)(draws[a++] * n));
            var theirs = TorchvisionGetParams(w, h, 0.08, 1.0, 3.0 / 4, 4.0 / 3,
                (lo, hi) => (float)(lo + (hi - lo) * draws[b++]), n => (int)(draws[b++] * n));
            Assert.Equal(theirs, (ours.Top, ours.Left, ours.Height, ours.Width));
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void RandomResizedCropStatisticsStayInsideTheScaleAndRatioRanges()
    {
        var t = new RandomResizedCrop(224);
        var rng = new Rng(5);
        const int width = 500, height = 375, n = 20000;
        double minScale = 1, maxScale = 0, minRatio = 10, maxRatio = 0, sumLogRatio = 0;
        var left = new int[2];
        for (var k = 0; k < n; k++)
        {
            var box = t.GetParams(width, height, rng);
            Assert.True(box.Top >= 0 && box.Left >= 0 && box.Top + box.Height <= height && box.Left + box.Width <= width, $"{box} is outside the image");
            var scale = (double)box.Width * box.Height / (width * height);
            var ratio = (double)box.Width / box.Height;
            minScale = Math.Min(minScale, scale);
            maxScale = Math.Max(maxScale, scale);
            minRatio = Math.Min(minRatio, ratio);
            maxRatio = Math.Max(maxRatio, ratio);
            sumLogRatio += Math.Log(ratio);
            left[box.Left < (width - box.Width) / 2.0 ? 0 : 1]++;
        }
        // Rounding w and h to integers moves scale and ratio slightly past the nominal bounds.
        Assert.InRange(minScale, 0.078, 0.1);
        Assert.InRange(maxScale, 0.95, 1.0);
        Assert.InRange(minRatio, 0.74, 0.77);
        Assert.InRange(maxRatio, 1.30, 1.345);
        Assert.InRange(left[0] / (double)n, 0.45, 0.55);
        // Landscape images accept wide crops more often than tall ones, as torchvision's do ...
        Assert.InRange(sumLogRatio / n, 0.01, 0.05);
        // ... and on a square image the log-uniform ratio is symmetric around 1.
        var logRatios = Enumerable.Range(0, n).Select(_ => t.GetParams(400, 400, rng)).Select(b => Math.Log((double)b.Width / b.Height));
        Assert.InRange(logRatios.Average(), -0.005, 0.005);
        // Same seed, same boxes.
        Assert.Equal(t.GetParams(640, 480, new Rng(9)), t.GetParams(640, 480, new Rng(9)));
    }

    [Fact]
    public void HorizontalFlipMirrorsAboutHalfTheTime()
    {
        var flip = new RandomHorizontalFlip();
        var rng = new Rng(3);
        var flips = Enumerable.Range(0, 10000).Count(_ => flip.Decide(rng));
        Assert.InRange(flips, 4800, 5200);
        var img = TestImages.Picture(5, 2, 1);
        var copy = new RgbImage(5, 2, (byte[])img.Pixels.Clone());
        RandomHorizontalFlip.FlipInPlace(img);
        for (var y = 0; y < 2; y++)
            for (var x = 0; x < 5; x++)
                Assert.True(copy.Span.Slice((y * 5 + x) * 3, 3).SequenceEqual(img.Span.Slice((y * 5 + 4 - x) * 3, 3)));
        Assert.Same(img, new RandomHorizontalFlip(0).Apply(img, rng));
    }

    [Fact]
    public void TheStandardPipelinesProduceTheirOutputSize()
    {
        var img = TestImages.Picture(500, 375, 8);
        var train = ImageNetTransforms.Train().Apply(img, new Rng(1));
        Assert.Equal((224, 224), (train.Width, train.Height));
        var eval = ImageNetTransforms.Eval().Apply(img, new Rng(1));
        Assert.Equal((224, 224), (eval.Width, eval.Height));
        // Evaluation is deterministic; training is deterministic given the seed.
        Assert.True(eval.Span.SequenceEqual(ImageNetTransforms.Eval().Apply(img, new Rng(2)).Span));
        Assert.True(train.Span.SequenceEqual(ImageNetTransforms.Train().Apply(img, new Rng(1)).Span));
    }
}
