using NativeNets.Modules;
using NativeNets.Tensors;

namespace NativeNets.MixedPrecision;

/// <summary>The precision a network trains in: fp32, or fp16 / bf16 activations, weights and gradients with F32 masters.</summary>
public enum Precision : byte
{
    Fp32,
    Fp16,
    Bf16,
}

public static class PrecisionExtensions
{
    /// <summary>The dtype activations, working weights and gradients have in this precision.</summary>
    public static DType ComputeDType(this Precision p) => p switch
    {
        Precision.Fp32 => DType.F32,
        Precision.Fp16 => DType.F16,
        Precision.Bf16 => DType.BF16,
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, "unknown precision"),
    };

    /// <summary>fp32, fp16 or bf16, as the command line spells them.</summary>
    public static string Name(this Precision p) => p.ToString().ToLowerInvariant();

    /// <summary>Parses fp32, fp16 or bf16 (also float32, float16, half, bfloat16); the error lists what is accepted.</summary>
    public static Precision Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" or "f32" => Precision.Fp32,
        "fp16" or "float16" or "f16" or "half" => Precision.Fp16,
        "bf16" or "bfloat16" => Precision.Bf16,
        _ => throw new ArgumentException($"precision '{text}': expected fp32, fp16 or bf16"),
    };

    /// <summary>Whether training in this precision needs a loss scale: F16's range is too small for small gradients.</summary>
    public static bool NeedsLossScaling(this Precision p) => p == Precision.Fp16;
}

/// <summary>Puts a network into a training precision.</summary>
public static class MixedPrecisionNetwork
{
    /// <summary>
    /// Makes every parameter of <paramref name="network"/> compute in <paramref name="precision"/> with an F32 master
    /// copy, except batch normalisation's: its gamma, beta and running statistics stay F32, as cuDNN keeps them beside
    /// F16/BF16 activations. The input the network is given must then have the same dtype
    /// (<see cref="PrecisionExtensions.ComputeDType"/>). Nothing happens for fp32. Call before creating the optimizer.
    /// </summary>
    public static void Apply(Layer network, Precision precision)
    {
        if (precision == Precision.Fp32) return;
        var dtype = precision.ComputeDType();
        var normalisation = network.NamedLayers().Select(l => l.Layer).OfType<BatchNorm2d>()
            .SelectMany(bn => new[] { bn.Weight, bn.Bias }).ToHashSet();
        foreach (var p in network.Parameters())
            if (!normalisation.Contains(p)) p.UseReducedPrecision(dtype);
    }
}
