using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NativeNets.Native;
using Xunit;

namespace NativeNets.Tests.Native;

/// <summary>
/// What can be checked of the cuBLAS, cuBLASLt and cuDNN bindings without a GPU: struct layouts against the
/// headers (and, for the cuDNN perf struct, against the size measured on the GPU host), enum values against the
/// headers, and that a failed status becomes an exception naming the call, with or without the library present.
/// </summary>
public class LibraryBindingTests
{
    [Fact]
    public unsafe void ConvolutionPerfStructsMatchTheHeaderLayout()
    {
        // cudnn_cnn.h: { algo; status; float time; size_t memory; determinism; mathType; int reserved[3]; }, 48 bytes.
        Assert.Equal(48, sizeof(cudnnConvolutionFwdAlgoPerf_t));
        Assert.Equal(48, sizeof(cudnnConvolutionBwdDataAlgoPerf_t));
        Assert.Equal(48, sizeof(cudnnConvolutionBwdFilterAlgoPerf_t));
        Assert.Equal(48, Marshal.SizeOf<cudnnConvolutionFwdAlgoPerf_t>());
        Assert.Equal(48, Unsafe.SizeOf<cudnnConvolutionBwdDataAlgoPerf_t>());

        AssertPerfOffsets<cudnnConvolutionFwdAlgoPerf_t>();
        AssertPerfOffsets<cudnnConvolutionBwdDataAlgoPerf_t>();
        AssertPerfOffsets<cudnnConvolutionBwdFilterAlgoPerf_t>();
    }

    private static void AssertPerfOffsets<T>() where T : unmanaged
    {
        Assert.Equal(0, (int)Marshal.OffsetOf<T>("algo"));
        Assert.Equal(4, (int)Marshal.OffsetOf<T>("status"));
        Assert.Equal(8, (int)Marshal.OffsetOf<T>("time"));
        Assert.Equal(16, (int)Marshal.OffsetOf<T>("memory"));
        Assert.Equal(24, (int)Marshal.OffsetOf<T>("determinism"));
        Assert.Equal(28, (int)Marshal.OffsetOf<T>("mathType"));
        Assert.Equal(32, (int)Marshal.OffsetOf<T>("reserved"));
    }

    [Fact]
    public unsafe void PerfStructFieldsLandWhereCudnnWritesThem()
    {
        // Write through raw offsets as cuDNN would, read back through the fields.
        var perf = default(cudnnConvolutionFwdAlgoPerf_t);
        var bytes = (byte*)&perf;
        *(int*)(bytes + 0) = (int)cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD;
        *(int*)(bytes + 4) = (int)cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED;
        *(float*)(bytes + 8) = 1.5f;
        *(ulong*)(bytes + 16) = 123456789UL;
        *(int*)(bytes + 24) = (int)cudnnDeterminism_t.CUDNN_DETERMINISTIC;
        *(int*)(bytes + 28) = (int)cudnnMathType_t.CUDNN_TENSOR_OP_MATH;
        *(int*)(bytes + 40) = 7;

        Assert.Equal(cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, perf.algo);
        Assert.Equal(cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED, perf.status);
        Assert.Equal(1.5f, perf.time);
        Assert.Equal((nuint)123456789UL, perf.memory);
        Assert.Equal(cudnnDeterminism_t.CUDNN_DETERMINISTIC, perf.determinism);
        Assert.Equal(cudnnMathType_t.CUDNN_TENSOR_OP_MATH, perf.mathType);
        Assert.Equal(7, perf.reserved[2]);
    }

    [Fact]
    public unsafe void CublasLtStructsMatchTheHeaderLayout()
    {
        // cublasLt.h: cublasLtMatmulAlgo_t is { uint64_t data[8]; }; the heuristic result is
        // { algo; size_t workspaceSize; cublasStatus_t state; float wavesCount; int reserved[4]; }.
        Assert.Equal(64, sizeof(cublasLtMatmulAlgo_t));
        Assert.Equal(96, sizeof(cublasLtMatmulHeuristicResult_t));
        Assert.Equal(96, Marshal.SizeOf<cublasLtMatmulHeuristicResult_t>());
        Assert.Equal(0, (int)Marshal.OffsetOf<cublasLtMatmulHeuristicResult_t>("algo"));
        Assert.Equal(64, (int)Marshal.OffsetOf<cublasLtMatmulHeuristicResult_t>("workspaceSize"));
        Assert.Equal(72, (int)Marshal.OffsetOf<cublasLtMatmulHeuristicResult_t>("state"));
        Assert.Equal(76, (int)Marshal.OffsetOf<cublasLtMatmulHeuristicResult_t>("wavesCount"));
        Assert.Equal(80, (int)Marshal.OffsetOf<cublasLtMatmulHeuristicResult_t>("reserved"));
    }

    [Fact]
    public void CudnnEnumValuesMatchTheHeaders()
    {
        // cuDNN 9 renumbered the status codes by category.
        Assert.Equal(0, (int)cudnnStatus_t.CUDNN_STATUS_SUCCESS);
        Assert.Equal(1001, (int)cudnnStatus_t.CUDNN_STATUS_NOT_INITIALIZED);
        Assert.Equal(2000, (int)cudnnStatus_t.CUDNN_STATUS_BAD_PARAM);
        Assert.Equal(2001, (int)cudnnStatus_t.CUDNN_STATUS_INVALID_VALUE);
        Assert.Equal(3000, (int)cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED);
        Assert.Equal(4000, (int)cudnnStatus_t.CUDNN_STATUS_INTERNAL_ERROR);
        Assert.Equal(5000, (int)cudnnStatus_t.CUDNN_STATUS_EXECUTION_FAILED);
        Assert.Equal(4003, (int)Cudnn.CUDNN_STATUS_ALLOC_FAILED);
        Assert.Equal(3007, (int)Cudnn.CUDNN_STATUS_ARCH_MISMATCH);

        Assert.Equal(0, (int)cudnnDataType_t.CUDNN_DATA_FLOAT);
        Assert.Equal(2, (int)cudnnDataType_t.CUDNN_DATA_HALF);
        Assert.Equal(9, (int)cudnnDataType_t.CUDNN_DATA_BFLOAT16);
        Assert.Equal(1, (int)cudnnTensorFormat_t.CUDNN_TENSOR_NHWC);
        Assert.Equal(2, (int)cudnnTensorFormat_t.CUDNN_TENSOR_NCHW_VECT_C);
        Assert.Equal(1, (int)cudnnConvolutionMode_t.CUDNN_CROSS_CORRELATION);
        Assert.Equal(8, (int)cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
        Assert.Equal(6, (int)cudnnConvolutionBwdDataAlgo_t.CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT);
        Assert.Equal(7, (int)cudnnConvolutionBwdFilterAlgo_t.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT);
        Assert.Equal(3, (int)cudnnMathType_t.CUDNN_FMA_MATH);
        Assert.Equal(3, (int)cudnnPoolingMode_t.CUDNN_POOLING_MAX_DETERMINISTIC);
        Assert.Equal(5, (int)cudnnActivationMode_t.CUDNN_ACTIVATION_IDENTITY);
        Assert.Equal(2, (int)cudnnBatchNormMode_t.CUDNN_BATCHNORM_SPATIAL_PERSISTENT);
        Assert.Equal(1, (int)cudnnBatchNormOps_t.CUDNN_BATCHNORM_OPS_BN_ACTIVATION);
        Assert.Equal(2, (int)cudnnSoftmaxAlgorithm_t.CUDNN_SOFTMAX_LOG);
        Assert.Equal(1, (int)cudnnSoftmaxMode_t.CUDNN_SOFTMAX_MODE_CHANNEL);
        Assert.Equal(5, (int)cudnnOpTensorOp_t.CUDNN_OP_TENSOR_NOT);
    }

    [Fact]
    public void CublasEnumValuesMatchTheHeaders()
    {
        Assert.Equal(7, (int)cublasStatus_t.CUBLAS_STATUS_INVALID_VALUE);
        Assert.Equal(15, (int)cublasStatus_t.CUBLAS_STATUS_NOT_SUPPORTED);
        Assert.Equal(1, (int)cublasOperation_t.CUBLAS_OP_T);
        Assert.Equal(68, (int)cublasComputeType_t.CUBLAS_COMPUTE_32F);
        Assert.Equal(77, (int)cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32);
        Assert.Equal(70, (int)cublasComputeType_t.CUBLAS_COMPUTE_64F);
        Assert.Equal(-1, (int)cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT);
        Assert.Equal(99, (int)cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT_TENSOR_OP);
        Assert.Equal(3, (int)cublasMath_t.CUBLAS_TF32_TENSOR_OP_MATH);
        Assert.Equal(16, (int)cublasMath_t.CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION);

        // library_types.h
        Assert.Equal(0, (int)cudaDataType_t.CUDA_R_32F);
        Assert.Equal(1, (int)cudaDataType_t.CUDA_R_64F);
        Assert.Equal(2, (int)cudaDataType_t.CUDA_R_16F);
        Assert.Equal(3, (int)cudaDataType_t.CUDA_R_8I);
        Assert.Equal(10, (int)cudaDataType_t.CUDA_R_32I);
        Assert.Equal(14, (int)cudaDataType_t.CUDA_R_16BF);
        Assert.Equal(28, (int)cudaDataType_t.CUDA_R_8F_E4M3);
        Assert.Equal(33, (int)cudaDataType_t.CUDA_R_4F_E2M1);

        // cublasLt.h
        Assert.Equal(3, (int)cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_TRANSA);
        Assert.Equal(4, (int)cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_TRANSB);
        Assert.Equal(7, (int)cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_EPILOGUE);
        Assert.Equal(8, (int)cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_BIAS_POINTER);
        Assert.Equal(26, (int)cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE);
        Assert.Equal(1, (int)cublasLtEpilogue_t.CUBLASLT_EPILOGUE_DEFAULT);
        Assert.Equal(6, (int)cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU_BIAS);
        Assert.Equal(130, (int)cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU_AUX);
        Assert.Equal(136, (int)cublasLtEpilogue_t.CUBLASLT_EPILOGUE_DRELU);
        Assert.Equal(152, (int)cublasLtEpilogue_t.CUBLASLT_EPILOGUE_DRELU_BGRAD);
        Assert.Equal(36, (int)cublasLtEpilogue_t.CUBLASLT_EPILOGUE_GELU_BIAS);
        Assert.Equal(208, (int)cublasLtEpilogue_t.CUBLASLT_EPILOGUE_DGELU_BGRAD);
        Assert.Equal(256, (int)cublasLtEpilogue_t.CUBLASLT_EPILOGUE_BGRADA);
        Assert.Equal(512, (int)cublasLtEpilogue_t.CUBLASLT_EPILOGUE_BGRADB);
        Assert.Equal(1, (int)cublasLtMatmulPreferenceAttributes_t.CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES);
        Assert.Equal(5, (int)cublasLtMatrixLayoutAttribute_t.CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT);
        Assert.Equal(6, (int)cublasLtMatrixLayoutAttribute_t.CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET);
        Assert.Equal(1, (int)cublasLtOrder_t.CUBLASLT_ORDER_ROW);
    }

    private static cudnnStatus_t FailingCudnnCall() => cudnnStatus_t.CUDNN_STATUS_BAD_PARAM;

    private static cublasStatus_t FailingCublasCall() => cublasStatus_t.CUBLAS_STATUS_INVALID_VALUE;

    [Fact]
    public void CudnnCheckNamesTheCallAndTheStatus()
    {
        Cudnn.Check(cudnnStatus_t.CUDNN_STATUS_SUCCESS);

        // Works whether or not libcudnn is installed: without it the text falls back to the status name.
        var e = Assert.Throws<CudnnException>(() => Cudnn.Check(FailingCudnnCall()));
        Assert.Equal("FailingCudnnCall()", e.Call);
        Assert.Equal(cudnnStatus_t.CUDNN_STATUS_BAD_PARAM, e.CudnnStatus);
        Assert.Equal(2000, e.Status);
        Assert.Equal("CUDNN_STATUS_BAD_PARAM", e.StatusName);
        Assert.Equal(NativeLibraries.Cudnn, e.Library);
        Assert.Contains("FailingCudnnCall()", e.Message);
        Assert.Contains("CUDNN_STATUS_BAD_PARAM", e.Message);
        Assert.Contains("LibraryBindingTests.cs", e.Message);
    }

    [Fact]
    public void CublasCheckNamesTheCallAndTheStatus()
    {
        Cublas.Check(cublasStatus_t.CUBLAS_STATUS_SUCCESS);

        var e = Assert.Throws<CublasException>(() => Cublas.Check(FailingCublasCall()));
        Assert.Equal("FailingCublasCall()", e.Call);
        Assert.Equal(cublasStatus_t.CUBLAS_STATUS_INVALID_VALUE, e.CublasStatus);
        Assert.Equal("CUBLAS_STATUS_INVALID_VALUE", e.StatusName);
        Assert.Equal(NativeLibraries.Cublas, e.Library);
        Assert.Contains("FailingCublasCall()", e.Message);
        Assert.Contains("CUBLAS_STATUS_INVALID_VALUE", e.Message);

        var lt = Assert.Throws<CublasException>(() => CublasLt.Check(cublasStatus_t.CUBLAS_STATUS_NOT_SUPPORTED));
        Assert.Equal(NativeLibraries.CublasLt, lt.Library);
        Assert.Equal("CUBLAS_STATUS_NOT_SUPPORTED", lt.StatusName);
        Assert.Contains("cublasStatus_t.CUBLAS_STATUS_NOT_SUPPORTED", lt.Call);
    }

    [Fact]
    public void StatusNamesDoNotNeedTheLibrary()
    {
        Assert.Equal("CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH", Cudnn.StatusName(Cudnn.CUDNN_STATUS_ARCH_MISMATCH));
        Assert.Equal("CUDNN_STATUS_12345", Cudnn.StatusName((cudnnStatus_t)12345));
        Assert.True(Cudnn.StatusText(cudnnStatus_t.CUDNN_STATUS_EXECUTION_FAILED).Length > 0);
        Assert.True(Cublas.StatusText(cublasStatus_t.CUBLAS_STATUS_EXECUTION_FAILED).Length > 0);
    }
}
