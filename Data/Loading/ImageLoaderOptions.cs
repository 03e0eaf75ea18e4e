using NativeNets.Data.Images;
using NativeNets.Tensors;

namespace NativeNets.Data.Loading;

/// <summary>What the loader does with a file that cannot be decoded (the command line's <c>--bad-images skip|fail</c>).</summary>
public enum BadImagePolicy
{
    /// <summary>Skip it, count it and list it in the epoch's <see cref="BadImageReport"/>; the batch takes the next good image.</summary>
    Skip,
    /// <summary>Stop: the consumer gets the file's <see cref="DataFormatException"/> after the batches before it.</summary>
    Fail,
}

/// <summary>Settings of an <see cref="ImageLoader"/>.</summary>
public sealed record ImageLoaderOptions
{
    /// <summary>Images per batch.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Decode threads.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Assembled batches kept ready ahead of the consumer.</summary>
    public int PrefetchBatches { get; init; } = 4;

    /// <summary>Seed of the shuffles and of every image's random transform.</summary>
    public ulong Seed { get; init; }

    /// <summary>A new seeded order each epoch (training); false keeps the dataset's order (evaluation).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Drop the last, smaller batch of an epoch.</summary>
    public bool DropLast { get; init; }

    /// <summary>What to do with files that cannot be decoded.</summary>
    public BadImagePolicy BadImages { get; init; } = BadImagePolicy.Skip;

    /// <summary>Images with more pixels than this are refused as bad before decoding.</summary>
    public long MaxPixels { get; init; } = ImageDecoder.DefaultMaxPixels;

    /// <summary>
    /// Makes a batch buffer: given dims [N, 3, H, W] it returns a U8 tensor of that shape, layout NHWC, in host memory
    /// (Device Cpu; pinned memory plugs in here). Called on the constructing thread for the first buffers, and on the
    /// loader's assembly thread when the consumer holds more batches than were made up front or for a smaller last batch.
    /// Null: <c>new Tensor(dims, DType.U8, Device.Cpu, Layout.NHWC)</c>.
    /// </summary>
    public Func<int[], Tensor>? BatchAllocator { get; init; }
}

/// <summary>A file the loader skipped: its dataset index, path and what was wrong (with the byte offset where known).</summary>
public sealed record BadImage(int Index, string Path, string Reason);

/// <summary>The files skipped in one epoch, in the order the epoch met them.</summary>
public sealed class BadImageReport
{
    internal BadImageReport(int epoch, IReadOnlyList<BadImage> images, int imagesSeen)
    {
        Epoch = epoch;
        Images = images;
        ImagesSeen = imagesSeen;
    }

    /// <summary>The epoch this report covers.</summary>
    public int Epoch { get; }
    /// <summary>The skipped files.</summary>
    public IReadOnlyList<BadImage> Images { get; }
    /// <summary>Number of skipped files.</summary>
    public int Count => Images.Count;
    /// <summary>Files the epoch went through, good and bad.</summary>
    public int ImagesSeen { get; }

    /// <summary>A summary line, then one line per skipped file: "PATH: REASON".</summary>
    public override string ToString() =>
        $"epoch {Epoch}: {Count} of {ImagesSeen} images skipped as bad" +
        string.Concat(Images.Select(b => Environment.NewLine + "  " + b.Path + ": " + b.Reason));
}

/// <summary>
/// One batch: <see cref="Images"/> U8 with dims [N, 3, H, W] laid out NHWC in host memory, the labels and the
/// dataset indices of its images. Dispose it when done so its buffer goes back to the loader for reuse.
/// </summary>
public sealed class ImageBatch : IDisposable
{
    private readonly Action<ImageBatch>? _return;
    private int _disposed;

    internal ImageBatch(Tensor images, int[] labels, int[] indices, int epoch, int number, Action<ImageBatch>? onDispose)
    {
        Images = images;
        Labels = labels;
        Indices = indices;
        Epoch = epoch;
        Number = number;
        _return = onDispose;
    }

    /// <summary>U8 pixels, dims [N, 3, H, W], memory order NHWC (N x H x W x RGB).</summary>
    public Tensor Images { get; }
    /// <summary>Class label of each image (I32).</summary>
    public int[] Labels { get; }
    /// <summary>Dataset index of each image.</summary>
    public int[] Indices { get; }
    /// <summary>Number of images (N).</summary>
    public int Count => Labels.Length;
    /// <summary>The epoch it belongs to.</summary>
    public int Epoch { get; }
    /// <summary>Its position in the epoch, from 0.</summary>
    public int Number { get; }

    /// <summary>Hands the buffer back to the loader (or frees it once the loader is gone).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_return is null) Images.Dispose();
        else _return(this);
    }
}
