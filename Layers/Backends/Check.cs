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
}
