using NativeNets.Tensors;

namespace NativeNets.Nets.Classifiers;

public enum Distance
{
    L1,
    L2,
}

/// <summary>
/// k-nearest-neighbour classifier. Train memorises the images; Predict finds the k closest training images
/// by L1 (exact, on the bytes) or L2 (|a|^2 + |b|^2 - 2ab on the GEMM, in F32) and takes a majority vote.
/// Ties are broken deterministically: equal distances rank the lower training index first, and among
/// labels with equal votes the one whose nearest member ranks first wins.
/// </summary>
public sealed class NearestNeighbor : IClassifier
{
    /// <summary>
    /// Queries per distance block: [Q, N_train] distances (15 MB for 64 queries and 60k references). L2 takes
    /// bigger blocks so that the GEMM packs the references once per 256 queries.
    /// </summary>
    public int QueryBlock => Distance == Distance.L1 ? 64 : 256;

    private Tensor? _references;       // U8 [R, D] (L1) or F32 [R, D] (L2)
    private Tensor? _referenceNorms;   // F32 [R] (L2)
    private int[] _labels = [];
    private int _classes;

    public NearestNeighbor(int k = 1, Distance distance = Distance.L1, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        K = k;
        Distance = distance;
        Device = device ?? Device.Cpu;
    }

    public int K { get; }
    public Distance Distance { get; }
    public Device Device { get; }
    public string Name => $"knn-{Distance.ToString().ToLowerInvariant()}-k{K}";

    /// <summary>Called after each block of queries with (done, total).</summary>
    public Action<int, int>? OnProgress { get; set; }

    public void Train(Tensor images, int[] labels)
    {
        ClassifierExtensions.CheckImages(images, Name);
        if (images[0] != labels.Length) throw new ArgumentException($"{Name}: {labels.Length} labels for {images[0]} images");
        if (labels.Length < K) throw new ArgumentException($"{Name}: k = {K} needs at least {K} training images, got {labels.Length}");
        DisposeModel();
        var (n, d) = images.AsMatrix;
        var ops = Backends.Backend.For(Device);
        var u8 = images.Reshape(n, d).CopyTo(Device);
        if (Distance == Distance.L1)
        {
            _references = u8;
        }
        else
        {
            _references = new Tensor([n, d], DType.F32, Device);
            ops.ScaleShift(u8, _references, 1.0 / 255, 0);
            u8.Dispose();
            _referenceNorms = new Tensor([n], DType.F32, Device);
            var norms = new float[n];
            var refs = _references.ToArray<float>();
            for (var i = 0; i < n; i++)
                norms[i] = System.Numerics.Tensors.TensorPrimitives.SumOfSquares(refs.AsSpan(i * d, d));
            _referenceNorms.CopyFrom<float>(norms);
        }
        _labels = (int[])labels.Clone();
        _classes = ClassifierExtensions.ClassCount(labels);
    }

    public int[] Predict(Tensor images)
    {
        ClassifierExtensions.CheckImages(images, Name);
        var refs = _references ?? throw new InvalidOperationException($"{Name}: Predict before Train");
        var (q, d) = images.AsMatrix;
        if (d != refs[1]) throw new ArgumentException($"{Name}: images have {d} values each, the training images {refs[1]}");
        var ops = Backends.Backend.For(Device);
        var r = refs[0];
        var result = new int[q];
        using var onDevice = ClassifierExtensions.CopyIfElsewhere(images, Device);
        var flat = (onDevice ?? images).Reshape(q, d);
        Tensor? queries = null, queriesF = null, distances = null, indices = null;
        try
        {
            for (var start = 0; start < q; start += QueryBlock)
            {
                var n = Math.Min(QueryBlock, q - start);
                var rows = Enumerable.Range(start, n).ToArray();
                if (queries is null || queries[0] != n)
                {
                    queries?.Dispose(); queriesF?.Dispose(); distances?.Dispose(); indices?.Dispose();
                    queries = new Tensor([n, d], DType.U8, Device);
                    queriesF = Distance == Distance.L2 ? new Tensor([n, d], DType.F32, Device) : null;
                    distances = new Tensor([n, r], Distance == Distance.L1 ? DType.I32 : DType.F32, Device);
                    indices = new Tensor([n, K], DType.I32, Device);
                }
                ops.GatherRows(flat, rows, queries);
                if (Distance == Distance.L1)
                {
                    ops.L1DistancesU8(queries, refs, distances!);
                }
                else
                {
                    ops.ScaleShift(queries, queriesF!, 1.0 / 255, 0);
                    ops.SquaredL2Distances(queriesF!, refs, _referenceNorms!, distances!);
                }
                ops.SmallestK(distances!, K, indices!);
                var nearest = indices!.ToArray<int>();
                for (var i = 0; i < n; i++) result[start + i] = Vote(nearest.AsSpan(i * K, K));
                OnProgress?.Invoke(start + n, q);
            }
        }
        finally
        {
            queries?.Dispose(); queriesF?.Dispose(); distances?.Dispose(); indices?.Dispose();
        }
        return result;
    }

    /// <summary>Majority label among neighbours given nearest first; a tie goes to the label seen first.</summary>
    private int Vote(ReadOnlySpan<int> nearest)
    {
        if (nearest.Length == 1) return _labels[nearest[0]];
        Span<int> votes = stackalloc int[_classes];
        Span<int> firstRank = stackalloc int[_classes];
        votes.Clear();
        for (var rank = 0; rank < nearest.Length; rank++)
        {
            var label = _labels[nearest[rank]];
            if (votes[label]++ == 0) firstRank[label] = rank;
        }
        var best = -1;
        for (var c = 0; c < _classes; c++)
        {
            if (votes[c] == 0) continue;
            if (best < 0 || votes[c] > votes[best] || (votes[c] == votes[best] && firstRank[c] < firstRank[best])) best = c;
        }
        return best;
    }

    private void DisposeModel()
    {
        _references?.Dispose();
        _referenceNorms?.Dispose();
        _references = null;
        _referenceNorms = null;
    }

    public void Dispose() => DisposeModel();
}
