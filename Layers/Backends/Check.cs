using NativeNets.Tensors;

namespace NativeNets.Backends;

/// <summary>Argument checks shared by the backends; each message names the op, the argument and what was expected.</summary>
internal static class Check
{
    public static void OnDevice(string op, Device device, params Tensor?[] tensors)
    {
        foreach (var t in tensors)
            if (t is not null && t.Device != device)
                throw new ArgumentException($"{op}: tensor {t} is on {t.Device}, expected {device}");
    }

    public static void DType(string op, string name, Tensor t, params DType[] allowed)
    {
        if (Array.IndexOf(allowed, t.DType) < 0)
            throw new ArgumentException($"{op}: {name} has dtype {t.DType.Name()}, expected {string.Join(" or ", allowed.Select(d => d.Name()))}");
    }

    /// <summary>
    /// Refuses channels-last (NHWC) tensors where an op reads NCHW memory only. A tensor whose H and W are both 1, or whose
    /// C is 1, has the same memory in both layouts and passes.
    /// </summary>
    public static void Nchw(string op, params Tensor?[] tensors)
    {
        foreach (var t in tensors)
            if (t is { Layout: Layout.NHWC } && !Tensor.SameInBothLayouts(t.Dims))
                throw new NotSupportedException($"{op}: {t} is channels-last (NHWC); this op runs on NCHW tensors only here");
    }

    /// <summary>
    /// <paramref name="t"/> in the memory layout of <paramref name="reference"/>, or with a 1 x 1 plane (or one channel),
    /// whose memory is the same in both.
    /// </summary>
    public static void SameLayout(string op, Tensor reference, string name, Tensor t)
    {
        if (reference.Layout != t.Layout && !(t.Rank == 4 && Tensor.SameInBothLayouts(t.Dims)))
            throw new ArgumentException($"{op}: {name} {t} is not in the layout of {reference} ({reference.Layout})");
    }

    /// <summary>
    /// The two layouts a ConvertLayout copies between: the same dims [N, C, H, W], dtype and device. Returns the matrix each
    /// image is when the layouts differ, to be transposed: [C x HW] from NCHW, [HW x C] from NHWC.
    /// </summary>
    public static (int Rows, int Cols) ConvertLayout(string op, Device device, Tensor source, Tensor destination)
    {
        OnDevice(op, device, source, destination);
        SameDType(op, source, destination);
        Rank(op, "source", source, 4);
        if (!source.SameShape(destination))
            throw new ArgumentException($"{op}: source {source.ShapeText} and destination {destination.ShapeText} differ in shape");
        return source.Layout == Layout.NCHW ? (source[1], source[2] * source[3]) : (source[2] * source[3], source[1]);
    }

    public static void SameDType(string op, Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"{op}: dtypes differ ({a.DType.Name()} and {b.DType.Name()})");
    }

    public static void SameCount(string op, Tensor a, Tensor b)
    {
        if (a.Count != b.Count)
            throw new ArgumentException($"{op}: element counts differ ({a.ShapeText} has {a.Count}, {b.ShapeText} has {b.Count})");
    }

    public static void Shape(string op, string name, Tensor t, params int[] expected)
    {
        if (!t.Dims.SequenceEqual(expected))
            throw new ArgumentException($"{op}: {name} has shape {t.ShapeText}, expected {Tensor.FormatDims(expected)}");
    }

    public static void Rank(string op, string name, Tensor t, int rank)
    {
        if (t.Rank != rank)
            throw new ArgumentException($"{op}: {name} has shape {t.ShapeText}, expected rank {rank}");
    }

    /// <summary>M, N, K of C = op(A) op(B) over row-major matrix views, with one message for every mismatch.</summary>
    public static (int M, int N, int K) GemmShapes(string op, bool transposeA, bool transposeB, Tensor a, Tensor b, Tensor c)
    {
        var (ar, ac) = a.AsMatrix;
        var (br, bc) = b.AsMatrix;
        var (m, k) = transposeA ? (ac, ar) : (ar, ac);
        var (kb, n) = transposeB ? (bc, br) : (br, bc);
        var (cr, cc) = c.AsMatrix;
        if (k != kb || cr != m || cc != n)
            throw new ArgumentException(
                $"{op}: op(A) is {m}x{k} (A {a.ShapeText}{(transposeA ? " transposed" : "")}), op(B) is {kb}x{n} " +
                $"(B {b.ShapeText}{(transposeB ? " transposed" : "")}), C is {cr}x{cc}: expected op(A) MxK, op(B) KxN, C MxN");
        SameDType(op, a, b);
        SameDType(op, a, c);
        return (m, n, k);
    }

    /// <summary>Batch norm's arguments: x and y alike, rank 4, and one value per channel in every per-channel tensor. Returns N, C and H*W.</summary>
    public static (int N, int C, int HW) BatchNorm(string op, Device device, Tensor x, Tensor y, params Tensor[] perChannel)
    {
        var shapes = BatchNormShapes(op, device, x, y, perChannel);
        foreach (var t in perChannel) SameDType(op, x, t);
        return shapes;
    }

    /// <summary>
    /// Batch norm's shapes without the dtype rule: for F16 / BF16 data, whose parameters and statistics may be F32 (the
    /// caller checks that rule). Returns N, C and H*W.
    /// </summary>
    public static (int N, int C, int HW) BatchNormShapes(string op, Device device, Tensor x, Tensor y, params Tensor[] perChannel)
    {
        OnDevice(op, device, [x, y, .. perChannel]);
        Rank(op, "input", x, 4);
        SameDType(op, x, y);
        SameCount(op, x, y);
        foreach (var t in perChannel)
            if (t.Count != x[1]) throw new ArgumentException($"{op}: {t.ShapeText} must have one value per channel of {x.ShapeText}");
        return (x[0], x[1], x[2] * x[3]);
    }

    /// <summary>NormalizeImages' arguments: U8 NHWC in, F32 NCHW or NHWC out of the same dims, one mean and std per channel. Returns N, C and H*W.</summary>
    public static (int N, int C, long Plane) ImageBatch(string op, Device device, Tensor images, Tensor output, int means, int stds)
    {
        OnDevice(op, device, images, output);
        DType(op, "images", images, Tensors.DType.U8);
        DType(op, "output", output, Tensors.DType.F32);
        Rank(op, "images", images, 4);
        if (images.Layout != Layout.NHWC) throw new ArgumentException($"{op}: images must be in NHWC memory order, got {images.Layout}");
        Shape(op, "output", output, images.Shape);
        if (means != images[1] || stds != images[1])
            throw new ArgumentException($"{op}: {images[1]} channels need {images[1]} means and stds, got {means} and {stds}");
        return (images[0], images[1], (long)images[2] * images[3]);
    }

    /// <summary>L1DistancesU8's arguments: U8 rows of one length (short enough for an I32 sum), I32 distances [Q, R]. Returns Q, R, D.</summary>
    public static (int Q, int R, int D) L1Distances(string op, Device device, Tensor queries, Tensor references, Tensor distances)
    {
        OnDevice(op, device, queries, references, distances);
        DType(op, "queries", queries, Tensors.DType.U8);
        DType(op, "references", references, Tensors.DType.U8);
        DType(op, "distances", distances, Tensors.DType.I32);
        var (q, r, d) = SameRowLength(op, queries, references);
        if (d > int.MaxValue / 255)
            throw new ArgumentException($"{op}: rows of {d} bytes could overflow an I32 distance");
        Shape(op, "distances", distances, q, r);
        return (q, r, d);
    }

    /// <summary>SquaredL2Distances' arguments: F32 rows of one length, one norm per reference, distances [Q, R]. Returns Q, R, D.</summary>
    public static (int Q, int R, int D) L2Distances(string op, Device device, Tensor queries, Tensor references, Tensor referenceNormsSquared, Tensor distances)
    {
        OnDevice(op, device, queries, references, referenceNormsSquared, distances);
        foreach (var (name, t) in new[] { ("queries", queries), ("references", references), ("referenceNormsSquared", referenceNormsSquared), ("distances", distances) })
            DType(op, name, t, Tensors.DType.F32);
        var (q, r, d) = SameRowLength(op, queries, references);
        Shape(op, "distances", distances, q, r);
        if (referenceNormsSquared.Count != r)
            throw new ArgumentException($"{op}: referenceNormsSquared {referenceNormsSquared.ShapeText} must have one value per reference ({r})");
        return (q, r, d);
    }

    private static (int Q, int R, int D) SameRowLength(string op, Tensor queries, Tensor references)
    {
        var (q, d) = queries.AsMatrix;
        var (r, dr) = references.AsMatrix;
        if (d != dr)
            throw new ArgumentException($"{op}: queries {queries.ShapeText} and references {references.ShapeText} have rows of different lengths ({d} and {dr})");
        return (q, r, d);
    }

    /// <summary>SmallestK's arguments: I32 or F32 distances [Q, R], 1 &lt;= k &lt;= R, I32 indices [Q, k]. Returns Q and R.</summary>
    public static (int Q, int R) SmallestK(string op, Device device, Tensor distances, int k, Tensor indices)
    {
        OnDevice(op, device, distances, indices);
        DType(op, "distances", distances, Tensors.DType.I32, Tensors.DType.F32);
        DType(op, "indices", indices, Tensors.DType.I32);
        var (q, r) = distances.AsMatrix;
        if (k < 1 || k > r)
            throw new ArgumentOutOfRangeException(nameof(k), $"{op}: k = {k} must be between 1 and the {r} references");
        Shape(op, "indices", indices, q, k);
        return (q, r);
    }

    /// <summary>A loss's arguments: scores [N, C], I32 labels [N], and a gradient like the scores. Returns N and C; label values are the backend's to check.</summary>
    public static (int N, int C) Loss(string op, Device device, Tensor scores, Tensor labels, Tensor? grad)
    {
        OnDevice(op, device, scores, labels, grad);
        Rank(op, "scores", scores, 2);
        DType(op, "labels", labels, Tensors.DType.I32);
        int n = scores[0], c = scores[1];
        if (labels.Count != n)
            throw new ArgumentException($"{op}: {labels.Count} labels for {n} rows of scores {scores.ShapeText}");
        if (grad is not null)
        {
            SameDType(op, scores, grad);
            Shape(op, "gradient", grad, n, c);
        }
        return (n, c);
    }

    /// <summary>Dropout's arguments: x and y alike, a U8 mask per element, and (forward) 0 &lt;= p &lt; 1.</summary>
    public static void Dropout(string op, Device device, Tensor x, Tensor y, Tensor mask, double? p = null)
    {
        OnDevice(op, device, x, y, mask);
        SameDType(op, x, y);
        SameCount(op, x, y);
        SameCount(op, x, mask);
        DType(op, "mask", mask, Tensors.DType.U8);
        if (p is { } v && (v < 0 || v >= 1)) throw new ArgumentOutOfRangeException(nameof(p), $"{op}: p = {v} must be in [0, 1)");
    }

    /// <summary>A channel copy's arguments: part [N, Cp, H, W] fits channels [offset, offset + Cp) of whole [N, C, H, W].</summary>
    public static void ChannelCopy(string op, Device device, Tensor part, Tensor whole, int offset)
    {
        OnDevice(op, device, part, whole);
        SameDType(op, part, whole);
        Rank(op, "part", part, 4);
        Rank(op, "whole", whole, 4);
        if (part[0] != whole[0] || part[2] != whole[2] || part[3] != whole[3] || offset < 0 || offset + part[1] > whole[1])
            throw new ArgumentException($"{op}: {part.ShapeText} does not fit channels [{offset}, {offset + part[1]}) of {whole.ShapeText}");
    }

    /// <summary>The padded shortcut's arguments: x subsampled by the stride fits channels [padBefore, padBefore + C) of y. Returns OH and OW.</summary>
    public static (int OH, int OW) PadShortcut(string op, Device device, Tensor x, Tensor y, int stride, int padBefore)
    {
        OnDevice(op, device, x, y);
        SameDType(op, x, y);
        Rank(op, "input", x, 4);
        Rank(op, "output", y, 4);
        int n = x[0], c = x[1], h = x[2], w = x[3];
        int oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride;
        if (y[0] != n || y[2] != oh || y[3] != ow || padBefore < 0 || padBefore + c > y[1])
            throw new ArgumentException($"{op}: {x.ShapeText} subsampled by {stride} does not fit channels [{padBefore}, {padBefore + c}) of {y.ShapeText}");
        return (oh, ow);
    }

    /// <summary>AddRowVector's arguments: one bias value per column of y. Returns y's rows and columns.</summary>
    public static (int Rows, int Cols) RowVector(string op, Device device, Tensor y, Tensor bias)
    {
        OnDevice(op, device, y, bias);
        SameDType(op, y, bias);
        var (rows, cols) = y.AsMatrix;
        if (bias.Count != cols)
            throw new ArgumentException($"{op}: bias {bias.ShapeText} must have {cols} elements, one per column of y {y.ShapeText}");
        return (rows, cols);
    }

    /// <summary>The SGD step's arguments: parameter, gradient and velocity of one dtype and count.</summary>
    public static void Sgd(string op, Device device, Tensor param, Tensor grad, Tensor velocity)
    {
        OnDevice(op, device, param, grad, velocity);
        SameDType(op, param, grad);
        SameDType(op, param, velocity);
        SameCount(op, param, grad);
        SameCount(op, param, velocity);
    }

    /// <summary>LRN's arguments: a rank-4 input and tensors like it.</summary>
    public static void Lrn(string op, Device device, Tensor x, params Tensor[] alike)
    {
        OnDevice(op, device, [x, .. alike]);
        Rank(op, "input", x, 4);
        foreach (var t in alike)
        {
            SameDType(op, x, t);
            SameCount(op, x, t);
        }
    }

    /// <summary>UnscaleGradients' arguments: pairs of one count, F32/F64 masters, an F64 master only for an F64 gradient.</summary>
    public static void Unscale(string op, Device device, IReadOnlyList<Tensor> grads, IReadOnlyList<Tensor> masterGrads)
    {
        if (grads.Count != masterGrads.Count)
            throw new ArgumentException($"{op}: {grads.Count} gradients but {masterGrads.Count} master gradients");
        for (var i = 0; i < grads.Count; i++)
        {
            var (g, m) = (grads[i], masterGrads[i]);
            OnDevice(op, device, g, m);
            DType(op, $"gradient {i}", g, Tensors.DType.F16, Tensors.DType.BF16, Tensors.DType.F32, Tensors.DType.F64);
            DType(op, $"master gradient {i}", m, Tensors.DType.F32, Tensors.DType.F64);
            if ((m.DType == Tensors.DType.F64) != (g.DType == Tensors.DType.F64))
                throw new ArgumentException($"{op}: gradient {i} is {g.DType.Name()} but its master is {m.DType.Name()}; an f64 gradient has an f64 master and only it");
            SameCount(op, g, m);
        }
    }

    /// <summary>GatherRows' arguments: a destination of rowIndices.Length rows like the source's, every index a source row. Returns the source's rows and columns.</summary>
    public static (int Rows, int Cols) GatherRows(string op, Device device, Tensor source, ReadOnlySpan<int> rowIndices, Tensor destination)
    {
        OnDevice(op, device, source, destination);
        SameDType(op, source, destination);
        var (rows, cols) = source.AsMatrix;
        var (drows, dcols) = destination.AsMatrix;
        if (dcols != cols || drows != rowIndices.Length)
            throw new ArgumentException($"{op}: destination {destination.ShapeText} must hold {rowIndices.Length} rows of {cols}");
        for (var i = 0; i < rowIndices.Length; i++)
            if ((uint)rowIndices[i] >= (uint)rows)
                throw new ArgumentOutOfRangeException(nameof(rowIndices), $"{op}: row index {rowIndices[i]} at position {i} is outside [0, {rows})");
        return (rows, cols);
    }
}
