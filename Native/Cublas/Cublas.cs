using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace NativeNets.Native;

/// <summary>
/// Raw bindings to cuBLAS (libcublas.so.13, also .so.12), declarations as in cublas_api.h of CUDA 13. cublas_v2.h
/// #defines the classic names to versioned symbols (cublasCreate to cublasCreate_v2); the exported symbol is bound
/// under its own name, so a search of the header finds it. Handles, device pointers and streams are <c>nint</c>;
/// alpha and beta point to host memory in the default pointer mode (device memory after
/// <see cref="cublasSetPointerMode_v2"/> with <see cref="cublasPointerMode_t.CUBLAS_POINTER_MODE_DEVICE"/>).
/// All matrices are column-major, as in BLAS.
/// </summary>
public static unsafe partial class Cublas
{
    /// <summary>Creates a cuBLAS context on the current device; pair with <see cref="cublasDestroy_v2"/> (or use <see cref="CublasHandle"/>).</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial cublasStatus_t cublasCreate_v2(nint* handle);

    /// <summary>Releases a context made by <see cref="cublasCreate_v2"/>; it synchronises the device first.</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial cublasStatus_t cublasDestroy_v2(nint handle);

    /// <summary>The library version as major*10000 + minor*100 + patch (130100 for 13.1.0).</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial cublasStatus_t cublasGetVersion_v2(nint handle, int* version);

    /// <summary>Makes every later call on this handle run on <paramref name="streamId"/> (0 = the legacy default stream).</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial cublasStatus_t cublasSetStream_v2(nint handle, nint streamId);

    /// <summary>The stream the handle's calls run on.</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial cublasStatus_t cublasGetStream_v2(nint handle, nint* streamId);

    /// <summary>Sets the math mode (tensor cores, TF32, reduced-precision reductions); flags may be OR-ed with <see cref="cublasMath_t.CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION"/>.</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial cublasStatus_t cublasSetMathMode(nint handle, cublasMath_t mode);

    /// <summary>The handle's current math mode.</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial cublasStatus_t cublasGetMathMode(nint handle, cublasMath_t* mode);

    /// <summary>Whether alpha/beta (and scalar results) live in host or device memory.</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial cublasStatus_t cublasSetPointerMode_v2(nint handle, cublasPointerMode_t mode);

    /// <summary>The handle's current pointer mode.</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial cublasStatus_t cublasGetPointerMode_v2(nint handle, cublasPointerMode_t* mode);

    /// <summary>
    /// Hands cuBLAS a device workspace of our own (from the stream-ordered pool) instead of the one it would allocate
    /// per stream; it must stay valid while work that uses it is queued. Pass 0/0 to go back to cuBLAS's own.
    /// </summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial cublasStatus_t cublasSetWorkspace_v2(nint handle, nint workspace, nuint workspaceSizeInBytes);

    /// <summary>C = alpha op(A) op(B) + beta C in float32; A is m x k after op, B is k x n, C is m x n, column-major.</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial cublasStatus_t cublasSgemm_v2(nint handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, float* alpha, nint A, int lda, nint B, int ldb, float* beta, nint C, int ldc);

    /// <summary>C = alpha op(A) op(B) + beta C in float64.</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial cublasStatus_t cublasDgemm_v2(nint handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, double* alpha, nint A, int lda, nint B, int ldb, double* beta, nint C, int ldc);

    /// <summary>
    /// GEMM with the element types given per matrix and the compute type apart (fp16/bf16 storage with fp32
    /// accumulation, TF32). alpha/beta have the scale type that <paramref name="computeType"/> implies (float for
    /// the 32F compute types, double for 64F).
    /// </summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial cublasStatus_t cublasGemmEx(nint handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, void* alpha,
        nint A, cudaDataType_t Atype, int lda,
        nint B, cudaDataType_t Btype, int ldb,
        void* beta,
        nint C, cudaDataType_t Ctype, int ldc,
        cublasComputeType_t computeType, cublasGemmAlgo_t algo);

    /// <summary>
    /// <paramref name="batchCount"/> GEMMs whose matrices sit at fixed element strides (signed 64-bit, as in the
    /// header) from A, B and C; types as in <see cref="cublasGemmEx"/>.
    /// </summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial cublasStatus_t cublasGemmStridedBatchedEx(nint handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, void* alpha,
        nint A, cudaDataType_t Atype, int lda, long strideA,
        nint B, cudaDataType_t Btype, int ldb, long strideB,
        void* beta,
        nint C, cudaDataType_t Ctype, int ldc, long strideC,
        int batchCount, cublasComputeType_t computeType, cublasGemmAlgo_t algo);

    /// <summary>Float32 strided-batched GEMM: batch i uses A + i strideA, B + i strideB, C + i strideC (strides in elements).</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial cublasStatus_t cublasSgemmStridedBatched(nint handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, float* alpha,
        nint A, int lda, long strideA,
        nint B, int ldb, long strideB,
        float* beta,
        nint C, int ldc, long strideC,
        int batchCount);

    /// <summary>The status's enumerator name as a static C string ("CUBLAS_STATUS_INVALID_VALUE").</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial byte* cublasGetStatusName(cublasStatus_t status);

    /// <summary>The status's description as a static C string.</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial byte* cublasGetStatusString(cublasStatus_t status);

    /// <summary>
    /// Throws a <see cref="CublasException"/> naming the call (as written at the call site), the status and where,
    /// unless <paramref name="status"/> is success.
    /// </summary>
    public static void Check(cublasStatus_t status,
        [CallerArgumentExpression(nameof(status))] string call = "",
        [CallerFilePath] string file = "",
        [CallerLineNumber] int line = 0)
    {
        if (status == cublasStatus_t.CUBLAS_STATUS_SUCCESS) return;
        throw new CublasException(NativeLibraries.Cublas, call, status, StatusName(status), StatusText(status), file, line);
    }

    /// <summary>The native name of a status; works without the library (the enum mirrors the header's names).</summary>
    public static string StatusName(cublasStatus_t status)
    {
        if (Enum.IsDefined(status)) return status.ToString();
        return NativeStatusText.Read(NativeLibraries.Cublas, () => (nint)cublasGetStatusName(status)) ?? $"CUBLAS_STATUS_{(int)status}";
    }

    /// <summary>cuBLAS's own text for a status, or its name where the library cannot be called (so errors still explain themselves on a machine without it).</summary>
    public static string StatusText(cublasStatus_t status) =>
        NativeStatusText.Read(NativeLibraries.Cublas, () => (nint)cublasGetStatusString(status)) ?? StatusName(status);
}

/// <summary>Reads the static C strings that status-to-text functions return, without throwing where the library is missing.</summary>
internal static class NativeStatusText
{
    /// <summary>The string a library call returns, or null where the library is absent, lacks the symbol or returns nothing.</summary>
    internal static string? Read(string library, Func<nint> call)
    {
        if (!NativeLibraries.Load(library).Found) return null;
        try
        {
            var text = Marshal.PtrToStringUTF8(call());
            return string.IsNullOrEmpty(text) ? null : text;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or NativeLibraryNotFoundException or BadImageFormatException)
        {
            return null;
        }
    }
}

/// <summary>A cuBLAS or cuBLASLt call returned an error status.</summary>
public sealed class CublasException : NativeCallException
{
    /// <summary>Builds the exception from the failed call's text and status (see <see cref="Cublas.Check"/>).</summary>
    public CublasException(string library, string call, cublasStatus_t status, string statusName, string statusText, string file, int line)
        : base(library, call, (int)status, statusName, statusText, file, line)
    {
        CublasStatus = status;
    }

    /// <summary>The status, typed.</summary>
    public cublasStatus_t CublasStatus { get; }
}

/// <summary>Owns a cuBLAS context (<c>cublasHandle_t</c>); disposing it calls <c>cublasDestroy_v2</c>.</summary>
public sealed unsafe class CublasHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private CublasHandle() : base(ownsHandle: true) { }

    /// <summary>Creates a context on the current device (the CUDA context must be current on this thread).</summary>
    public static CublasHandle Create()
    {
        var owner = new CublasHandle();
        nint raw;
        Cublas.Check(Cublas.cublasCreate_v2(&raw));
        owner.SetHandle(raw);
        return owner;
    }

    /// <summary>The raw handle for the <c>nint</c> signatures; keep this object alive across the call.</summary>
    public nint Value => handle;

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Cublas.cublasDestroy_v2(handle) == cublasStatus_t.CUBLAS_STATUS_SUCCESS;
}

/// <summary><c>cublasStatus_t</c>: the result of every cuBLAS and cuBLASLt call.</summary>
public enum cublasStatus_t
{
    /// <summary>The call succeeded.</summary>
    CUBLAS_STATUS_SUCCESS = 0,
    /// <summary>The handle was not created (or the CUDA runtime could not be initialised).</summary>
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    /// <summary>An allocation inside cuBLAS failed.</summary>
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    /// <summary>A parameter was out of range or inconsistent.</summary>
    CUBLAS_STATUS_INVALID_VALUE = 7,
    /// <summary>The device lacks a feature the call needs.</summary>
    CUBLAS_STATUS_ARCH_MISMATCH = 8,
    /// <summary>Access to GPU memory space failed.</summary>
    CUBLAS_STATUS_MAPPING_ERROR = 11,
    /// <summary>A kernel failed to launch or run.</summary>
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    /// <summary>An internal cuBLAS operation failed.</summary>
    CUBLAS_STATUS_INTERNAL_ERROR = 14,
    /// <summary>The combination of parameters is not supported.</summary>
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
    /// <summary>A licensing check failed.</summary>
    CUBLAS_STATUS_LICENSE_ERROR = 16,
}

/// <summary><c>cublasOperation_t</c>: whether a GEMM operand is used as is, transposed or conjugate-transposed.</summary>
public enum cublasOperation_t
{
    /// <summary>op(A) = A.</summary>
    CUBLAS_OP_N = 0,
    /// <summary>op(A) = A^T.</summary>
    CUBLAS_OP_T = 1,
    /// <summary>op(A) = A^H.</summary>
    CUBLAS_OP_C = 2,
    /// <summary>Synonym of <see cref="CUBLAS_OP_C"/>.</summary>
    CUBLAS_OP_HERMITAN = 2,
    /// <summary>Conjugate without transpose (a placeholder the library does not support).</summary>
    CUBLAS_OP_CONJG = 3,
}

/// <summary><c>cublasPointerMode_t</c>: where scalar arguments (alpha, beta) and scalar results live.</summary>
public enum cublasPointerMode_t
{
    /// <summary>Host memory (the default).</summary>
    CUBLAS_POINTER_MODE_HOST = 0,
    /// <summary>Device memory.</summary>
    CUBLAS_POINTER_MODE_DEVICE = 1,
}

/// <summary>
/// <c>cublasMath_t</c>: which shortcuts cuBLAS may take. Not a pure flag set: one mode (0 to 4, 8) optionally OR-ed
/// with <see cref="CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION"/>.
/// </summary>
public enum cublasMath_t
{
    /// <summary>Default: tensor cores where the compute type allows, no TF32 for float32 routines.</summary>
    CUBLAS_DEFAULT_MATH = 0,
    /// <summary>Deprecated: same as the 32F_FAST_16F compute type.</summary>
    CUBLAS_TENSOR_OP_MATH = 1,
    /// <summary>Exact arithmetic of the named compute type, no tensor-core shortcuts.</summary>
    CUBLAS_PEDANTIC_MATH = 2,
    /// <summary>Float32 routines may use TF32 tensor cores.</summary>
    CUBLAS_TF32_TENSOR_OP_MATH = 3,
    /// <summary>Float32 routines may use the BF16x9 emulation (cuBLAS 12.9+).</summary>
    CUBLAS_FP32_EMULATED_BF16X9_MATH = 4,
    /// <summary>Float64 routines may use fixed-point emulation (cuBLAS 13.x after 13.0.0).</summary>
    CUBLAS_FP64_EMULATED_FIXEDPOINT_MATH = 8,
    /// <summary>Flag: reductions keep the compute type even when the output type is narrower.</summary>
    CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16,
}

/// <summary><c>cublasComputeType_t</c>: the arithmetic of the Ex routines and of cuBLASLt matmul descriptors.</summary>
public enum cublasComputeType_t
{
    /// <summary>Half precision, fastest available.</summary>
    CUBLAS_COMPUTE_16F = 64,
    /// <summary>Half precision, strict.</summary>
    CUBLAS_COMPUTE_16F_PEDANTIC = 65,
    /// <summary>Float32, default (no TF32 unless the math mode allows it).</summary>
    CUBLAS_COMPUTE_32F = 68,
    /// <summary>Float32, strict.</summary>
    CUBLAS_COMPUTE_32F_PEDANTIC = 69,
    /// <summary>Float64, default.</summary>
    CUBLAS_COMPUTE_64F = 70,
    /// <summary>Float64, strict.</summary>
    CUBLAS_COMPUTE_64F_PEDANTIC = 71,
    /// <summary>Int32, default.</summary>
    CUBLAS_COMPUTE_32I = 72,
    /// <summary>Int32, strict.</summary>
    CUBLAS_COMPUTE_32I_PEDANTIC = 73,
    /// <summary>Float32 accumulation, inputs may be rounded to half.</summary>
    CUBLAS_COMPUTE_32F_FAST_16F = 74,
    /// <summary>Float32 accumulation, inputs may be rounded to bfloat16.</summary>
    CUBLAS_COMPUTE_32F_FAST_16BF = 75,
    /// <summary>Float32 accumulation, inputs may be rounded to TF32.</summary>
    CUBLAS_COMPUTE_32F_FAST_TF32 = 77,
    /// <summary>Float32 emulated with 3 bfloat16 terms (cuBLAS 12.9+).</summary>
    CUBLAS_COMPUTE_32F_EMULATED_16BFX9 = 78,
    /// <summary>Float64 emulated in fixed point (cuBLAS 13.x after 13.0.0).</summary>
    CUBLAS_COMPUTE_64F_EMULATED_FIXEDPOINT = 79,
}

/// <summary><c>cublasGemmAlgo_t</c>: the algorithm hint of the Ex GEMMs; since CUDA 11 only DEFAULT matters on current GPUs.</summary>
public enum cublasGemmAlgo_t
{
    /// <summary>Let cuBLAS choose (tensor cores included where the types allow).</summary>
    CUBLAS_GEMM_DEFAULT = -1,
    /// <summary>Old spelling of <see cref="CUBLAS_GEMM_DEFAULT"/>.</summary>
    CUBLAS_GEMM_DFALT = -1,
    /// <summary>Algorithm 0.</summary>
    CUBLAS_GEMM_ALGO0 = 0,
    /// <summary>Algorithm 1.</summary>
    CUBLAS_GEMM_ALGO1 = 1,
    /// <summary>Algorithm 2.</summary>
    CUBLAS_GEMM_ALGO2 = 2,
    /// <summary>Algorithm 3.</summary>
    CUBLAS_GEMM_ALGO3 = 3,
    /// <summary>Algorithm 4.</summary>
    CUBLAS_GEMM_ALGO4 = 4,
    /// <summary>Algorithm 5.</summary>
    CUBLAS_GEMM_ALGO5 = 5,
    /// <summary>Algorithm 6.</summary>
    CUBLAS_GEMM_ALGO6 = 6,
    /// <summary>Algorithm 7.</summary>
    CUBLAS_GEMM_ALGO7 = 7,
    /// <summary>Algorithm 8.</summary>
    CUBLAS_GEMM_ALGO8 = 8,
    /// <summary>Algorithm 9.</summary>
    CUBLAS_GEMM_ALGO9 = 9,
    /// <summary>Algorithm 10.</summary>
    CUBLAS_GEMM_ALGO10 = 10,
    /// <summary>Algorithm 11.</summary>
    CUBLAS_GEMM_ALGO11 = 11,
    /// <summary>Algorithm 12.</summary>
    CUBLAS_GEMM_ALGO12 = 12,
    /// <summary>Algorithm 13.</summary>
    CUBLAS_GEMM_ALGO13 = 13,
    /// <summary>Algorithm 14.</summary>
    CUBLAS_GEMM_ALGO14 = 14,
    /// <summary>Algorithm 15.</summary>
    CUBLAS_GEMM_ALGO15 = 15,
    /// <summary>Algorithm 16.</summary>
    CUBLAS_GEMM_ALGO16 = 16,
    /// <summary>Algorithm 17.</summary>
    CUBLAS_GEMM_ALGO17 = 17,
    /// <summary>Algorithm 18 (sliced 32x32).</summary>
    CUBLAS_GEMM_ALGO18 = 18,
    /// <summary>Algorithm 19 (sliced 64x32).</summary>
    CUBLAS_GEMM_ALGO19 = 19,
    /// <summary>Algorithm 20 (sliced 128x32).</summary>
    CUBLAS_GEMM_ALGO20 = 20,
    /// <summary>Algorithm 21 (sliced 32x32, split-K).</summary>
    CUBLAS_GEMM_ALGO21 = 21,
    /// <summary>Algorithm 22 (sliced 64x32, split-K).</summary>
    CUBLAS_GEMM_ALGO22 = 22,
    /// <summary>Algorithm 23 (sliced 128x32, split-K).</summary>
    CUBLAS_GEMM_ALGO23 = 23,
    /// <summary>Default, allowing tensor cores (deprecated: the same as DEFAULT since CUDA 11).</summary>
    CUBLAS_GEMM_DEFAULT_TENSOR_OP = 99,
    /// <summary>Old spelling of <see cref="CUBLAS_GEMM_DEFAULT_TENSOR_OP"/>.</summary>
    CUBLAS_GEMM_DFALT_TENSOR_OP = 99,
    /// <summary>Tensor-op algorithm 0.</summary>
    CUBLAS_GEMM_ALGO0_TENSOR_OP = 100,
    /// <summary>Tensor-op algorithm 1.</summary>
    CUBLAS_GEMM_ALGO1_TENSOR_OP = 101,
    /// <summary>Tensor-op algorithm 2.</summary>
    CUBLAS_GEMM_ALGO2_TENSOR_OP = 102,
    /// <summary>Tensor-op algorithm 3.</summary>
    CUBLAS_GEMM_ALGO3_TENSOR_OP = 103,
    /// <summary>Tensor-op algorithm 4.</summary>
    CUBLAS_GEMM_ALGO4_TENSOR_OP = 104,
    /// <summary>Tensor-op algorithm 5.</summary>
    CUBLAS_GEMM_ALGO5_TENSOR_OP = 105,
    /// <summary>Tensor-op algorithm 6.</summary>
    CUBLAS_GEMM_ALGO6_TENSOR_OP = 106,
    /// <summary>Tensor-op algorithm 7.</summary>
    CUBLAS_GEMM_ALGO7_TENSOR_OP = 107,
    /// <summary>Tensor-op algorithm 8.</summary>
    CUBLAS_GEMM_ALGO8_TENSOR_OP = 108,
    /// <summary>Tensor-op algorithm 9.</summary>
    CUBLAS_GEMM_ALGO9_TENSOR_OP = 109,
    /// <summary>Tensor-op algorithm 10.</summary>
    CUBLAS_GEMM_ALGO10_TENSOR_OP = 110,
    /// <summary>Tensor-op algorithm 11.</summary>
    CUBLAS_GEMM_ALGO11_TENSOR_OP = 111,
    /// <summary>Tensor-op algorithm 12.</summary>
    CUBLAS_GEMM_ALGO12_TENSOR_OP = 112,
    /// <summary>Tensor-op algorithm 13.</summary>
    CUBLAS_GEMM_ALGO13_TENSOR_OP = 113,
    /// <summary>Tensor-op algorithm 14.</summary>
    CUBLAS_GEMM_ALGO14_TENSOR_OP = 114,
    /// <summary>Tensor-op algorithm 15.</summary>
    CUBLAS_GEMM_ALGO15_TENSOR_OP = 115,
    /// <summary>Benchmark the candidates on first use and cache the winner in the handle (in cuBLAS 13's header; absent from older ones).</summary>
    CUBLAS_GEMM_AUTOTUNE = 999,
}
