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
        OnDevice(op, device, [x, y, .. perChannel]);
        Rank(op, "input", x, 4);
        SameDType(op, x, y);
        SameCount(op, x, y);
        foreach (var t in perChannel)
        {
            SameDType(op, x, t);
            if (t.Count != x[1]) throw new ArgumentException($"{op}: {t.ShapeText} must have one value per channel of {x.ShapeText}");
        }
        return (x[0], x[1], x[2] * x[3]);
    }

    /// <summary>NormalizeImages' arguments: U8 NHWC in, F32 NCHW out of the same dims, one mean and std per channel. Returns N, C and H*W.</summary>
    public static (int N, int C, long Plane) ImageBatch(string op, Device device, Tensor images, Tensor output, int means, int stds)
    {
        OnDevice(op, device, images, output);
        DType(op, "images", images, Tensors.DType.U8);
        DType(op, "output", output, Tensors.DType.F32);
        Rank(op, "images", images, 4);
        if (images.Layout != Layout.NHWC) throw new ArgumentException($"{op}: images must be in NHWC memory order, got {images.Layout}");
        if (output.Layout != Layout.NCHW) throw new ArgumentException($"{op}: the output must be NCHW, got {output.Layout}");
        Shape(op, "output", output, images.Shape);
        if (means != images[1] || stds != images[1])
            throw new ArgumentException($"{op}: {images[1]} channels need {images[1]} means and stds, got {means} and {stds}");
        return (images[0], images[1], (long)images[2] * images[3]);
    }
}
