using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeNets.Backends;

/// <summary>What the CPU's vector units offer, as the JIT sees them.</summary>
public static class CpuFeatures
{
    public static bool HasVector512 => Vector512.IsHardwareAccelerated;
    public static bool HasAvx2Fma => Avx2.IsSupported && Fma.IsSupported;
    public static bool HasAvx512BW => Avx512BW.IsSupported;

    public static string Describe() =>
        HasVector512 ? "AVX-512" : HasAvx2Fma ? "AVX2+FMA" : Vector256.IsHardwareAccelerated ? "256-bit vectors" : "128-bit vectors";
}
