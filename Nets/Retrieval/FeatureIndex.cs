using NativeNets.Backends;
using NativeNets.Modules;
using NativeNets.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NativeNets.Nets.Retrieval;

/// <summary>
/// Image retrieval with a trained network, the lecture's "ConvNets everywhere": each image is described by its
/// penultimate-layer activations (everything but the last classifier layer), and the nearest images of a query are the
/// k smallest squared L2 distances between descriptions, through the backend's k-NN ops (the GEMM form of L2 and the
/// exact top-k), so the CPU and CUDA backends find the same neighbours.
/// </summary>
public sealed class FeatureIndex : IDisposable
{
    private readonly Sequential _network;
    private readonly double _mean;
    private readonly double _std;
    private readonly Device _device;
    private Tensor? _features;
    private Tensor? _norms;

    /// <param name="network">A trained classifier network; its last layer (the last leaf of nested Sequentials) is dropped.</param>
    /// <param name="pixelMean">The pixel mean the network was trained with, in [0, 1] units.</param>
    /// <param name="pixelStd">The pixel standard deviation the network was trained with, in [0, 1] units.</param>
    /// <param name="device">Where the network's parameters live and the distances are computed.</param>
    /// <param name="batchSize">Images described per forward pass.</param>
    public FeatureIndex(Sequential network, double pixelMean, double pixelStd, Device device, int batchSize = 256)
    {
        _network = network;
        _mean = pixelMean;
        _std = pixelStd;
        _device = device;
        BatchSize = batchSize;
        _network.Training = false;
    }

    public int BatchSize { get; }

    /// <summary>The indexed images' labels (from <see cref="Build"/>).</summary>
    public int[] Labels { get; private set; } = [];

    public int Count => Labels.Length;

    /// <summary>Description length: the penultimate layer's width.</summary>
    public int Width { get; private set; }

    /// <summary>The penultimate activations of CPU U8 images [N, C, H, W], as F32 rows [N * F] on the host.</summary>
    public float[] Describe(Tensor images, out int width)
    {
        if (images.DType != DType.U8 || images.Rank != 4 || images.Device != Device.Cpu)
            throw new ArgumentException($"images must be U8 [N, C, H, W] on the CPU, got {images}");
        var n = images[0];
        var perImage = images[1] * images[2] * images[3];
        var ops = Backend.For(_device);
        var bytes = images.Span<byte>();
        float[]? result = null;
        width = 0;
        for (var start = 0; start < n; start += BatchSize)
        {
            var m = Math.Min(BatchSize, n - start);
            using var u8 = new Tensor([m, images[1], images[2], images[3]], DType.U8, _device);
            u8.CopyFrom<byte>(bytes.Slice(start * perImage, m * perImage));
            using var x = new Tensor(u8.Shape, DType.F32, _device);
            ops.ScaleShift(u8, x, 1.0 / (255 * _std), -_mean / _std);
            var features = Penultimate(_network, x).ToArray<float>();
            width = features.Length / m;
            result ??= new float[(long)n * width];
            features.CopyTo(result, (long)start * width);
        }
        return result ?? [];
    }

    /// <summary>Indexes <paramref name="images"/> with their <paramref name="labels"/>.</summary>
    public void Build(Tensor images, int[] labels)
    {
        if (images[0] != labels.Length) throw new ArgumentException($"{labels.Length} labels for {images[0]} images");
        var rows = Describe(images, out var width);
        _features?.Dispose();
        _norms?.Dispose();
        _features = new Tensor([labels.Length, width], DType.F32, _device);
        _features.CopyFrom<float>(rows);
        // |r|^2 in float, as the CPU backend sums a query's squares, so that a query equal to an indexed image is at 0.
        var norms = new float[labels.Length];
        for (var i = 0; i < norms.Length; i++) norms[i] = TensorPrimitives.SumOfSquares(rows.AsSpan(i * width, width));
        _norms = new Tensor([labels.Length], DType.F32, _device);
        _norms.CopyFrom<float>(norms);
        Labels = labels;
        Width = width;
    }

    /// <summary>For each query image (CPU U8 [N, C, H, W]), the positions of the k nearest indexed images, nearest first.</summary>
    public int[][] Nearest(Tensor queries, int k)
    {
        var features = _features ?? throw new InvalidOperationException("FeatureIndex: Nearest before Build");
        var rows = Describe(queries, out var width);
        var nq = queries[0];
        var ops = Backend.For(_device);
        var result = new int[nq][];
        // Queries in chunks, so that the distance matrix stays near 128 MB whatever the index size.
        var chunk = (int)Math.Clamp((1L << 25) / Math.Max(1, Count), 1, Math.Max(1, nq));
        for (var start = 0; start < nq; start += chunk)
        {
            var m = Math.Min(chunk, nq - start);
            using var q = new Tensor([m, width], DType.F32, _device);
            q.CopyFrom<float>(rows.AsSpan(start * width, m * width));
            using var distances = new Tensor([m, Count], DType.F32, _device);
            ops.SquaredL2Distances(q, features, _norms!, distances);
            using var indices = new Tensor([m, k], DType.I32, _device);
            ops.SmallestK(distances, k, indices);
            var flat = indices.ToArray<int>();
            for (var i = 0; i < m; i++) result[start + i] = flat.AsSpan(i * k, k).ToArray();
        }
        return result;
    }

    /// <summary>The fraction of the k neighbours that share their query's label, over all queries.</summary>
    public static double PrecisionAtK(int[][] nearest, int[] queryLabels, int[] indexLabels)
    {
        long hits = 0, total = 0;
        for (var i = 0; i < nearest.Length; i++)
            foreach (var j in nearest[i])
            {
                if (indexLabels[j] == queryLabels[i]) hits++;
                total++;
            }
        return total == 0 ? 0 : (double)hits / total;
    }

    /// <summary>Runs every layer but the last: into a nested Sequential at the end (AlexNet's and VGG's classifier block), recursively.</summary>
    public static Tensor Penultimate(Sequential network, Tensor x)
    {
        var h = x;
        for (var i = 0; i < network.Count - 1; i++) h = network[i].Forward(h);
        return network.Count > 0 && network[network.Count - 1] is Sequential inner ? Penultimate(inner, h) : h;
    }

    public void Dispose()
    {
        _features?.Dispose();
        _norms?.Dispose();
    }
}
