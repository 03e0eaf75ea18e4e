namespace NativeNets.Tensors;

/// <summary>Element type of a tensor. F64 exists for the CPU reference path (gradient checks).</summary>
public enum DType : byte
{
    F32,
    F16,
    BF16,
    I32,
    U8,
    F64,
}

public static class DTypeExtensions
{
    public static int SizeOf(this DType t) => t switch
    {
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 => 2,
        DType.U8 => 1,
        DType.F64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown dtype"),
    };

    public static bool IsFloatingPoint(this DType t) => t is DType.F32 or DType.F16 or DType.BF16 or DType.F64;

    public static string Name(this DType t) => t.ToString().ToLowerInvariant();
}
