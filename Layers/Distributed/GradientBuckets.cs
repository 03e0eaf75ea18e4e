using NativeNets.Diagnostics;
using NativeNets.Modules;
using NativeNets.Tensors;

namespace NativeNets.Distributed;

/// <summary>
/// Synchronous data-parallel SGD's gradient all-reduce, overlapped with backward (Goyal et al. section 4, PyTorch's DDP).
/// The parameters are grouped, in reverse of <see cref="Layer.Parameters"/> order (the order backward produces their
/// gradients), into buckets of about 25 MB, each with one contiguous flat buffer of its own dtype and device. When
/// every gradient of a bucket is final, the bucket copies them into its buffer (on the compute stream) and starts its
/// all-reduce (async; buckets start strictly in index order, so every rank issues the same collectives in the same
/// order). <see cref="WaitAll"/>, before the optimizer step, waits for every bucket, multiplies by 1 / size and copies
/// the averages back into the gradients.
/// <para>
/// How the trainer says "these gradients are final": our backward is a plain call tree, so there are no per-tensor
/// hooks to fire. <see cref="Backward"/> runs the network's backward itself, descending into <see cref="Sequential"/>s
/// exactly as Sequential.Backward does (children in reverse), and after each other layer's backward (a Residual
/// block, a convolution, a head) marks that layer's parameters ready. For a ResNet that is one readiness point per
/// residual block. A trainer that runs backward some other way calls <see cref="MarkReady(Layer)"/> as it goes, or
/// nothing at all: WaitAll starts whatever has not started (correct, without overlap). On NCCL the copies, the
/// all-reduce and the wait are all stream-ordered, so the host runs ahead and the overlap is real; on MPI the
/// all-reduce runs on the MPI thread while the compute threads continue.
/// </para>
/// A gradient marked ready must receive nothing more in this step: marking one twice is an error.
/// </summary>
public sealed class GradientBuckets : IDisposable
{
    /// <summary>About 25 MB per bucket, as PyTorch's DDP.</summary>
    public const long DefaultBucketBytes = 25L * 1024 * 1024;

    private readonly List<GradientBucket> _buckets = [];
    private readonly Dictionary<Parameter, (GradientBucket Bucket, int Index)> _where = new(ReferenceEqualityComparer.Instance);
    private int _nextToStart;
    private bool _disposed;

    /// <summary>Buckets for every parameter of <paramref name="model"/>.</summary>
    public GradientBuckets(Layer model, Communicator communicator, long bucketBytes = DefaultBucketBytes)
        : this((model ?? throw new ArgumentNullException(nameof(model))).Parameters(), communicator, bucketBytes)
    {
    }

    /// <summary>Buckets for <paramref name="parameters"/>, given in forward order (as Layer.Parameters() lists them).</summary>
    public GradientBuckets(IEnumerable<Parameter> parameters, Communicator communicator, long bucketBytes = DefaultBucketBytes)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketBytes);
        Communicator = communicator;
        BucketBytes = bucketBytes;
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        var ordered = parameters.Where(seen.Add).Reverse().ToList();
        var current = new List<Parameter>();
        long bytes = 0;
        foreach (var p in ordered)
        {
            var g = p.Grad;
            var breaks = current.Count > 0 &&
                (bytes + g.Bytes > bucketBytes || g.DType != current[0].Grad.DType || g.Device != current[0].Grad.Device);
            if (breaks)
            {
                AddBucket(current);
                current = [];
                bytes = 0;
            }
            current.Add(p);
            bytes += g.Bytes;
        }
        if (current.Count > 0) AddBucket(current);
    }

    private void AddBucket(List<Parameter> parameters)
    {
        // One rank has nothing to reduce: no buffers, and every call below returns at once.
        var bucket = new GradientBucket(_buckets.Count, parameters, allocate: Active);
        for (var i = 0; i < parameters.Count; i++) _where[parameters[i]] = (bucket, i);
        _buckets.Add(bucket);
    }

    /// <summary>The communicator the buckets are reduced over.</summary>
    public Communicator Communicator { get; }

    /// <summary>The size a bucket is filled up to (a single larger gradient gets a bucket of its own).</summary>
    public long BucketBytes { get; }

    /// <summary>
    /// Whether gradients travel: with more than one rank, or with one rank of a real communicator (MPI, NCCL), so that a
    /// one-GPU run exercises (and measures) the whole communication path; never with the single-rank no-op.
    /// </summary>
    public bool Active => Communicator is not SingleRankCommunicator && (Communicator.Size > 1 || ForceOneRank);

    /// <summary>Run the all-reduce path even with one rank (train --distributed under a launcher with one process).</summary>
    public bool ForceOneRank { get; init; }

    /// <summary>The buckets, in the order they are reduced (the last layers' parameters first).</summary>
    public IReadOnlyList<GradientBucket> Buckets => _buckets;

    /// <summary>
    /// Runs <paramref name="network"/>'s backward from <paramref name="dy"/> (as network.Backward(dy) would, with the same
    /// NVTX ranges) and starts each bucket's all-reduce as soon as its gradients are final. Returns the input gradient.
    /// </summary>
    public Tensor? Backward(Layer network, Tensor dy)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(dy);
        if (!Active) return network.Backward(dy);
        return Walk(network, dy);
    }

    private Tensor? Walk(Layer layer, Tensor dy)
    {
        if (layer is not Sequential sequential)
        {
            var dx = layer.Backward(dy);
            MarkReady(layer);
            return dx;
        }
        // Sequential.Backward, with a readiness point after each child.
        var children = sequential.Children() as IReadOnlyList<(string Name, Layer Layer)> ?? sequential.Children().ToList();
        Tensor? g = dy;
        for (var i = children.Count - 1; i >= 0; i--)
        {
            var (name, child) = children[i];
            var next = Ranged(name, child, g!);
            Layer.ReleaseUsedGradient(g, keep: dy, next);
            g = next;
            if (g is null)
            {
                if (i > 0) throw new InvalidOperationException($"layer '{name}' returned no input gradient but {i} layer(s) before it need one");
                break;
            }
        }
        return sequential.PropagateDown ? g : null;
    }

    private Tensor? Ranged(string name, Layer child, Tensor dy)
    {
        if (!Profiling.Ranges) return Walk(child, dy);
        Profiling.Push(name + ".backward");
        try
        {
            return Walk(child, dy);
        }
        finally
        {
            Profiling.Pop();
        }
    }

    /// <summary>Says that backward has produced the final gradients of every parameter of <paramref name="layer"/>.</summary>
    public void MarkReady(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!Active) return;
        foreach (var p in layer.Parameters()) MarkReady(p);
    }

    /// <summary>Says that <paramref name="parameter"/>'s gradient is final for this step; parameters not bucketed here are ignored.</summary>
    public void MarkReady(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Active || !_where.TryGetValue(parameter, out var at)) return;
        if (at.Bucket.MarkReady(at.Index)) StartReady();
    }

    /// <summary>Starts, in index order, every bucket whose gradients are all final.</summary>
    private void StartReady()
    {
        while (_nextToStart < _buckets.Count && _buckets[_nextToStart].IsFull)
            _buckets[_nextToStart++].Start(Communicator);
    }

    /// <summary>
    /// Starts the buckets not started yet, waits for all, and leaves in every gradient the average over the ranks.
    /// Call after backward and before the optimizer step; it also resets the readiness for the next step.
    /// </summary>
    public void WaitAll()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Active) return;
        try
        {
            while (_nextToStart < _buckets.Count) _buckets[_nextToStart++].Start(Communicator);
            foreach (var b in _buckets) b.Finish(1.0 / Communicator.Size);
        }
        finally
        {
            _nextToStart = 0;
            foreach (var b in _buckets) b.Reset();
        }
    }

    /// <summary>Frees the buckets' buffers (not the parameters).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var b in _buckets) b.Dispose();
    }
}

/// <summary>One bucket: its parameters (in backward order), their offsets in a flat buffer, and the all-reduce in flight.</summary>
public sealed class GradientBucket : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly long[] _offsets;
    private readonly bool[] _ready;
    private readonly Tensor? _flat;
    private int _readyCount;
    private bool _gathered;
    private CollectiveHandle? _inFlight;

    internal GradientBucket(int index, IReadOnlyList<Parameter> parameters, bool allocate)
    {
        Index = index;
        _parameters = parameters.ToArray();
        _offsets = new long[_parameters.Length];
        _ready = new bool[_parameters.Length];
        long elements = 0;
        for (var i = 0; i < _parameters.Length; i++)
        {
            _offsets[i] = elements;
            elements += _parameters[i].Grad.Count;
        }
        Elements = elements;
        var first = _parameters[0].Grad;
        DType = first.DType;
        Device = first.Device;
        if (allocate) _flat = new Tensor([checked((int)elements)], first.DType, first.Device);
    }

    /// <summary>Position in the reduction order.</summary>
    public int Index { get; }

    /// <summary>The parameters, in the order backward produces their gradients.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Total number of gradient elements.</summary>
    public long Elements { get; }

    /// <summary>The gradients' element type.</summary>
    public DType DType { get; }

    /// <summary>Where the gradients live.</summary>
    public Device Device { get; }

    /// <summary>Bytes all-reduced per step.</summary>
    public long Bytes => Elements * DType.SizeOf();

    internal bool IsFull => _readyCount == _parameters.Length;

    /// <summary>True once this step's all-reduce has started.</summary>
    public bool Started => _inFlight is not null;

    /// <summary>Marks one gradient final; true when that completes the bucket.</summary>
    internal bool MarkReady(int i)
    {
        if (_ready[i])
            throw new InvalidOperationException(
                $"gradient bucket {Index}: a parameter of shape {_parameters[i].Value.ShapeText} was marked ready twice in one step " +
                "(a parameter used twice, or a backward run twice, would send an incomplete gradient)");
        _ready[i] = true;
        _readyCount++;
        return IsFull;
    }

    internal void Start(Communicator communicator)
    {
        if (_inFlight is not null || _flat is null) return;
        Gather();
        _inFlight = communicator.AllReduceSumAsync(_flat);
    }

    /// <summary>Copies the gradients into the flat buffer, each at its offset (stream-ordered on a GPU).</summary>
    private void Gather()
    {
        if (_gathered) return;
        var ops = _flat!.Backend;
        var whole = _flat.Reshape(1, checked((int)Elements), 1, 1);
        for (var i = 0; i < _parameters.Length; i++)
        {
            var g = _parameters[i].Grad;
            ops.CopyIntoChannels(g.Reshape(1, checked((int)g.Count), 1, 1), whole, checked((int)_offsets[i]));
        }
        _gathered = true;
    }

    internal void Finish(double scale)
    {
        if (_flat is null || _inFlight is null) return;
        _inFlight.Wait();
        var ops = _flat.Backend;
        ops.Scale(_flat, scale);
        var whole = _flat.Reshape(1, checked((int)Elements), 1, 1);
        for (var i = 0; i < _parameters.Length; i++)
        {
            var g = _parameters[i].Grad;
            ops.CopyFromChannels(whole, checked((int)_offsets[i]), g.Reshape(1, checked((int)g.Count), 1, 1));
        }
    }

    internal void Reset()
    {
        Array.Clear(_ready);
        _readyCount = 0;
        _gathered = false;
        _inFlight = null;
    }

    /// <summary>Frees the flat buffer.</summary>
    public void Dispose() => _flat?.Dispose();
}
