using System.Runtime.InteropServices;

namespace NativeNets.Native;

/// <summary>
/// <c>cudnnStatus_t</c> of cuDNN 9 (cudnn_graph.h). cuDNN 9 renumbered the codes into categories: 0 success,
/// 1xxx initialisation/version, 2xxx bad parameter, 3xxx not supported, 4xxx internal error, 5xxx execution failed.
/// The deprecated aliases (ALLOC_FAILED, ARCH_MISMATCH, ...) share values with the codes below, so they live as
/// constants on <see cref="Cudnn"/> instead: an enum with two names for one value prints either.
/// </summary>
public enum cudnnStatus_t
{
    /// <summary>The call succeeded.</summary>
    CUDNN_STATUS_SUCCESS = 0,
    /// <summary>cuDNN was not initialised (no handle, or the CUDA runtime failed).</summary>
    CUDNN_STATUS_NOT_INITIALIZED = 1001,
    /// <summary>The cuDNN sub-libraries (graph, ops, cnn, ...) are of different versions.</summary>
    CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH = 1002,
    /// <summary>A serialised plan came from another version.</summary>
    CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH = 1003,
    /// <summary>A deprecated feature was used in a mode that forbids it.</summary>
    CUDNN_STATUS_DEPRECATED = 1004,
    /// <summary>A licensing check failed.</summary>
    CUDNN_STATUS_LICENSE_ERROR = 1005,
    /// <summary>A runtime query found work still in progress.</summary>
    CUDNN_STATUS_RUNTIME_IN_PROGRESS = 1006,
    /// <summary>A floating-point overflow was detected at run time.</summary>
    CUDNN_STATUS_RUNTIME_FP_OVERFLOW = 1007,
    /// <summary>A sub-library (libcudnn_ops, libcudnn_cnn, ...) could not be loaded (9.2+).</summary>
    CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED = 1008,
    /// <summary>A parameter was invalid.</summary>
    CUDNN_STATUS_BAD_PARAM = 2000,
    /// <summary>Deprecated: a value was invalid (use BAD_PARAM).</summary>
    CUDNN_STATUS_INVALID_VALUE = 2001,
    /// <summary>A required pointer was null.</summary>
    CUDNN_STATUS_BAD_PARAM_NULL_POINTER = 2002,
    /// <summary>A pointer was not aligned enough.</summary>
    CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER = 2003,
    /// <summary>A backend descriptor was not finalised.</summary>
    CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED = 2004,
    /// <summary>A value was out of bounds.</summary>
    CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND = 2005,
    /// <summary>A buffer (workspace, reserve space, array) was too small.</summary>
    CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT = 2006,
    /// <summary>Streams did not match.</summary>
    CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH = 2007,
    /// <summary>Tensor shapes did not match.</summary>
    CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH = 2008,
    /// <summary>An entry was given twice.</summary>
    CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES = 2009,
    /// <summary>An attribute had the wrong type.</summary>
    CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE = 2010,
    /// <summary>A CUDA graph did not match (9.5+).</summary>
    CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH = 2011,
    /// <summary>A descriptor had the wrong type (9.6+).</summary>
    CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE = 2012,
    /// <summary>The configuration is not supported.</summary>
    CUDNN_STATUS_NOT_SUPPORTED = 3000,
    /// <summary>The operation graph pattern is not supported.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN = 3001,
    /// <summary>The shape is not supported.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_SHAPE = 3002,
    /// <summary>The data type is not supported.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE = 3003,
    /// <summary>The layout is not supported.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_LAYOUT = 3004,
    /// <summary>The CUDA driver is too old for this cuDNN.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER = 3005,
    /// <summary>The CUDA runtime is incompatible.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART = 3006,
    /// <summary>The GPU architecture is not supported.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH = 3007,
    /// <summary>A runtime prerequisite (for example NVRTC) is missing.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING = 3008,
    /// <summary>The sub-library that implements this is not available.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE = 3009,
    /// <summary>Not enough shared memory.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT = 3010,
    /// <summary>The padding is not supported.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_PADDING = 3011,
    /// <summary>The launch parameters are not supported.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM = 3012,
    /// <summary>The native CUDA graph API is not supported for this (9.5+).</summary>
    CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API = 3013,
    /// <summary>Invalid dynamic shape (9.18+; never returned by 9.14).</summary>
    CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE = 3014,
    /// <summary>An internal error.</summary>
    CUDNN_STATUS_INTERNAL_ERROR = 4000,
    /// <summary>Runtime kernel compilation failed.</summary>
    CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED = 4001,
    /// <summary>An unexpected internal value.</summary>
    CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE = 4002,
    /// <summary>A host allocation failed (the old ALLOC_FAILED).</summary>
    CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED = 4003,
    /// <summary>A device allocation failed.</summary>
    CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED = 4004,
    /// <summary>Bad internal launch parameters.</summary>
    CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM = 4005,
    /// <summary>Texture creation failed (the old MAPPING_ERROR).</summary>
    CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED = 4006,
    /// <summary>A kernel failed to run.</summary>
    CUDNN_STATUS_EXECUTION_FAILED = 5000,
    /// <summary>A CUDA driver call failed.</summary>
    CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER = 5001,
    /// <summary>A cuBLAS call inside cuDNN failed.</summary>
    CUDNN_STATUS_EXECUTION_FAILED_CUBLAS = 5002,
    /// <summary>A CUDA runtime call failed.</summary>
    CUDNN_STATUS_EXECUTION_FAILED_CUDART = 5003,
    /// <summary>A cuRAND call failed.</summary>
    CUDNN_STATUS_EXECUTION_FAILED_CURAND = 5004,
}

/// <summary><c>cudnnDataType_t</c>: element type of tensors, filters and descriptors' compute types.</summary>
public enum cudnnDataType_t
{
    /// <summary>float32.</summary>
    CUDNN_DATA_FLOAT = 0,
    /// <summary>float64.</summary>
    CUDNN_DATA_DOUBLE = 1,
    /// <summary>float16.</summary>
    CUDNN_DATA_HALF = 2,
    /// <summary>int8.</summary>
    CUDNN_DATA_INT8 = 3,
    /// <summary>int32.</summary>
    CUDNN_DATA_INT32 = 4,
    /// <summary>Deprecated: 4 packed int8.</summary>
    CUDNN_DATA_INT8x4 = 5,
    /// <summary>uint8.</summary>
    CUDNN_DATA_UINT8 = 6,
    /// <summary>Deprecated: 4 packed uint8.</summary>
    CUDNN_DATA_UINT8x4 = 7,
    /// <summary>Deprecated: 32 packed int8.</summary>
    CUDNN_DATA_INT8x32 = 8,
    /// <summary>bfloat16.</summary>
    CUDNN_DATA_BFLOAT16 = 9,
    /// <summary>int64.</summary>
    CUDNN_DATA_INT64 = 10,
    /// <summary>Boolean.</summary>
    CUDNN_DATA_BOOLEAN = 11,
    /// <summary>FP8 E4M3.</summary>
    CUDNN_DATA_FP8_E4M3 = 12,
    /// <summary>FP8 E5M2.</summary>
    CUDNN_DATA_FP8_E5M2 = 13,
    /// <summary>Fast float accumulator for FP8 paths.</summary>
    CUDNN_DATA_FAST_FLOAT_FOR_FP8 = 14,
    /// <summary>FP8 E8M0 block-scale type (9.7+).</summary>
    CUDNN_DATA_FP8_E8M0 = 15,
    /// <summary>FP4 E2M1 (9.7+).</summary>
    CUDNN_DATA_FP4_E2M1 = 16,
    /// <summary>int4 (9.11+).</summary>
    CUDNN_DATA_INT4 = 17,
    /// <summary>uint4 (9.11+).</summary>
    CUDNN_DATA_UINT4 = 18,
    /// <summary>uint32 (9.11+).</summary>
    CUDNN_DATA_UINT32 = 19,
    /// <summary>Complex float32 (9.14+).</summary>
    CUDNN_DATA_COMPLEX_FP32 = 20,
    /// <summary>Complex float64 (9.14+).</summary>
    CUDNN_DATA_COMPLEX_FP64 = 21,
}

/// <summary><c>cudnnTensorFormat_t</c>: memory layout named by the 4-d setters.</summary>
public enum cudnnTensorFormat_t
{
    /// <summary>N, C, H, W from slowest to fastest.</summary>
    CUDNN_TENSOR_NCHW = 0,
    /// <summary>Channels innermost (cStride = 1): the tensor-core friendly layout.</summary>
    CUDNN_TENSOR_NHWC = 1,
    /// <summary>NCHW with C split into vectors of the data type's vector length.</summary>
    CUDNN_TENSOR_NCHW_VECT_C = 2,
}

/// <summary><c>cudnnMathType_t</c>: whether a convolution may use tensor cores and down-conversion.</summary>
public enum cudnnMathType_t
{
    /// <summary>Tensor cores only where the data types allow without conversion (the default).</summary>
    CUDNN_DEFAULT_MATH = 0,
    /// <summary>Tensor cores allowed.</summary>
    CUDNN_TENSOR_OP_MATH = 1,
    /// <summary>Tensor cores allowed, converting float32 inputs down where needed.</summary>
    CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION = 2,
    /// <summary>FMA only, no tensor cores: reproducible float32.</summary>
    CUDNN_FMA_MATH = 3,
}

/// <summary><c>cudnnNanPropagation_t</c>: whether max-pooling, ReLU and friends propagate NaN.</summary>
public enum cudnnNanPropagation_t
{
    /// <summary>NaN inputs are not propagated.</summary>
    CUDNN_NOT_PROPAGATE_NAN = 0,
    /// <summary>NaN inputs are propagated.</summary>
    CUDNN_PROPAGATE_NAN = 1,
}

/// <summary><c>cudnnDeterminism_t</c>: whether an algorithm gives bit-identical results run to run.</summary>
public enum cudnnDeterminism_t
{
    /// <summary>Results may vary (atomics).</summary>
    CUDNN_NON_DETERMINISTIC = 0,
    /// <summary>Results are reproducible.</summary>
    CUDNN_DETERMINISTIC = 1,
}

/// <summary><c>cudnnConvolutionMode_t</c>: true convolution (flipped filter) or cross-correlation (what frameworks call convolution).</summary>
public enum cudnnConvolutionMode_t
{
    /// <summary>Filter flipped.</summary>
    CUDNN_CONVOLUTION = 0,
    /// <summary>Filter as is: PyTorch's and Caffe's convolution.</summary>
    CUDNN_CROSS_CORRELATION = 1,
}

/// <summary><c>cudnnConvolutionFwdAlgo_t</c>: forward convolution algorithms.</summary>
public enum cudnnConvolutionFwdAlgo_t
{
    /// <summary>Implicit GEMM, no workspace.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM = 0,
    /// <summary>Implicit GEMM with precomputed indices.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM = 1,
    /// <summary>Explicit im2col + GEMM.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_GEMM = 2,
    /// <summary>Direct convolution.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_DIRECT = 3,
    /// <summary>FFT.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_FFT = 4,
    /// <summary>Tiled FFT.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING = 5,
    /// <summary>Winograd (3x3).</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD = 6,
    /// <summary>Non-fused Winograd.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED = 7,
    /// <summary>Number of algorithms.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_COUNT = 8,
}

/// <summary><c>cudnnConvolutionBwdDataAlgo_t</c>: algorithms for the gradient with respect to the input.</summary>
public enum cudnnConvolutionBwdDataAlgo_t
{
    /// <summary>Algorithm 0 (non-deterministic).</summary>
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_0 = 0,
    /// <summary>Algorithm 1.</summary>
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_1 = 1,
    /// <summary>FFT.</summary>
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT = 2,
    /// <summary>Tiled FFT.</summary>
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING = 3,
    /// <summary>Winograd.</summary>
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD = 4,
    /// <summary>Non-fused Winograd.</summary>
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED = 5,
    /// <summary>Number of algorithms.</summary>
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT = 6,
}

/// <summary><c>cudnnConvolutionBwdFilterAlgo_t</c>: algorithms for the gradient with respect to the filter.</summary>
public enum cudnnConvolutionBwdFilterAlgo_t
{
    /// <summary>Algorithm 0 (non-deterministic).</summary>
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0 = 0,
    /// <summary>Algorithm 1.</summary>
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1 = 1,
    /// <summary>FFT.</summary>
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT = 2,
    /// <summary>Algorithm 3 (non-deterministic).</summary>
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3 = 3,
    /// <summary>Winograd (not implemented).</summary>
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD = 4,
    /// <summary>Non-fused Winograd.</summary>
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED = 5,
    /// <summary>Tiled FFT.</summary>
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING = 6,
    /// <summary>Number of algorithms.</summary>
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT = 7,
}

/// <summary><c>cudnnPoolingMode_t</c>: pooling kinds.</summary>
public enum cudnnPoolingMode_t
{
    /// <summary>Max pooling (backward may be non-deterministic on ties).</summary>
    CUDNN_POOLING_MAX = 0,
    /// <summary>Average, padded values counted in the divisor.</summary>
    CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING = 1,
    /// <summary>Average, padded values not counted.</summary>
    CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING = 2,
    /// <summary>Max pooling with a deterministic backward.</summary>
    CUDNN_POOLING_MAX_DETERMINISTIC = 3,
}

/// <summary><c>cudnnLRNMode_t</c>: local response normalisation modes.</summary>
public enum cudnnLRNMode_t
{
    /// <summary>Across channels (dimension 1), as in AlexNet.</summary>
    CUDNN_LRN_CROSS_CHANNEL_DIM1 = 0,
}

/// <summary><c>cudnnActivationMode_t</c>: activation functions of the activation descriptor.</summary>
public enum cudnnActivationMode_t
{
    /// <summary>1 / (1 + e^-x).</summary>
    CUDNN_ACTIVATION_SIGMOID = 0,
    /// <summary>max(x, 0).</summary>
    CUDNN_ACTIVATION_RELU = 1,
    /// <summary>tanh(x).</summary>
    CUDNN_ACTIVATION_TANH = 2,
    /// <summary>min(max(x, 0), coef).</summary>
    CUDNN_ACTIVATION_CLIPPED_RELU = 3,
    /// <summary>ELU with alpha = coef.</summary>
    CUDNN_ACTIVATION_ELU = 4,
    /// <summary>Identity: only valid with cudnnConvolutionBiasActivationForward (and IMPLICIT_PRECOMP_GEMM).</summary>
    CUDNN_ACTIVATION_IDENTITY = 5,
    /// <summary>x sigmoid(beta x).</summary>
    CUDNN_ACTIVATION_SWISH = 6,
}

/// <summary><c>cudnnBatchNormMode_t</c>: what batch normalisation averages over.</summary>
public enum cudnnBatchNormMode_t
{
    /// <summary>One mean/variance per C,H,W position, over N (after fully connected layers).</summary>
    CUDNN_BATCHNORM_PER_ACTIVATION = 0,
    /// <summary>One mean/variance per channel, over N,H,W (after convolutions).</summary>
    CUDNN_BATCHNORM_SPATIAL = 1,
    /// <summary>Spatial, with a faster persistent kernel (NHWC half, some value range limits).</summary>
    CUDNN_BATCHNORM_SPATIAL_PERSISTENT = 2,
}

/// <summary><c>cudnnBatchNormOps_t</c>: what the Ex batch-norm calls fuse after normalising.</summary>
public enum cudnnBatchNormOps_t
{
    /// <summary>Batch normalisation only.</summary>
    CUDNN_BATCHNORM_OPS_BN = 0,
    /// <summary>Batch normalisation, then the activation.</summary>
    CUDNN_BATCHNORM_OPS_BN_ACTIVATION = 1,
    /// <summary>Batch normalisation, add z, then the activation.</summary>
    CUDNN_BATCHNORM_OPS_BN_ADD_ACTIVATION = 2,
}

/// <summary><c>cudnnSoftmaxAlgorithm_t</c>: how softmax is computed.</summary>
public enum cudnnSoftmaxAlgorithm_t
{
    /// <summary>Straightforward (may overflow).</summary>
    CUDNN_SOFTMAX_FAST = 0,
    /// <summary>Subtracts the max first.</summary>
    CUDNN_SOFTMAX_ACCURATE = 1,
    /// <summary>Log-softmax.</summary>
    CUDNN_SOFTMAX_LOG = 2,
}

/// <summary><c>cudnnSoftmaxMode_t</c>: what softmax normalises over.</summary>
public enum cudnnSoftmaxMode_t
{
    /// <summary>Over C,H,W for each N.</summary>
    CUDNN_SOFTMAX_MODE_INSTANCE = 0,
    /// <summary>Over C for each N,H,W.</summary>
    CUDNN_SOFTMAX_MODE_CHANNEL = 1,
}

/// <summary><c>cudnnOpTensorOp_t</c>: the element-wise operation of cudnnOpTensor.</summary>
public enum cudnnOpTensorOp_t
{
    /// <summary>a + b.</summary>
    CUDNN_OP_TENSOR_ADD = 0,
    /// <summary>a * b.</summary>
    CUDNN_OP_TENSOR_MUL = 1,
    /// <summary>min(a, b).</summary>
    CUDNN_OP_TENSOR_MIN = 2,
    /// <summary>max(a, b).</summary>
    CUDNN_OP_TENSOR_MAX = 3,
    /// <summary>sqrt(a) (B ignored).</summary>
    CUDNN_OP_TENSOR_SQRT = 4,
    /// <summary>1 - a (B ignored).</summary>
    CUDNN_OP_TENSOR_NOT = 5,
}

/// <summary><c>cudnnErrQueryMode_t</c>: modes of the deprecated cudnnQueryRuntimeError.</summary>
public enum cudnnErrQueryMode_t
{
    /// <summary>Read the raw code.</summary>
    CUDNN_ERRQUERY_RAWCODE = 0,
    /// <summary>Non-blocking query.</summary>
    CUDNN_ERRQUERY_NONBLOCKING = 1,
    /// <summary>Blocking query.</summary>
    CUDNN_ERRQUERY_BLOCKING = 2,
}

/// <summary>
/// <c>cudnnConvolutionFwdAlgoPerf_t</c> (cudnn_cnn.h): one algorithm's result from Find/Get. 48 bytes on 64-bit:
/// algo@0, status@4, time@8, memory@16, determinism@24, mathType@28, reserved[3]@32 (measured on the GPU host).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct cudnnConvolutionFwdAlgoPerf_t
{
    /// <summary>The algorithm.</summary>
    public cudnnConvolutionFwdAlgo_t algo;
    /// <summary>Success, or why this algorithm cannot run (the other fields are then meaningless).</summary>
    public cudnnStatus_t status;
    /// <summary>Measured (Find) or estimated (Get, -1) milliseconds.</summary>
    public float time;
    /// <summary>Workspace bytes it needs.</summary>
    public nuint memory;
    /// <summary>Whether it is reproducible.</summary>
    public cudnnDeterminism_t determinism;
    /// <summary>The math type it was timed with; set it on the convolution descriptor before running it.</summary>
    public cudnnMathType_t mathType;
    /// <summary>Reserved.</summary>
    public fixed int reserved[3];
}

/// <summary><c>cudnnConvolutionBwdDataAlgoPerf_t</c>: as <see cref="cudnnConvolutionFwdAlgoPerf_t"/> for the data gradient (48 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct cudnnConvolutionBwdDataAlgoPerf_t
{
    /// <summary>The algorithm.</summary>
    public cudnnConvolutionBwdDataAlgo_t algo;
    /// <summary>Success, or why this algorithm cannot run.</summary>
    public cudnnStatus_t status;
    /// <summary>Measured or estimated milliseconds.</summary>
    public float time;
    /// <summary>Workspace bytes it needs.</summary>
    public nuint memory;
    /// <summary>Whether it is reproducible.</summary>
    public cudnnDeterminism_t determinism;
    /// <summary>The math type it was timed with.</summary>
    public cudnnMathType_t mathType;
    /// <summary>Reserved.</summary>
    public fixed int reserved[3];
}

/// <summary><c>cudnnConvolutionBwdFilterAlgoPerf_t</c>: as <see cref="cudnnConvolutionFwdAlgoPerf_t"/> for the filter gradient (48 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct cudnnConvolutionBwdFilterAlgoPerf_t
{
    /// <summary>The algorithm.</summary>
    public cudnnConvolutionBwdFilterAlgo_t algo;
    /// <summary>Success, or why this algorithm cannot run.</summary>
    public cudnnStatus_t status;
    /// <summary>Measured or estimated milliseconds.</summary>
    public float time;
    /// <summary>Workspace bytes it needs.</summary>
    public nuint memory;
    /// <summary>Whether it is reproducible.</summary>
    public cudnnDeterminism_t determinism;
    /// <summary>The math type it was timed with.</summary>
    public cudnnMathType_t mathType;
    /// <summary>Reserved.</summary>
    public fixed int reserved[3];
}
