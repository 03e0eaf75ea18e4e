using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace NativeNets.Native;

/// <summary>
/// Raw bindings to cuBLASLt (libcublasLt.so.13, also .so.12), declarations as in cublasLt.h. Lt describes a matmul
/// D = alpha op(A) op(B) + beta C with descriptors (operation, one layout per matrix, search preferences), asks the
/// heuristic for an algorithm once per shape, and can fuse an epilogue (bias, ReLU, GELU, their gradients) into the
/// GEMM. Handles and descriptors are <c>nint</c> here, owned by the SafeHandles below; attribute values are passed
/// by address with their size, as the header's <c>const void* buf, size_t sizeInBytes</c> pairs.
/// </summary>
public static unsafe partial class CublasLt
{
    /// <summary>Creates a cuBLASLt context; pair with <see cref="cublasLtDestroy"/> (or use <see cref="CublasLtHandle"/>).</summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial cublasStatus_t cublasLtCreate(nint* lightHandle);

    /// <summary>Releases a context made by <see cref="cublasLtCreate"/>.</summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial cublasStatus_t cublasLtDestroy(nint lightHandle);

    /// <summary>The library version as major*10000 + minor*100 + patch.</summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial nuint cublasLtGetVersion();

    /// <summary>The status's enumerator name as a static C string.</summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial byte* cublasLtGetStatusName(cublasStatus_t status);

    /// <summary>The status's description as a static C string.</summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial byte* cublasLtGetStatusString(cublasStatus_t status);

    /// <summary>Creates a matmul operation descriptor; <paramref name="scaleType"/> is the type of alpha and beta.</summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial cublasStatus_t cublasLtMatmulDescCreate(nint* matmulDesc, cublasComputeType_t computeType, cudaDataType_t scaleType);

    /// <summary>Releases a matmul descriptor.</summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial cublasStatus_t cublasLtMatmulDescDestroy(nint matmulDesc);

    /// <summary>Sets one attribute; <paramref name="sizeInBytes"/> must equal the attribute's own size (see the enum's docs).</summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial cublasStatus_t cublasLtMatmulDescSetAttribute(nint matmulDesc, cublasLtMatmulDescAttributes_t attr, void* buf, nuint sizeInBytes);

    /// <summary>Creates a layout for a rows x cols matrix of <paramref name="type"/> with leading dimension <paramref name="ld"/> (column-major by default).</summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial cublasStatus_t cublasLtMatrixLayoutCreate(nint* matLayout, cudaDataType_t type, ulong rows, ulong cols, long ld);

    /// <summary>Releases a matrix layout.</summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial cublasStatus_t cublasLtMatrixLayoutDestroy(nint matLayout);

    /// <summary>Sets one layout attribute (order, batch count, batch stride, ...).</summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial cublasStatus_t cublasLtMatrixLayoutSetAttribute(nint matLayout, cublasLtMatrixLayoutAttribute_t attr, void* buf, nuint sizeInBytes);

    /// <summary>Creates a heuristic search preference (workspace limit, alignment, ...).</summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial cublasStatus_t cublasLtMatmulPreferenceCreate(nint* pref);

    /// <summary>Releases a search preference.</summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial cublasStatus_t cublasLtMatmulPreferenceDestroy(nint pref);

    /// <summary>Sets one preference attribute; MAX_WORKSPACE_BYTES is a uint64, default 0 (no workspace allowed).</summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial cublasStatus_t cublasLtMatmulPreferenceSetAttribute(nint pref, cublasLtMatmulPreferenceAttributes_t attr, void* buf, nuint sizeInBytes);

    /// <summary>
    /// Fills up to <paramref name="requestedAlgoCount"/> results, best first; check each result's <c>state</c>.
    /// Returns NOT_SUPPORTED where no algorithm fits the problem.
    /// </summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial cublasStatus_t cublasLtMatmulAlgoGetHeuristic(nint lightHandle, nint operationDesc,
        nint Adesc, nint Bdesc, nint Cdesc, nint Ddesc, nint preference,
        int requestedAlgoCount, cublasLtMatmulHeuristicResult_t* heuristicResultsArray, int* returnAlgoCount);

    /// <summary>
    /// D = alpha op(A) op(B) + beta C, then the descriptor's epilogue. alpha/beta are host or device pointers (the
    /// descriptor's pointer mode); <paramref name="algo"/> may be null to let Lt choose per call (slower: it runs
    /// the heuristic each time); C may equal D for in-place accumulation.
    /// </summary>
    [LibraryImport(NativeLibraries.CublasLt)]
    public static partial cublasStatus_t cublasLtMatmul(nint lightHandle, nint computeDesc,
        void* alpha, nint A, nint Adesc, nint B, nint Bdesc,
        void* beta, nint C, nint Cdesc, nint D, nint Ddesc,
        cublasLtMatmulAlgo_t* algo, nint workspace, nuint workspaceSizeInBytes, nint stream);

    /// <summary>Throws a <see cref="CublasException"/> (library cublasLt) naming the call and status, unless it succeeded.</summary>
    public static void Check(cublasStatus_t status,
        [CallerArgumentExpression(nameof(status))] string call = "",
        [CallerFilePath] string file = "",
        [CallerLineNumber] int line = 0)
    {
        if (status == cublasStatus_t.CUBLAS_STATUS_SUCCESS) return;
        var name = Enum.IsDefined(status)
            ? status.ToString()
            : NativeStatusText.Read(NativeLibraries.CublasLt, () => (nint)cublasLtGetStatusName(status)) ?? $"CUBLAS_STATUS_{(int)status}";
        var text = NativeStatusText.Read(NativeLibraries.CublasLt, () => (nint)cublasLtGetStatusString(status)) ?? name;
        throw new CublasException(NativeLibraries.CublasLt, call, status, name, text, file, line);
    }

    /// <summary>Sets a fixed-size matmul descriptor attribute from a value (the size is taken from its type).</summary>
    public static void SetMatmulDescAttribute<T>(CublasLtMatmulDesc desc, cublasLtMatmulDescAttributes_t attr, T value,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) where T : unmanaged
    {
        var status = cublasLtMatmulDescSetAttribute(desc.Value, attr, &value, (nuint)sizeof(T));
        GC.KeepAlive(desc);
        Check(status, $"cublasLtMatmulDescSetAttribute({attr})", file, line);
    }

    /// <summary>Sets a fixed-size matrix layout attribute from a value.</summary>
    public static void SetMatrixLayoutAttribute<T>(CublasLtMatrixLayout layout, cublasLtMatrixLayoutAttribute_t attr, T value,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) where T : unmanaged
    {
        var status = cublasLtMatrixLayoutSetAttribute(layout.Value, attr, &value, (nuint)sizeof(T));
        GC.KeepAlive(layout);
        Check(status, $"cublasLtMatrixLayoutSetAttribute({attr})", file, line);
    }

    /// <summary>Sets a fixed-size preference attribute from a value.</summary>
    public static void SetPreferenceAttribute<T>(CublasLtMatmulPreference pref, cublasLtMatmulPreferenceAttributes_t attr, T value,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) where T : unmanaged
    {
        var status = cublasLtMatmulPreferenceSetAttribute(pref.Value, attr, &value, (nuint)sizeof(T));
        GC.KeepAlive(pref);
        Check(status, $"cublasLtMatmulPreferenceSetAttribute({attr})", file, line);
    }
}

/// <summary>Owns a cuBLASLt context (<c>cublasLtHandle_t</c>).</summary>
public sealed unsafe class CublasLtHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private CublasLtHandle() : base(ownsHandle: true) { }

    /// <summary>Creates a context.</summary>
    public static CublasLtHandle Create()
    {
        var owner = new CublasLtHandle();
        nint raw;
        CublasLt.Check(CublasLt.cublasLtCreate(&raw));
        owner.SetHandle(raw);
        return owner;
    }

    /// <summary>The raw handle for the <c>nint</c> signatures; keep this object alive across the call.</summary>
    public nint Value => handle;

    /// <inheritdoc />
    protected override bool ReleaseHandle() => CublasLt.cublasLtDestroy(handle) == cublasStatus_t.CUBLAS_STATUS_SUCCESS;
}

/// <summary>Owns a matmul operation descriptor (<c>cublasLtMatmulDesc_t</c>).</summary>
public sealed unsafe class CublasLtMatmulDesc : SafeHandleZeroOrMinusOneIsInvalid
{
    private CublasLtMatmulDesc() : base(ownsHandle: true) { }

    /// <summary>Creates a descriptor with this compute type and alpha/beta type.</summary>
    public static CublasLtMatmulDesc Create(cublasComputeType_t computeType, cudaDataType_t scaleType)
    {
        var owner = new CublasLtMatmulDesc();
        nint raw;
        CublasLt.Check(CublasLt.cublasLtMatmulDescCreate(&raw, computeType, scaleType));
        owner.SetHandle(raw);
        return owner;
    }

    /// <summary>The raw descriptor for the <c>nint</c> signatures; keep this object alive across the call.</summary>
    public nint Value => handle;

    /// <inheritdoc />
    protected override bool ReleaseHandle() => CublasLt.cublasLtMatmulDescDestroy(handle) == cublasStatus_t.CUBLAS_STATUS_SUCCESS;
}

/// <summary>Owns a matrix layout descriptor (<c>cublasLtMatrixLayout_t</c>).</summary>
public sealed unsafe class CublasLtMatrixLayout : SafeHandleZeroOrMinusOneIsInvalid
{
    private CublasLtMatrixLayout() : base(ownsHandle: true) { }

    /// <summary>Creates a layout for a rows x cols matrix with leading dimension <paramref name="ld"/>, column-major.</summary>
    public static CublasLtMatrixLayout Create(cudaDataType_t type, ulong rows, ulong cols, long ld)
    {
        var owner = new CublasLtMatrixLayout();
        nint raw;
        CublasLt.Check(CublasLt.cublasLtMatrixLayoutCreate(&raw, type, rows, cols, ld));
        owner.SetHandle(raw);
        return owner;
    }

    /// <summary>The raw descriptor for the <c>nint</c> signatures; keep this object alive across the call.</summary>
    public nint Value => handle;

    /// <inheritdoc />
    protected override bool ReleaseHandle() => CublasLt.cublasLtMatrixLayoutDestroy(handle) == cublasStatus_t.CUBLAS_STATUS_SUCCESS;
}

/// <summary>Owns a heuristic search preference (<c>cublasLtMatmulPreference_t</c>).</summary>
public sealed unsafe class CublasLtMatmulPreference : SafeHandleZeroOrMinusOneIsInvalid
{
    private CublasLtMatmulPreference() : base(ownsHandle: true) { }

    /// <summary>Creates a preference; without <see cref="cublasLtMatmulPreferenceAttributes_t.CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES"/> it allows no workspace.</summary>
    public static CublasLtMatmulPreference Create()
    {
        var owner = new CublasLtMatmulPreference();
        nint raw;
        CublasLt.Check(CublasLt.cublasLtMatmulPreferenceCreate(&raw));
        owner.SetHandle(raw);
        return owner;
    }

    /// <summary>The raw descriptor for the <c>nint</c> signatures; keep this object alive across the call.</summary>
    public nint Value => handle;

    /// <inheritdoc />
    protected override bool ReleaseHandle() => CublasLt.cublasLtMatmulPreferenceDestroy(handle) == cublasStatus_t.CUBLAS_STATUS_SUCCESS;
}

/// <summary>
/// <c>cublasLtMatmulAlgo_t</c>: a semi-opaque, trivially copyable algorithm configuration (8 x uint64 = 64 bytes),
/// valid for the cuBLASLt version that produced it; cache it per problem shape.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct cublasLtMatmulAlgo_t
{
    /// <summary>The opaque contents.</summary>
    public fixed ulong data[8];
}

/// <summary><c>cublasLtMatmulHeuristicResult_t</c>: one answer of the heuristic (96 bytes: algo@0, workspaceSize@64, state@72, wavesCount@76, reserved@80).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct cublasLtMatmulHeuristicResult_t
{
    /// <summary>The configured algorithm, to pass to <see cref="CublasLt.cublasLtMatmul"/>.</summary>
    public cublasLtMatmulAlgo_t algo;
    /// <summary>Workspace bytes the algorithm needs.</summary>
    public nuint workspaceSize;
    /// <summary>Success, or why this entry is unusable; the other fields are valid only on success.</summary>
    public cublasStatus_t state;
    /// <summary>Device utilisation estimate; 1.0 fills the GPU once.</summary>
    public float wavesCount;
    /// <summary>Reserved.</summary>
    public fixed int reserved[4];
}

/// <summary>
/// <c>cublasLtMatmulDescAttributes_t</c>: attributes of a matmul descriptor. The value types are the header's: the
/// *_TYPE and TRANS* attributes are int32, EPILOGUE is uint32, pointers are 8 bytes, strides and AUX_LD are int64,
/// FAST_ACCUM is int8.
/// </summary>
public enum cublasLtMatmulDescAttributes_t
{
    /// <summary>Compute type (int32, cublasComputeType_t); set at creation.</summary>
    CUBLASLT_MATMUL_DESC_COMPUTE_TYPE = 0,
    /// <summary>Type of alpha and beta (int32, cudaDataType_t).</summary>
    CUBLASLT_MATMUL_DESC_SCALE_TYPE = 1,
    /// <summary>Where alpha and beta live (int32, cublasLtPointerMode_t).</summary>
    CUBLASLT_MATMUL_DESC_POINTER_MODE = 2,
    /// <summary>op(A) (int32, cublasOperation_t), default N.</summary>
    CUBLASLT_MATMUL_DESC_TRANSA = 3,
    /// <summary>op(B) (int32, cublasOperation_t), default N.</summary>
    CUBLASLT_MATMUL_DESC_TRANSB = 4,
    /// <summary>op(C) (int32); only N is supported.</summary>
    CUBLASLT_MATMUL_DESC_TRANSC = 5,
    /// <summary>Fill mode (int32, cublasFillMode_t), default FULL.</summary>
    CUBLASLT_MATMUL_DESC_FILL_MODE = 6,
    /// <summary>Epilogue (uint32, cublasLtEpilogue_t), default DEFAULT.</summary>
    CUBLASLT_MATMUL_DESC_EPILOGUE = 7,
    /// <summary>Bias (forward) or bias-gradient (BGRAD epilogues) device pointer; length = rows of D.</summary>
    CUBLASLT_MATMUL_DESC_BIAS_POINTER = 8,
    /// <summary>Batch stride of the bias vector (int64).</summary>
    CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE = 10,
    /// <summary>Epilogue auxiliary buffer (ReLU bit-mask or GELU input) device pointer.</summary>
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER = 11,
    /// <summary>Leading dimension of the auxiliary buffer (int64).</summary>
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD = 12,
    /// <summary>Batch stride of the auxiliary buffer (int64).</summary>
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_BATCH_STRIDE = 13,
    /// <summary>Batch stride of a device alpha vector (int64).</summary>
    CUBLASLT_MATMUL_DESC_ALPHA_VECTOR_BATCH_STRIDE = 14,
    /// <summary>Number of SMs the heuristics should plan for (int32), 0 = all.</summary>
    CUBLASLT_MATMUL_DESC_SM_COUNT_TARGET = 15,
    /// <summary>Device pointer to A's scale factor (FP8/FP4).</summary>
    CUBLASLT_MATMUL_DESC_A_SCALE_POINTER = 17,
    /// <summary>Device pointer to B's scale factor.</summary>
    CUBLASLT_MATMUL_DESC_B_SCALE_POINTER = 18,
    /// <summary>Device pointer to C's scale factor.</summary>
    CUBLASLT_MATMUL_DESC_C_SCALE_POINTER = 19,
    /// <summary>Device pointer to D's scale factor.</summary>
    CUBLASLT_MATMUL_DESC_D_SCALE_POINTER = 20,
    /// <summary>Device pointer that receives max |D|.</summary>
    CUBLASLT_MATMUL_DESC_AMAX_D_POINTER = 21,
    /// <summary>Type of the auxiliary buffer (int32, cudaDataType_t), default -1 (follows D).</summary>
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_DATA_TYPE = 22,
    /// <summary>Device pointer to the auxiliary buffer's scale factor.</summary>
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_SCALE_POINTER = 23,
    /// <summary>Device pointer that receives max |aux|.</summary>
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_AMAX_POINTER = 24,
    /// <summary>FP8 fast accumulation (int8), default 0.</summary>
    CUBLASLT_MATMUL_DESC_FAST_ACCUM = 25,
    /// <summary>Type of the bias vector (int32, cudaDataType_t), default -1 (follows D).</summary>
    CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE = 26,
    /// <summary>Experimental atomic-sync chunks in D's rows (int32); cuBLAS 12.x only, gone in 13.0.</summary>
    CUBLASLT_MATMUL_DESC_ATOMIC_SYNC_NUM_CHUNKS_D_ROWS = 27,
    /// <summary>Experimental atomic-sync chunks in D's columns (int32); cuBLAS 12.x only, gone in 13.0.</summary>
    CUBLASLT_MATMUL_DESC_ATOMIC_SYNC_NUM_CHUNKS_D_COLS = 28,
    /// <summary>Experimental input atomic counters (int32*); cuBLAS 12.x only, gone in 13.0.</summary>
    CUBLASLT_MATMUL_DESC_ATOMIC_SYNC_IN_COUNTERS_POINTER = 29,
    /// <summary>Experimental output atomic counters (int32*); cuBLAS 12.x only, gone in 13.0.</summary>
    CUBLASLT_MATMUL_DESC_ATOMIC_SYNC_OUT_COUNTERS_POINTER = 30,
    /// <summary>How A's scale is read (int32, cublasLtMatmulMatrixScale_t), cuBLAS 12.8+.</summary>
    CUBLASLT_MATMUL_DESC_A_SCALE_MODE = 31,
    /// <summary>How B's scale is read (int32), cuBLAS 12.8+.</summary>
    CUBLASLT_MATMUL_DESC_B_SCALE_MODE = 32,
    /// <summary>How C's scale is read (int32), cuBLAS 12.8+.</summary>
    CUBLASLT_MATMUL_DESC_C_SCALE_MODE = 33,
    /// <summary>How D's scale is read (int32), cuBLAS 12.8+.</summary>
    CUBLASLT_MATMUL_DESC_D_SCALE_MODE = 34,
    /// <summary>How the auxiliary buffer's scale is read (int32), cuBLAS 12.8+.</summary>
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_SCALE_MODE = 35,
    /// <summary>Device pointer that receives D's output scale factors, cuBLAS 12.8+.</summary>
    CUBLASLT_MATMUL_DESC_D_OUT_SCALE_POINTER = 36,
    /// <summary>How D's output scale is written (int32), cuBLAS 12.8+.</summary>
    CUBLASLT_MATMUL_DESC_D_OUT_SCALE_MODE = 37,
}

/// <summary>
/// <c>cublasLtEpilogue_t</c>: what happens to the GEMM result before it is stored. Bits: 2 ReLU, 4 bias, 8 ReLU
/// gradient, 16 bias gradient, 32 GELU, 64 GELU gradient, 128 auxiliary buffer, 256/512 bias gradient of A/B.
/// </summary>
public enum cublasLtEpilogue_t
{
    /// <summary>Scale (and quantise) only.</summary>
    CUBLASLT_EPILOGUE_DEFAULT = 1,
    /// <summary>max(x, 0).</summary>
    CUBLASLT_EPILOGUE_RELU = 2,
    /// <summary>ReLU, also writing the ReLU bit-mask to the auxiliary buffer.</summary>
    CUBLASLT_EPILOGUE_RELU_AUX = 2 | 128,
    /// <summary>Adds the bias vector (broadcast over columns).</summary>
    CUBLASLT_EPILOGUE_BIAS = 4,
    /// <summary>Bias, then ReLU.</summary>
    CUBLASLT_EPILOGUE_RELU_BIAS = 2 | 4,
    /// <summary>Bias, then ReLU, writing the bit-mask to the auxiliary buffer.</summary>
    CUBLASLT_EPILOGUE_RELU_AUX_BIAS = 2 | 128 | 4,
    /// <summary>Multiplies by the ReLU gradient read from the auxiliary bit-mask.</summary>
    CUBLASLT_EPILOGUE_DRELU = 8 | 128,
    /// <summary>ReLU gradient, also writing the bias gradient to BIAS_POINTER.</summary>
    CUBLASLT_EPILOGUE_DRELU_BGRAD = 8 | 128 | 16,
    /// <summary>GELU.</summary>
    CUBLASLT_EPILOGUE_GELU = 32,
    /// <summary>GELU, writing its input to the auxiliary buffer.</summary>
    CUBLASLT_EPILOGUE_GELU_AUX = 32 | 128,
    /// <summary>Bias, then GELU.</summary>
    CUBLASLT_EPILOGUE_GELU_BIAS = 32 | 4,
    /// <summary>Bias, then GELU, writing the GELU input to the auxiliary buffer.</summary>
    CUBLASLT_EPILOGUE_GELU_AUX_BIAS = 32 | 128 | 4,
    /// <summary>Multiplies by the GELU gradient of the auxiliary input.</summary>
    CUBLASLT_EPILOGUE_DGELU = 64 | 128,
    /// <summary>GELU gradient, also writing the bias gradient.</summary>
    CUBLASLT_EPILOGUE_DGELU_BGRAD = 64 | 128 | 16,
    /// <summary>Bias gradient from A (sum over k; length = rows of D) to BIAS_POINTER.</summary>
    CUBLASLT_EPILOGUE_BGRADA = 256,
    /// <summary>Bias gradient from B (sum over k; length = columns of D) to BIAS_POINTER.</summary>
    CUBLASLT_EPILOGUE_BGRADB = 512,
}

/// <summary><c>cublasLtMatrixLayoutAttribute_t</c>: attributes of a matrix layout.</summary>
public enum cublasLtMatrixLayoutAttribute_t
{
    /// <summary>Element type (uint32, cudaDataType_t).</summary>
    CUBLASLT_MATRIX_LAYOUT_TYPE = 0,
    /// <summary>Memory order (int32, cublasLtOrder_t), default column-major.</summary>
    CUBLASLT_MATRIX_LAYOUT_ORDER = 1,
    /// <summary>Rows (uint64).</summary>
    CUBLASLT_MATRIX_LAYOUT_ROWS = 2,
    /// <summary>Columns (uint64).</summary>
    CUBLASLT_MATRIX_LAYOUT_COLS = 3,
    /// <summary>Leading dimension in elements (int64).</summary>
    CUBLASLT_MATRIX_LAYOUT_LD = 4,
    /// <summary>Number of matrices in a batch (int32), default 1.</summary>
    CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT = 5,
    /// <summary>Elements from one matrix of the batch to the next (int64).</summary>
    CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET = 6,
    /// <summary>Bytes to the imaginary plane of a planar complex matrix (int64).</summary>
    CUBLASLT_MATRIX_LAYOUT_PLANE_OFFSET = 7,
    /// <summary>Batch mode (int32: 0 strided, 1 pointer array); newer cuBLASLt only (present in 13.x).</summary>
    CUBLASLT_MATRIX_LAYOUT_BATCH_MODE = 8,
}

/// <summary><c>cublasLtMatmulPreferenceAttributes_t</c>: limits on the heuristic's search.</summary>
public enum cublasLtMatmulPreferenceAttributes_t
{
    /// <summary>Search mode (uint32).</summary>
    CUBLASLT_MATMUL_PREF_SEARCH_MODE = 0,
    /// <summary>Largest workspace an algorithm may need (uint64), default 0.</summary>
    CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1,
    /// <summary>Allowed split-K reduction schemes (uint32 mask).</summary>
    CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK = 3,
    /// <summary>Guaranteed alignment of A in bytes (uint32), default 256.</summary>
    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES = 5,
    /// <summary>Guaranteed alignment of B in bytes (uint32), default 256.</summary>
    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES = 6,
    /// <summary>Guaranteed alignment of C in bytes (uint32), default 256.</summary>
    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES = 7,
    /// <summary>Guaranteed alignment of D in bytes (uint32), default 256.</summary>
    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES = 8,
    /// <summary>Largest wave count allowed (float), 0 = any.</summary>
    CUBLASLT_MATMUL_PREF_MAX_WAVES_COUNT = 9,
    /// <summary>Allowed numerical implementations (uint64 mask of CUBLASLT_NUMERICAL_IMPL_FLAGS_*).</summary>
    CUBLASLT_MATMUL_PREF_IMPL_MASK = 12,
}

/// <summary><c>cublasLtOrder_t</c>: memory order of a matrix layout.</summary>
public enum cublasLtOrder_t
{
    /// <summary>Column-major; LD is the stride between columns.</summary>
    CUBLASLT_ORDER_COL = 0,
    /// <summary>Row-major; LD is the stride between rows.</summary>
    CUBLASLT_ORDER_ROW = 1,
    /// <summary>Column-major tiles of 32 columns (IMMA).</summary>
    CUBLASLT_ORDER_COL32 = 2,
    /// <summary>Composite 32x8 tiles (Turing/Ampere IMMA).</summary>
    CUBLASLT_ORDER_COL4_4R2_8C = 3,
    /// <summary>Composite 32x32 tiles (Ampere IMMA).</summary>
    CUBLASLT_ORDER_COL32_2R_4R4 = 4,
}

/// <summary><c>cublasLtPointerMode_t</c>: where a matmul's alpha and beta live.</summary>
public enum cublasLtPointerMode_t
{
    /// <summary>One value each in host memory.</summary>
    CUBLASLT_POINTER_MODE_HOST = 0,
    /// <summary>One value each in device memory.</summary>
    CUBLASLT_POINTER_MODE_DEVICE = 1,
    /// <summary>Device vectors, one value per row of D.</summary>
    CUBLASLT_POINTER_MODE_DEVICE_VECTOR = 2,
    /// <summary>Device alpha vector, beta zero.</summary>
    CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_ZERO = 3,
    /// <summary>Device alpha vector, beta one host value.</summary>
    CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_HOST = 4,
}
