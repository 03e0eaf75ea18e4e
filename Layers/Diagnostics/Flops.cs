using NativeNets.Modules;
using NativeNets.Tensors;

namespace NativeNets.Diagnostics;

/// <summary>
/// Model FLOP utilisation: the arithmetic a network's convolutions and fully connected layers need per image, and the
/// dense peak of the processor it ran on. A training step is counted as three forwards (the forward, the gradient of
/// the input and that of the weights), the usual convention; ResNet-50 at 224 px is then 24.6 GFLOP per image.
/// </summary>
internal static class Flops
{
    /// <summary>The FLOPs of the last forward of every layer in <paramref name="network"/>.</summary>
    public static long OfLastForward(Layer network) => network.NamedLayers().Sum(l => l.Layer.LastForwardFlops);

    /// <summary>Training FLOPs per image, from the last forward of a batch of <paramref name="batch"/>.</summary>
    public static double TrainingPerImage(Layer network, int batch) => 3.0 * OfLastForward(network) / batch;

    /// <summary>
    /// The dense tensor-core (or vector) peak in FLOP/s for a GPU named <paramref name="deviceName"/> computing in
    /// <paramref name="compute"/> (F32 with or without TF32), from NVIDIA's data sheets; null for a GPU not in the table.
    /// </summary>
    public static double? GpuPeak(string deviceName, DType compute, bool tf32)
    {
        // Dense (no sparsity) figures: H100 SXM5 / H200: 989.4 TFLOP/s F16/BF16, 494.7 TF32, 66.9 F32;
        // H100 PCIe: 756.5, 378, 51.2; A100: 312, 156, 19.5.
        (double Half, double Tf32, double F32)? peak = deviceName switch
        {
            _ when deviceName.Contains("H100", StringComparison.OrdinalIgnoreCase) && deviceName.Contains("PCIe", StringComparison.OrdinalIgnoreCase)
                => (756.5e12, 378e12, 51.2e12),
            _ when deviceName.Contains("H100", StringComparison.OrdinalIgnoreCase) || deviceName.Contains("H200", StringComparison.OrdinalIgnoreCase)
                => (989.4e12, 494.7e12, 66.9e12),
            _ when deviceName.Contains("A100", StringComparison.OrdinalIgnoreCase) => (312e12, 156e12, 19.5e12),
            _ => null,
        };
        if (peak is not { } p) return null;
        return compute switch
        {
            DType.F16 or DType.BF16 => p.Half,
            DType.F32 => tf32 ? p.Tf32 : p.F32,
            _ => null,
        };
    }

    /// <summary>
    /// The F32 vector peak of this CPU over <paramref name="threads"/> cores: lanes x 2 (fused multiply-add) x 2 FMA
    /// units x the nominal clock from /proc/cpuinfo's model name ("@ 2.10GHz"); null where that clock is not stated.
    /// </summary>
    public static double? CpuPeak(int threads, int floatLanes)
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (!File.Exists(cpuinfo)) return null;
        foreach (var line in File.ReadLines(cpuinfo))
        {
            if (!line.StartsWith("model name", StringComparison.Ordinal)) continue;
            var at = line.LastIndexOf('@');
            if (at < 0) return null;
            var text = line[(at + 1)..].Trim();
            if (!text.EndsWith("GHz", StringComparison.Ordinal)) return null;
            return double.TryParse(text[..^3], System.Globalization.CultureInfo.InvariantCulture, out var ghz)
                ? threads * floatLanes * 2.0 * 2.0 * ghz * 1e9 : null;
        }
        return null;
    }
}
