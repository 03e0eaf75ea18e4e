namespace NativeNets.Native;

/// <summary>
/// <c>cudaDataType_t</c> from CUDA's library_types.h (CUDA 12.8 to 13.x): the element type of a matrix for cuBLAS's
/// Ex routines and cuBLASLt layouts. The values are not in declaration order in the header (they grew over time), so
/// each one is pinned here; R is real, C is complex.
/// </summary>
public enum cudaDataType_t
{
    /// <summary>Real float32.</summary>
    CUDA_R_32F = 0,
    /// <summary>Real float64.</summary>
    CUDA_R_64F = 1,
    /// <summary>Real float16 (IEEE half).</summary>
    CUDA_R_16F = 2,
    /// <summary>Real signed int8.</summary>
    CUDA_R_8I = 3,
    /// <summary>Complex float32.</summary>
    CUDA_C_32F = 4,
    /// <summary>Complex float64.</summary>
    CUDA_C_64F = 5,
    /// <summary>Complex float16.</summary>
    CUDA_C_16F = 6,
    /// <summary>Complex signed int8.</summary>
    CUDA_C_8I = 7,
    /// <summary>Real unsigned int8.</summary>
    CUDA_R_8U = 8,
    /// <summary>Complex unsigned int8.</summary>
    CUDA_C_8U = 9,
    /// <summary>Real signed int32.</summary>
    CUDA_R_32I = 10,
    /// <summary>Complex signed int32.</summary>
    CUDA_C_32I = 11,
    /// <summary>Real unsigned int32.</summary>
    CUDA_R_32U = 12,
    /// <summary>Complex unsigned int32.</summary>
    CUDA_C_32U = 13,
    /// <summary>Real bfloat16.</summary>
    CUDA_R_16BF = 14,
    /// <summary>Complex bfloat16.</summary>
    CUDA_C_16BF = 15,
    /// <summary>Real signed int4.</summary>
    CUDA_R_4I = 16,
    /// <summary>Complex signed int4.</summary>
    CUDA_C_4I = 17,
    /// <summary>Real unsigned int4.</summary>
    CUDA_R_4U = 18,
    /// <summary>Complex unsigned int4.</summary>
    CUDA_C_4U = 19,
    /// <summary>Real signed int16.</summary>
    CUDA_R_16I = 20,
    /// <summary>Complex signed int16.</summary>
    CUDA_C_16I = 21,
    /// <summary>Real unsigned int16.</summary>
    CUDA_R_16U = 22,
    /// <summary>Complex unsigned int16.</summary>
    CUDA_C_16U = 23,
    /// <summary>Real signed int64.</summary>
    CUDA_R_64I = 24,
    /// <summary>Complex signed int64.</summary>
    CUDA_C_64I = 25,
    /// <summary>Real unsigned int64.</summary>
    CUDA_R_64U = 26,
    /// <summary>Complex unsigned int64.</summary>
    CUDA_C_64U = 27,
    /// <summary>Real FP8, 4-bit exponent and 3-bit mantissa.</summary>
    CUDA_R_8F_E4M3 = 28,
    /// <summary>Unsigned FP8 E4M3 block-scale type (NVFP4 scales): the header defines it as an alias of <see cref="CUDA_R_8F_E4M3"/>.</summary>
    CUDA_R_8F_UE4M3 = CUDA_R_8F_E4M3,
    /// <summary>Real FP8, 5-bit exponent and 2-bit mantissa.</summary>
    CUDA_R_8F_E5M2 = 29,
    /// <summary>Unsigned exponent-only FP8 block-scale type (MX formats), CUDA 12.8+.</summary>
    CUDA_R_8F_UE8M0 = 30,
    /// <summary>Real FP6, 2-bit exponent and 3-bit mantissa, CUDA 12.8+.</summary>
    CUDA_R_6F_E2M3 = 31,
    /// <summary>Real FP6, 3-bit exponent and 2-bit mantissa, CUDA 12.8+.</summary>
    CUDA_R_6F_E3M2 = 32,
    /// <summary>Real FP4, 2-bit exponent and 1-bit mantissa, CUDA 12.8+.</summary>
    CUDA_R_4F_E2M1 = 33,
}
