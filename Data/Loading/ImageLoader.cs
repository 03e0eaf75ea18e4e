using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using NativeNets.Data.Datasets;
using NativeNets.Data.Images;
using NativeNets.Data.Transforms;
using NativeNets.Tensors;

namespace NativeNets.Data.Loading;

/// <summary>
/// Feeds training and evaluation: worker threads read, decode and transform image files; an assembly thread puts
/// them, in epoch order, into U8 NHWC batch buffers; a bounded queue holds ready batches ahead of the consumer.
/// <para>Deterministic: an epoch's order is a shuffle seeded by (seed, epoch), and each image's transform draws from
/// an <see cref="Rng"/> seeded by (seed, epoch, dataset index), never from shared state, so the same seed gives the same
/// batches (order, crops, flips) whatever the number of workers. Bad files are skipped (the next good image takes
/// the place, so batches keep their size) or stop the loader, as <see cref="ImageLoaderOptions.BadImages"/> says.</para>
/// <para>Dispose stops and joins every thread; an exception on a worker is rethrown to the consumer.</para>
/// </summary>
public sealed class ImageLoader : IDisposable
{
    private readonly IReadOnlyList<ImageSample> _samples;
    private readonly IImageTransform _transform;
    private readonly ImageLoaderOptions _options;
    private readonly Func<int[], Tensor> _allocate;
    private readonly ConcurrentBag<Tensor> _pool = [];
    private readonly object _gate = new();
    private static int _runningThreads;
    private EpochRun? _current;
    private bool _disposed;

    /// <summary>A loader over <paramref name="samples"/> whose <paramref name="transform"/> produces <paramref name="height"/> x <paramref name="width"/> images.</summary>
    public ImageLoader(IReadOnlyList<ImageSample> samples, IImageTransform transform, int height, int width, ImageLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(transform);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        _options = options ?? new ImageLoaderOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.BatchSize, "BatchSize");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.Workers, "Workers");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.PrefetchBatches, "PrefetchBatches");
        _samples = samples;
        _transform = transform;
        Height = height;
        Width = width;
        _allocate = _options.BatchAllocator ?? (dims => new Tensor(dims, DType.U8, Device.Cpu, Layout.NHWC));
        // The buffers the pipeline cycles through: the queue's, the one being filled, the one the consumer holds.
        for (var i = 0; i < _options.PrefetchBatches + 2; i++) _pool.Add(Allocate(_options.BatchSize));
    }

    /// <summary>Output image height.</summary>
    public int Height { get; }
    /// <summary>Output image width.</summary>
    public int Width { get; }
    /// <summary>The settings.</summary>
    public ImageLoaderOptions Options => _options;
    /// <summary>Images in the dataset.</summary>
    public int Count => _samples.Count;

    /// <summary>The bad files of the last epoch that ran to its end (null before).</summary>
    public BadImageReport? LastReport { get; private set; }

    /// <summary>Loader threads alive in this process (for tests that check that none leak).</summary>
    internal static int RunningThreads => Volatile.Read(ref _runningThreads);

    /// <summary>The seeded generator of one image's transform in one epoch.</summary>
    public static Rng ImageRng(ulong seed, int epoch, int index)
    {
        var s = seed;
        var a = Rng.SplitMix64(ref s);
        s = a ^ (uint)epoch;
        var b = Rng.SplitMix64(ref s);
        s = b ^ ((ulong)(uint)index << 1 | 1);
        return new Rng(Rng.SplitMix64(ref s));
    }

    /// <summary>The order in which an epoch visits the dataset: a shuffle seeded by (seed, epoch), or 0..n-1.</summary>
    public static int[] EpochOrder(int count, ulong seed, int epoch, bool shuffle)
    {
        if (!shuffle) return Batches.Order(count, null);
        var s = seed ^ 0x5EED5EED5EED5EEDUL;
        var a = Rng.SplitMix64(ref s);
        s = a ^ (uint)epoch;
        return Batches.Order(count, new Rng(Rng.SplitMix64(ref s)));
    }

    /// <summary>
    /// The batches of <paramref name="epoch"/>, produced in the background from the moment enumeration starts.
    /// Leaving the enumeration early stops the epoch; starting another epoch stops a running one.
    /// </summary>
    public IEnumerable<ImageBatch> Epoch(int epoch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Run(epoch);
    }

    private IEnumerable<ImageBatch> Run(int epoch)
    {
        var run = new EpochRun(this, epoch);
        EpochRun? previous;
        lock (_gate)
        {
            if (_disposed)
            {
                run.Dispose();
                throw new ObjectDisposedException(nameof(ImageLoader));
            }
            previous = _current;
            _current = run;
        }
        // Never join threads while holding the lock: the assembly thread takes it to hand buffers back.
        previous?.Dispose();
        try
        {
            run.Start();
            while (run.Take() is { } batch) yield return batch;
            run.ThrowIfFailed();
            LastReport = run.Report();
        }
        finally
        {
            lock (_gate)
            {
                if (_current == run) _current = null;
            }
            run.Dispose();
        }
    }

    /// <summary>Stops the running epoch, joins its threads and frees the batch buffers.</summary>
    public void Dispose()
    {
        EpochRun? current;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            current = _current;
            _current = null;
        }
        current?.Dispose();
        lock (_gate)
            while (_pool.TryTake(out var t)) t.Dispose();
    }

    private Tensor Allocate(int n)
    {
        var dims = new[] { n, 3, Height, Width };
        var t = _allocate(dims) ?? throw new InvalidOperationException("the batch allocator returned null");
        if (t.DType != DType.U8 || t.Layout != Layout.NHWC || !t.Dims.SequenceEqual(dims) || t.Device.Kind != DeviceKind.Cpu)
        {
            var got = t.ToString();
            t.Dispose();
            throw new InvalidOperationException($"the batch allocator must return a U8 NHWC host tensor of dims {Tensor.FormatDims(dims)}; it returned {got}");
        }
        return t;
    }

    private Tensor RentBuffer() => _pool.TryTake(out var t) ? t : Allocate(_options.BatchSize);

    private void ReturnBatch(ImageBatch batch) => ReturnBuffer(batch.Images);

    private void ReturnBuffer(Tensor t)
    {
        // Full-size buffers go back to the pool while the loader lives and the pool is below its size.
        lock (_gate)
        {
            if (!_disposed && t[0] == _options.BatchSize && _pool.Count < _options.PrefetchBatches + 2)
            {
                _pool.Add(t);
                return;
            }
        }
        t.Dispose();
    }

    /// <summary>One epoch in flight: its workers, its assembly thread, its queue.</summary>
    private sealed class EpochRun : IDisposable
    {
        private sealed class Slot
        {
            public readonly ManualResetEventSlim Done = new(false);
            public RgbImage? Image;
            public DataFormatException? Bad;
            public Exception? Error;
        }

        private readonly ImageLoader _loader;
        private readonly int _epoch;
        private readonly int[] _order;
        private readonly Slot[] _slots;
        private readonly SemaphoreSlim _free;
        private readonly CancellationTokenSource _stop = new();
        private readonly BlockingCollection<ImageBatch> _ready;
        private readonly List<BadImage> _bad = [];
        private readonly List<Thread> _threads = [];
        private int _next = -1;
        private int _seen;
        private ExceptionDispatchInfo? _failure;
        private int _disposed;

        public EpochRun(ImageLoader loader, int epoch)
        {
            _loader = loader;
            _epoch = epoch;
            var o = loader._options;
            _order = EpochOrder(loader._samples.Count, o.Seed, epoch, o.Shuffle);
            // Decoded images wait here until the assembler takes them in order; enough for workers finishing out of order.
            var window = Math.Max(16, 4 * o.Workers);
            _slots = new Slot[window];
            for (var i = 0; i < window; i++) _slots[i] = new Slot();
            _free = new SemaphoreSlim(window, window);
            _ready = new BlockingCollection<ImageBatch>(o.PrefetchBatches);
        }

        public void Start()
        {
            for (var w = 0; w < _loader._options.Workers; w++)
                _threads.Add(new Thread(Counted(Work)) { IsBackground = true, Name = $"NativeNets loader worker {w}" });
            _threads.Add(new Thread(Counted(Assemble)) { IsBackground = true, Name = "NativeNets loader assembly" });
            foreach (var t in _threads)
            {
                Interlocked.Increment(ref _runningThreads);
                t.Start();
            }
        }

        private static ThreadStart Counted(Action body) => () =>
        {
            try
            {
                body();
            }
            finally
            {
                Interlocked.Decrement(ref _runningThreads);
            }
        };

        /// <summary>The next batch, or null at the end of the epoch (or after a failure).</summary>
        public ImageBatch? Take()
        {
            try
            {
                return _ready.TryTake(out var b, Timeout.Infinite, _stop.Token) ? b : null;
            }
            catch (OperationCanceledException)
            {
                throw new ObjectDisposedException(nameof(ImageLoader), "the loader was disposed while an epoch was being read");
            }
        }

        public void ThrowIfFailed() => _failure?.Throw();

        public BadImageReport Report()
        {
            lock (_bad) return new BadImageReport(_epoch, [.. _bad], _seen);
        }

        private void Work()
        {
            var token = _stop.Token;
            var loader = _loader;
            try
            {
                while (true)
                {
                    _free.Wait(token);
                    var p = Interlocked.Increment(ref _next);
                    if (p >= _order.Length) return;
                    var slot = _slots[p % _slots.Length];
                    var index = _order[p];
                    try
                    {
                        var decoded = ImageDecoder.DecodeFile(loader._samples[index].Path, loader._options.MaxPixels);
                        var image = loader._transform.Apply(decoded, ImageRng(loader._options.Seed, _epoch, index));
                        if (!ReferenceEquals(image, decoded)) decoded.Release();
                        if (image.Width != loader.Width || image.Height != loader.Height)
                            throw new InvalidOperationException(
                                $"the transform made a {image.Width}x{image.Height} image of {loader._samples[index].Path}; the loader was set up for {loader.Width}x{loader.Height}");
                        slot.Image = image;
                    }
                    catch (DataFormatException e)
                    {
                        slot.Bad = e;
                    }
                    catch (Exception e)
                    {
                        slot.Error = e;
                    }
                    slot.Done.Set();
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private void Assemble()
        {
            var token = _stop.Token;
            var loader = _loader;
            var batchSize = loader._options.BatchSize;
            var imageBytes = loader.Height * loader.Width * 3;
            Tensor? buffer = null;
            var labels = new List<int>(batchSize);
            var indices = new List<int>(batchSize);
            var number = 0;
            try
            {
                for (var p = 0; p < _order.Length; p++)
                {
                    var slot = _slots[p % _slots.Length];
                    slot.Done.Wait(token);
                    var (image, bad, error) = (slot.Image, slot.Bad, slot.Error);
                    (slot.Image, slot.Bad, slot.Error) = (null, null, null);
                    slot.Done.Reset();
                    _free.Release();
                    _seen = p + 1;
                    var index = _order[p];
                    if (error is not null) throw new ImageLoaderException(error, loader._samples[index].Path);
                    if (bad is not null)
                    {
                        if (loader._options.BadImages == BadImagePolicy.Fail) ExceptionDispatchInfo.Throw(bad);
                        var reason = bad.Offset is { } o ? $"at byte {o}: {bad.Problem}" : bad.Problem;
                        lock (_bad) _bad.Add(new BadImage(index, loader._samples[index].Path, reason));
                        continue;
                    }
                    buffer ??= loader.RentBuffer();
                    unsafe
                    {
                        fixed (byte* src = image!.Pixels)
                            Buffer.MemoryCopy(src, (byte*)buffer.Pointer + (long)labels.Count * imageBytes, imageBytes, imageBytes);
                    }
                    image.Release();
                    labels.Add(loader._samples[index].Label);
                    indices.Add(index);
                    if (labels.Count == batchSize)
                    {
                        _ready.Add(new ImageBatch(buffer, [.. labels], [.. indices], _epoch, number++, loader.ReturnBatch), token);
                        buffer = null;
                        labels.Clear();
                        indices.Clear();
                    }
                }
                if (labels.Count > 0 && !loader._options.DropLast)
                {
                    // The last batch is smaller: its own buffer of the right size.
                    var last = loader.Allocate(labels.Count);
                    try
                    {
                        unsafe
                        {
                            Buffer.MemoryCopy((void*)buffer!.Pointer, (void*)last.Pointer, last.Bytes, last.Bytes);
                        }
                        _ready.Add(new ImageBatch(last, [.. labels], [.. indices], _epoch, number, loader.ReturnBatch), token);
                    }
                    catch
                    {
                        last.Dispose();
                        throw;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                _failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                if (buffer is not null) loader.ReturnBuffer(buffer);
                _ready.CompleteAdding();
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            _stop.Cancel();
            foreach (var t in _threads) t.Join();
            while (_ready.TryTake(out var b)) b.Dispose();
            _ready.Dispose();
            _free.Dispose();
            foreach (var s in _slots) s.Done.Dispose();
            _stop.Dispose();
        }
    }
}

/// <summary>A loader worker failed on an image for a reason other than bad data (a bug, memory): the inner exception says why.</summary>
public sealed class ImageLoaderException(Exception inner, string path)
    : Exception($"the image loader failed on {path}: {inner.Message}", inner)
{
    /// <summary>The file being processed.</summary>
    public string Path { get; } = path;
}
