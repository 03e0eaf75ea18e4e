using NativeNets.Data;
using NativeNets.Data.Datasets;
using NativeNets.Data.Images;
using NativeNets.Data.Loading;
using NativeNets.Data.Transforms;
using NativeNets.Tensors;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Data;

public class ImageLoaderTests
{
    /// <summary>root/&lt;class&gt;/*.png: 23 generated PNGs of assorted sizes in 3 classes, plus the hostile files named in <paramref name="bad"/>.</summary>
    private static ImageFolder MakeFolder(TempDirectory dir, params (string Name, byte[] Bytes)[] bad)
    {
        for (var i = 0; i < 23; i++)
        {
            var cls = Path.Combine(dir.Path, $"class{i % 3}");
            Directory.CreateDirectory(cls);
            File.WriteAllBytes(Path.Combine(cls, $"img{i:D2}.png"), TestImages.Png(TestImages.Picture(20 + i % 7 * 5, 18 + i % 4 * 6, (ulong)i)));
        }
        foreach (var (name, bytes) in bad) File.WriteAllBytes(Path.Combine(dir.Path, name), bytes);
        return ImageFolder.FromClassFolders(dir.Path);
    }

    private static IImageTransform Train => new Compose(new RandomResizedCrop(12), new RandomHorizontalFlip());

    private static List<(byte[] Pixels, int[] Labels, int[] Indices)> ReadEpoch(ImageLoader loader, int epoch)
    {
        var result = new List<(byte[], int[], int[])>();
        foreach (var b in loader.Epoch(epoch))
            using (b)
                result.Add((b.Images.ToArray<byte>(), b.Labels, b.Indices));
        return result;
    }

    private static void AssertSameBatches(List<(byte[] Pixels, int[] Labels, int[] Indices)> a, List<(byte[] Pixels, int[] Labels, int[] Indices)> b)
    {
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Indices, b[i].Indices);
            Assert.Equal(a[i].Labels, b[i].Labels);
            Assert.True(a[i].Pixels.AsSpan().SequenceEqual(b[i].Pixels), $"batch {i}: same images, different pixels");
        }
    }

    [Fact]
    public void TheSameSeedGivesTheSameBatchesWithOneOrFourWorkers()
    {
        using var dir = new TempDirectory();
        var ds = MakeFolder(dir);
        var options = new ImageLoaderOptions { BatchSize = 5, Seed = 42, Workers = 1, PrefetchBatches = 2 };
        using var one = new ImageLoader(ds.Samples, Train, 12, 12, options);
        using var four = new ImageLoader(ds.Samples, Train, 12, 12, options with { Workers = 4 });
        for (var epoch = 0; epoch < 2; epoch++)
        {
            var a = ReadEpoch(one, epoch);
            AssertSameBatches(a, ReadEpoch(four, epoch));
            AssertSameBatches(a, ReadEpoch(four, epoch));   // and again
            Assert.Equal([5, 5, 5, 5, 3], a.Select(b => b.Labels.Length));
            Assert.Equal(Enumerable.Range(0, 23), a.SelectMany(b => b.Indices).Order());
        }
        // Epochs are shuffled differently; another seed gives other batches.
        Assert.NotEqual(ReadEpoch(one, 0)[0].Indices, ReadEpoch(one, 1)[0].Indices);
        using var other = new ImageLoader(ds.Samples, Train, 12, 12, options with { Seed = 43 });
        Assert.NotEqual(ReadEpoch(one, 0).SelectMany(b => b.Indices), ReadEpoch(other, 0).SelectMany(b => b.Indices));
    }

    [Fact]
    public void EachImageIsItsFileThroughTheTransformWithItsOwnSeededRng()
    {
        using var dir = new TempDirectory();
        var ds = MakeFolder(dir);
        using var loader = new ImageLoader(ds.Samples, Train, 12, 12, new ImageLoaderOptions { BatchSize = 4, Seed = 7, Workers = 3 });
        foreach (var b in loader.Epoch(3))
            using (b)
            {
                Assert.Equal([b.Count, 3, 12, 12], b.Images.Shape);
                Assert.Equal(Layout.NHWC, b.Images.Layout);
                Assert.Equal(DType.U8, b.Images.DType);
                var pixels = b.Images.ToArray<byte>();
                for (var k = 0; k < b.Count; k++)
                {
                    var index = b.Indices[k];
                    Assert.Equal(ds.Samples[index].Label, b.Labels[k]);
                    var expected = Train.Apply(ImageDecoder.DecodeFile(ds.Samples[index].Path), ImageLoader.ImageRng(7, 3, index));
                    Assert.True(expected.Span.SequenceEqual(pixels.AsSpan(k * 12 * 12 * 3, 12 * 12 * 3)), $"image {index} differs");
                }
            }
    }

    [Fact]
    public void WithoutShuffleTheOrderIsTheDatasetsAndDropLastDropsTheRemainder()
    {
        using var dir = new TempDirectory();
        var ds = MakeFolder(dir);
        using var loader = new ImageLoader(ds.Samples, ImageNetTransforms.Eval(10, 12), 10, 10,
            new ImageLoaderOptions { BatchSize = 6, Shuffle = false, DropLast = true, Workers = 2 });
        var batches = ReadEpoch(loader, 0);
        Assert.Equal([6, 6, 6], batches.Select(b => b.Labels.Length));
        Assert.Equal(Enumerable.Range(0, 18), batches.SelectMany(b => b.Indices));
    }

    private static (string, byte[])[] HostileFiles()
    {
        var jpeg = File.ReadAllBytes(TestImages.File("rgb420.jpg"));
        var rng = new Rng(1);
        var random = new byte[3000];
        for (var i = 0; i < random.Length; i++) random[i] = (byte)rng.NextInt(256);
        return
        [
            ("class1/truncated.JPEG", jpeg[..(jpeg.Length / 2)]),
            ("class0/huge.jpg", File.ReadAllBytes(TestImages.File("huge-header.jpg"))),
            ("class2/random.JPEG", random),
            ("class2/empty.jpeg", []),
            ("class1/text.png", "not a png"u8.ToArray()),
        ];
    }

    [Fact]
    public void HostileFilesAreSkippedCountedAndListedAndBatchesKeepTheirSize()
    {
        using var dir = new TempDirectory();
        var ds = MakeFolder(dir, HostileFiles());
        Assert.Equal(28, ds.Count);
        var options = new ImageLoaderOptions { BatchSize = 4, Seed = 1, Workers = 4 };
        using var loader = new ImageLoader(ds.Samples, Train, 12, 12, options);
        var batches = ReadEpoch(loader, 0);
        Assert.Equal([4, 4, 4, 4, 4, 3], batches.Select(b => b.Labels.Length));
        var report = loader.LastReport!;
        Assert.Equal(5, report.Count);
        Assert.Equal(28, report.ImagesSeen);
        var reasons = report.Images.ToDictionary(b => Path.GetFileName(b.Path), b => b.Reason);
        Assert.Contains("truncated", reasons["truncated.JPEG"]);
        Assert.Contains("65535x65535", reasons["huge.jpg"]);
        Assert.Contains("not a JPEG", reasons["random.JPEG"]);
        Assert.Contains("empty file", reasons["empty.jpeg"]);
        Assert.Contains("not a JPEG", reasons["text.png"]);
        Assert.DoesNotContain(batches.SelectMany(b => b.Indices), i => report.Images.Any(r => r.Index == i));
        Assert.Contains("5 of 28 images skipped", report.ToString());
        // Skipping is deterministic too.
        using var one = new ImageLoader(ds.Samples, Train, 12, 12, options with { Workers = 1 });
        AssertSameBatches(batches, ReadEpoch(one, 0));
        Assert.Equal(report.Images, one.LastReport!.Images);
    }

    [Fact]
    public void FailStopsAtTheFirstBadFileAfterTheBatchesBeforeIt()
    {
        using var dir = new TempDirectory();
        var ds = MakeFolder(dir, HostileFiles());
        var options = new ImageLoaderOptions { BatchSize = 4, Seed = 1, Workers = 3, BadImages = BadImagePolicy.Fail };
        using var loader = new ImageLoader(ds.Samples, Train, 12, 12, options);
        var order = ImageLoader.EpochOrder(ds.Count, 1, 0, shuffle: true);
        var bad = HostileFiles().Select(f => Path.Combine(dir.Path, f.Item1)).ToHashSet();
        var firstBad = Array.FindIndex(order, i => bad.Contains(ds.Samples[i].Path));
        var delivered = 0;
        var e = Assert.Throws<DataFormatException>(() =>
        {
            foreach (var b in loader.Epoch(0))
                using (b) delivered += b.Count;
        });
        Assert.Equal(ds.Samples[order[firstBad]].Path, e.Path);
        Assert.Equal(firstBad / 4 * 4, delivered);
    }

    [Fact]
    public void AnExceptionOnAWorkerSurfacesInTheConsumer()
    {
        using var dir = new TempDirectory();
        var ds = MakeFolder(dir);
        var victim = ImageDecoder.DecodeFile(ds.Samples[5].Path);
        Assert.Single(ds.Samples, s => ImageDecoder.DecodeFile(s.Path) is var d && d.Width == victim.Width && d.Height == victim.Height);
        using var loader = new ImageLoader(ds.Samples, new Exploding(victim.Width, victim.Height), 8, 8, new ImageLoaderOptions { BatchSize = 3, Workers = 2 });
        var e = Assert.Throws<ImageLoaderException>(() =>
        {
            foreach (var b in loader.Epoch(0)) b.Dispose();
        });
        Assert.IsType<InvalidTimeZoneException>(e.InnerException);
        Assert.Equal(ds.Samples[5].Path, e.Path);
        // A transform that makes the wrong size is reported too.
        using var wrong = new ImageLoader(ds.Samples, new Resize(9, 9), 8, 8, new ImageLoaderOptions { BatchSize = 3, Workers = 2 });
        Assert.Contains("9x9", Assert.Throws<ImageLoaderException>(() => ReadEpoch(wrong, 0)).Message);
    }

    /// <summary>Throws for images of one size (a stand-in for a bug that one image triggers).</summary>
    private sealed class Exploding(int width, int height) : IImageTransform
    {
        public RgbImage Apply(RgbImage image, Rng rng) =>
            image.Width == width && image.Height == height ? throw new InvalidTimeZoneException("boom") : PillowResize.Bilinear(image, 8, 8);
    }

    [Fact]
    public void TheBatchAllocatorIsPluggableAndBuffersAreReused()
    {
        using var dir = new TempDirectory();
        var ds = MakeFolder(dir);
        var made = new List<int[]>();
        Tensor Allocate(int[] dims)
        {
            lock (made) made.Add(dims);
            return new Tensor(dims, DType.U8, Device.Cpu, Layout.NHWC);
        }
        var options = new ImageLoaderOptions { BatchSize = 2, Workers = 2, PrefetchBatches = 2, BatchAllocator = Allocate };
        using (var loader = new ImageLoader(ds.Samples, Train, 12, 12, options))
        {
            Assert.Equal(4, made.Count);   // prefetch + 2, made up front on this thread
            for (var epoch = 0; epoch < 3; epoch++) Assert.Equal(12, ReadEpoch(loader, epoch).Count);
            // Full batches cycle through the pool; each epoch's last batch (1 image) gets its own buffer.
            Assert.Equal(4 + 3, made.Count);
            Assert.Equal(3, made.Count(d => d[0] == 1));
        }
        var bad = options with { BatchAllocator = dims => new Tensor(dims, DType.F32) };
        Assert.Contains("U8 NHWC", Assert.Throws<InvalidOperationException>(() => new ImageLoader(ds.Samples, Train, 12, 12, bad)).Message);
    }

    [Fact]
    public void LeavingAnEpochEarlyOrDisposingStopsEveryThread()
    {
        using var dir = new TempDirectory();
        var ds = MakeFolder(dir);
        var before = ImageLoader.RunningThreads;
        var loader = new ImageLoader(ds.Samples, Train, 12, 12, new ImageLoaderOptions { BatchSize = 2, Workers = 4, PrefetchBatches = 1 });
        foreach (var b in loader.Epoch(0))
        {
            b.Dispose();
            Assert.True(ImageLoader.RunningThreads > before);
            break;
        }
        Assert.Equal(before, ImageLoader.RunningThreads);

        // Disposing the loader while a consumer holds an enumerator stops the threads; the consumer is told.
        using var e = loader.Epoch(1).GetEnumerator();
        Assert.True(e.MoveNext());
        e.Current.Dispose();
        loader.Dispose();
        Assert.Equal(before, ImageLoader.RunningThreads);
        Assert.Throws<ObjectDisposedException>(() => loader.Epoch(2));
    }
}
