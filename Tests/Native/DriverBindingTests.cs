using System.Runtime.CompilerServices;
using NativeNets.Native;
using Xunit;

namespace NativeNets.Tests.Native;

/// <summary>
/// CPU-only checks of the driver, NVRTC, NVTX and NCCL bindings: layouts and values pinned to the headers
/// (cuda.h 13.0, nvrtc.h 13.0, nccl.h), and status checks that turn failures into exceptions naming the call and
/// where it was made. None needs a GPU or a CUDA library; where one is present the answers are the same.
/// </summary>
public class DriverBindingTests
{
    [Fact]
    public unsafe void NcclUniqueIdIs128Bytes()
    {
        Assert.Equal(128, sizeof(ncclUniqueId));
        Assert.Equal(128, Unsafe.SizeOf<ncclUniqueId>());
    }

    [Fact]
    public void CudaResultValuesMatchCudaH()
    {
        Assert.Equal(0, (int)CUresult.CUDA_SUCCESS);
        Assert.Equal(1, (int)CUresult.CUDA_ERROR_INVALID_VALUE);
        Assert.Equal(2, (int)CUresult.CUDA_ERROR_OUT_OF_MEMORY);
        Assert.Equal(3, (int)CUresult.CUDA_ERROR_NOT_INITIALIZED);
        Assert.Equal(34, (int)CUresult.CUDA_ERROR_STUB_LIBRARY);
        Assert.Equal(100, (int)CUresult.CUDA_ERROR_NO_DEVICE);
        Assert.Equal(209, (int)CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU);
        Assert.Equal(218, (int)CUresult.CUDA_ERROR_INVALID_PTX);
        Assert.Equal(500, (int)CUresult.CUDA_ERROR_NOT_FOUND);
        Assert.Equal(600, (int)CUresult.CUDA_ERROR_NOT_READY);
        Assert.Equal(700, (int)CUresult.CUDA_ERROR_ILLEGAL_ADDRESS);
        Assert.Equal(719, (int)CUresult.CUDA_ERROR_LAUNCH_FAILED);
        Assert.Equal(901, (int)CUresult.CUDA_ERROR_STREAM_CAPTURE_INVALIDATED);
        Assert.Equal(999, (int)CUresult.CUDA_ERROR_UNKNOWN);
    }

    [Fact]
    public void CudaAttributeValuesMatchCudaH()
    {
        Assert.Equal(1, (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
        Assert.Equal(8, (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK);
        Assert.Equal(10, (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_WARP_SIZE);
        Assert.Equal(13, (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE);
        Assert.Equal(16, (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        Assert.Equal(33, (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_PCI_BUS_ID);
        Assert.Equal(36, (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE);
        Assert.Equal(37, (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH);
        Assert.Equal(38, (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE);
        Assert.Equal(75, (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        Assert.Equal(76, (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        Assert.Equal(97, (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
        Assert.Equal(115, (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED);
        Assert.Equal(8, (int)CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES);
        Assert.Equal(4, (int)CUmemPool_attribute.CU_MEMPOOL_ATTR_RELEASE_THRESHOLD);
        Assert.Equal(6, (int)CUmemPool_attribute.CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH);
        Assert.Equal(8, (int)CUmemPool_attribute.CU_MEMPOOL_ATTR_USED_MEM_HIGH);
        Assert.Equal(2, (int)CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED);
        Assert.Equal(1u, (uint)CUstream_flags.CU_STREAM_NON_BLOCKING);
        Assert.Equal(2u, (uint)CUevent_flags.CU_EVENT_DISABLE_TIMING);
        Assert.Equal(1u, Cuda.CU_MEMHOSTALLOC_PORTABLE);
        Assert.Equal(4u, Cuda.CU_MEMHOSTALLOC_WRITECOMBINED);
    }

    [Fact]
    public void NvrtcAndNcclValuesMatchTheirHeaders()
    {
        Assert.Equal(6, (int)nvrtcResult.NVRTC_ERROR_COMPILATION);
        Assert.Equal(5, (int)nvrtcResult.NVRTC_ERROR_INVALID_OPTION);
        Assert.Equal(17, (int)nvrtcResult.NVRTC_ERROR_TIME_TRACE_FILE_WRITE_FAILED);
        Assert.Equal(7, (int)ncclDataType_t.ncclFloat32);
        Assert.Equal(6, (int)ncclDataType_t.ncclFloat16);
        Assert.Equal(9, (int)ncclDataType_t.ncclBfloat16);
        Assert.Equal(12, (int)ncclDataType_t.ncclNumTypes);
        Assert.Equal(0, (int)ncclRedOp_t.ncclSum);
        Assert.Equal(4, (int)ncclRedOp_t.ncclAvg);
        Assert.Equal(5, (int)ncclResult_t.ncclInvalidUsage);
        Assert.Equal(7, (int)ncclResult_t.ncclInProgress);
    }

    [Fact]
    public void CudaCheckPassesSuccess()
    {
        Cuda.Check(CUresult.CUDA_SUCCESS);
    }

    [Fact]
    public void CudaCheckNamesTheCallTheStatusAndTheFile()
    {
        var status = CUresult.CUDA_ERROR_INVALID_VALUE;
        var e = Assert.Throws<CudaException>(() => Cuda.Check(status));
        Assert.Equal("status", e.Call);
        Assert.Equal(CUresult.CUDA_ERROR_INVALID_VALUE, e.Result);
        Assert.Equal(1, e.Status);
        Assert.Equal("CUDA_ERROR_INVALID_VALUE", e.StatusName);
        Assert.Contains("status failed", e.Message);
        Assert.Contains("CUDA_ERROR_INVALID_VALUE", e.Message);
        Assert.Contains(nameof(DriverBindingTests) + ".cs:", e.Message);
        Assert.IsAssignableFrom<NativeCallException>(e);
    }

    [Fact]
    public void CudaOutOfMemoryHasItsOwnException()
    {
        var e = Assert.Throws<CudaOutOfMemoryException>(() => Cuda.Check(CUresult.CUDA_ERROR_OUT_OF_MEMORY));
        Assert.Equal(CUresult.CUDA_ERROR_OUT_OF_MEMORY, e.Result);
        Assert.Contains("CUDA_ERROR_OUT_OF_MEMORY", e.Message);
        Assert.Contains("CUresult.CUDA_ERROR_OUT_OF_MEMORY", e.Call);
        Assert.IsAssignableFrom<CudaException>(e);
    }

    [Fact]
    public void UnknownCudaStatusIsWrittenAsANumber()
    {
        Assert.Equal("CUDA error 12345", Cuda.ErrorName((CUresult)12345));
        var e = Assert.Throws<CudaException>(() => Cuda.Check((CUresult)12345));
        Assert.Contains("CUDA error 12345", e.Message);
    }

    [Fact]
    public void NvrtcCheckNamesTheCallAndTheStatus()
    {
        var e = Assert.Throws<NvrtcException>(() => Nvrtc.Check(nvrtcResult.NVRTC_ERROR_INVALID_OPTION));
        Assert.Equal(nvrtcResult.NVRTC_ERROR_INVALID_OPTION, e.Result);
        Assert.Equal("NVRTC_ERROR_INVALID_OPTION", e.StatusName);
        Assert.Contains("nvrtcResult.NVRTC_ERROR_INVALID_OPTION failed", e.Message);
        Assert.Contains(nameof(DriverBindingTests) + ".cs:", e.Message);
    }

    [Fact]
    public void NvrtcCompileFailureSaysWhatAndWhere()
    {
        var log = "relu.cu(7): error: identifier \"x\" is undefined\n1 error detected in the compilation of \"relu.cu\".";
        var e = new NvrtcCompileException("relu.cu", ["--gpu-architecture=sm_90", "-default-device"], log);
        Assert.Contains("relu.cu", e.Message);
        Assert.Contains("--gpu-architecture=sm_90 -default-device", e.Message);
        Assert.Contains("relu.cu(7): error: identifier \"x\" is undefined", e.Message);
        Assert.Contains("NVRTC_ERROR_COMPILATION", e.Message);
        Assert.Equal(nvrtcResult.NVRTC_ERROR_COMPILATION, e.Result);
        Assert.IsAssignableFrom<NvrtcException>(e);
    }

    [Fact]
    public void NcclCheckNamesTheCallAndTheStatus()
    {
        var e = Assert.Throws<NcclException>(() => Nccl.Check(ncclResult_t.ncclInvalidArgument));
        Assert.Equal(ncclResult_t.ncclInvalidArgument, e.Result);
        Assert.Equal("ncclInvalidArgument", e.StatusName);
        Assert.Contains("ncclResult_t.ncclInvalidArgument failed", e.Message);
        Assert.Contains(nameof(DriverBindingTests) + ".cs:", e.Message);
        Nccl.Check(ncclResult_t.ncclSuccess);
    }

    [Fact]
    public void NvtxNeverFails()
    {
        // With or without a profiler or an NVTX library, these must not throw.
        Nvtx.Push("test range");
        Nvtx.Mark(new string('x', 2000));
        Nvtx.Pop();
        using (Nvtx.Range("scoped")) { }
        Assert.False(string.IsNullOrEmpty(Nvtx.Description));
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NVTX_INJECTION64_PATH")))
            Assert.False(Nvtx.Enabled);
    }
}
