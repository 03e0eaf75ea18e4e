// Types of the CUDA driver API (cuda.h). Names, capitalisation and values are the header's, CUDA 13.0
// (CUDA_VERSION 13000), so that a value can be checked against cuda.h by eye. C enums are int-sized; the
// flag enums below are uint where the header's parameter is `unsigned int`.
// Handles (CUstream, CUevent, CUcontext, CUmodule, CUfunction, CUgraph, CUgraphExec, CUmemoryPool) and
// device pointers (CUdeviceptr, unsigned long long on 64-bit hosts) appear as nint in the signatures.

#pragma warning disable CA1069 // the header gives some members the same value on purpose (aliases)
#pragma warning disable CA1707 // native names keep their underscores

namespace NativeNets.Native;

/// <summary>Status of every CUDA driver call (cuda.h <c>cudaError_enum</c>, typedef'd to <c>CUresult</c>).</summary>
public enum CUresult
{
    /// <summary>No error.</summary>
    CUDA_SUCCESS = 0,
    /// <summary>A parameter is out of range.</summary>
    CUDA_ERROR_INVALID_VALUE = 1,
    /// <summary>The driver could not allocate enough memory.</summary>
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    /// <summary>cuInit has not been called.</summary>
    CUDA_ERROR_NOT_INITIALIZED = 3,
    /// <summary>The driver is shutting down.</summary>
    CUDA_ERROR_DEINITIALIZED = 4,
    /// <summary>The profiler is disabled for this run (deprecated).</summary>
    CUDA_ERROR_PROFILER_DISABLED = 5,
    /// <summary>Deprecated profiler status.</summary>
    CUDA_ERROR_PROFILER_NOT_INITIALIZED = 6,
    /// <summary>Deprecated profiler status.</summary>
    CUDA_ERROR_PROFILER_ALREADY_STARTED = 7,
    /// <summary>Deprecated profiler status.</summary>
    CUDA_ERROR_PROFILER_ALREADY_STOPPED = 8,
    /// <summary>The loaded libcuda is the toolkit's link stub, not a real driver.</summary>
    CUDA_ERROR_STUB_LIBRARY = 34,
    /// <summary>The call needs a newer driver.</summary>
    CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER = 36,
    /// <summary>The device is unavailable (e.g. exclusive or prohibited compute mode).</summary>
    CUDA_ERROR_DEVICE_UNAVAILABLE = 46,
    /// <summary>No CUDA-capable device was found.</summary>
    CUDA_ERROR_NO_DEVICE = 100,
    /// <summary>The device ordinal is not valid.</summary>
    CUDA_ERROR_INVALID_DEVICE = 101,
    /// <summary>The device lacks a license for this feature.</summary>
    CUDA_ERROR_DEVICE_NOT_LICENSED = 102,
    /// <summary>The kernel image is invalid.</summary>
    CUDA_ERROR_INVALID_IMAGE = 200,
    /// <summary>No valid current context.</summary>
    CUDA_ERROR_INVALID_CONTEXT = 201,
    /// <summary>Deprecated: the context is already current.</summary>
    CUDA_ERROR_CONTEXT_ALREADY_CURRENT = 202,
    /// <summary>A map or register operation failed.</summary>
    CUDA_ERROR_MAP_FAILED = 205,
    /// <summary>An unmap or unregister operation failed.</summary>
    CUDA_ERROR_UNMAP_FAILED = 206,
    /// <summary>The array is mapped.</summary>
    CUDA_ERROR_ARRAY_IS_MAPPED = 207,
    /// <summary>The resource is already mapped.</summary>
    CUDA_ERROR_ALREADY_MAPPED = 208,
    /// <summary>No kernel image suitable for this device (wrong architecture).</summary>
    CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
    /// <summary>The resource is already acquired.</summary>
    CUDA_ERROR_ALREADY_ACQUIRED = 210,
    /// <summary>The resource is not mapped.</summary>
    CUDA_ERROR_NOT_MAPPED = 211,
    /// <summary>The resource is not mapped as an array.</summary>
    CUDA_ERROR_NOT_MAPPED_AS_ARRAY = 212,
    /// <summary>The resource is not mapped as a pointer.</summary>
    CUDA_ERROR_NOT_MAPPED_AS_POINTER = 213,
    /// <summary>An uncorrectable ECC error was detected.</summary>
    CUDA_ERROR_ECC_UNCORRECTABLE = 214,
    /// <summary>The limit is not supported by the device.</summary>
    CUDA_ERROR_UNSUPPORTED_LIMIT = 215,
    /// <summary>The context is already in use by another thread.</summary>
    CUDA_ERROR_CONTEXT_ALREADY_IN_USE = 216,
    /// <summary>Peer access is not supported across these devices.</summary>
    CUDA_ERROR_PEER_ACCESS_UNSUPPORTED = 217,
    /// <summary>PTX JIT compilation failed.</summary>
    CUDA_ERROR_INVALID_PTX = 218,
    /// <summary>Invalid OpenGL or DirectX context.</summary>
    CUDA_ERROR_INVALID_GRAPHICS_CONTEXT = 219,
    /// <summary>An uncorrectable NVLink error was detected.</summary>
    CUDA_ERROR_NVLINK_UNCORRECTABLE = 220,
    /// <summary>The PTX JIT compiler library was not found.</summary>
    CUDA_ERROR_JIT_COMPILER_NOT_FOUND = 221,
    /// <summary>The PTX was compiled with an unsupported toolchain version.</summary>
    CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
    /// <summary>PTX JIT compilation is disabled.</summary>
    CUDA_ERROR_JIT_COMPILATION_DISABLED = 223,
    /// <summary>The execution affinity type is not supported.</summary>
    CUDA_ERROR_UNSUPPORTED_EXEC_AFFINITY = 224,
    /// <summary>The code uses device-side synchronisation, which is not supported here.</summary>
    CUDA_ERROR_UNSUPPORTED_DEVSIDE_SYNC = 225,
    /// <summary>An exception during execution was contained (the context is still usable).</summary>
    CUDA_ERROR_CONTAINED = 226,
    /// <summary>The device kernel source is invalid.</summary>
    CUDA_ERROR_INVALID_SOURCE = 300,
    /// <summary>The file was not found.</summary>
    CUDA_ERROR_FILE_NOT_FOUND = 301,
    /// <summary>A shared-object symbol could not be resolved.</summary>
    CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND = 302,
    /// <summary>Initialisation of a shared object failed.</summary>
    CUDA_ERROR_SHARED_OBJECT_INIT_FAILED = 303,
    /// <summary>An OS call failed.</summary>
    CUDA_ERROR_OPERATING_SYSTEM = 304,
    /// <summary>A resource handle is not valid.</summary>
    CUDA_ERROR_INVALID_HANDLE = 400,
    /// <summary>The resource is not in a valid state for the operation.</summary>
    CUDA_ERROR_ILLEGAL_STATE = 401,
    /// <summary>The answer would be lossy (e.g. a pointer attribute query).</summary>
    CUDA_ERROR_LOSSY_QUERY = 402,
    /// <summary>A named symbol was not found (e.g. a kernel name in cuModuleGetFunction).</summary>
    CUDA_ERROR_NOT_FOUND = 500,
    /// <summary>Asynchronous work has not completed yet (not an error of a query call).</summary>
    CUDA_ERROR_NOT_READY = 600,
    /// <summary>A kernel accessed an illegal address; the context is unusable.</summary>
    CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    /// <summary>The launch asked for more resources (registers, shared memory) than available.</summary>
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    /// <summary>The kernel ran past the watchdog timeout.</summary>
    CUDA_ERROR_LAUNCH_TIMEOUT = 702,
    /// <summary>Incompatible texturing mode.</summary>
    CUDA_ERROR_LAUNCH_INCOMPATIBLE_TEXTURING = 703,
    /// <summary>Peer access is already enabled.</summary>
    CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED = 704,
    /// <summary>Peer access has not been enabled.</summary>
    CUDA_ERROR_PEER_ACCESS_NOT_ENABLED = 705,
    /// <summary>The primary context is already active.</summary>
    CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE = 708,
    /// <summary>The current context has been destroyed.</summary>
    CUDA_ERROR_CONTEXT_IS_DESTROYED = 709,
    /// <summary>A device-side assert fired.</summary>
    CUDA_ERROR_ASSERT = 710,
    /// <summary>Too many peers for peer access.</summary>
    CUDA_ERROR_TOO_MANY_PEERS = 711,
    /// <summary>The host memory is already registered.</summary>
    CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED = 712,
    /// <summary>The host memory is not registered.</summary>
    CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED = 713,
    /// <summary>Device-side stack error (e.g. overflow).</summary>
    CUDA_ERROR_HARDWARE_STACK_ERROR = 714,
    /// <summary>A kernel executed an illegal instruction.</summary>
    CUDA_ERROR_ILLEGAL_INSTRUCTION = 715,
    /// <summary>A kernel made a misaligned memory access.</summary>
    CUDA_ERROR_MISALIGNED_ADDRESS = 716,
    /// <summary>A kernel used an address in the wrong address space.</summary>
    CUDA_ERROR_INVALID_ADDRESS_SPACE = 717,
    /// <summary>The program counter became invalid.</summary>
    CUDA_ERROR_INVALID_PC = 718,
    /// <summary>A kernel failed; the context is unusable.</summary>
    CUDA_ERROR_LAUNCH_FAILED = 719,
    /// <summary>A cooperative launch asked for too many blocks.</summary>
    CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE = 720,
    /// <summary>A kernel exited without freeing its tensor memory.</summary>
    CUDA_ERROR_TENSOR_MEMORY_LEAK = 721,
    /// <summary>The operation is not permitted.</summary>
    CUDA_ERROR_NOT_PERMITTED = 800,
    /// <summary>The operation is not supported on this system or device.</summary>
    CUDA_ERROR_NOT_SUPPORTED = 801,
    /// <summary>The system is not ready (e.g. fabric manager not running).</summary>
    CUDA_ERROR_SYSTEM_NOT_READY = 802,
    /// <summary>The kernel driver and libcuda versions do not match.</summary>
    CUDA_ERROR_SYSTEM_DRIVER_MISMATCH = 803,
    /// <summary>Forward compatibility is not supported on this device.</summary>
    CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE = 804,
    /// <summary>The MPS client could not connect to the server.</summary>
    CUDA_ERROR_MPS_CONNECTION_FAILED = 805,
    /// <summary>The MPS remote procedure call failed.</summary>
    CUDA_ERROR_MPS_RPC_FAILURE = 806,
    /// <summary>The MPS server is not ready.</summary>
    CUDA_ERROR_MPS_SERVER_NOT_READY = 807,
    /// <summary>The MPS client limit was reached.</summary>
    CUDA_ERROR_MPS_MAX_CLIENTS_REACHED = 808,
    /// <summary>The MPS connection limit was reached.</summary>
    CUDA_ERROR_MPS_MAX_CONNECTIONS_REACHED = 809,
    /// <summary>The MPS client was terminated by the server.</summary>
    CUDA_ERROR_MPS_CLIENT_TERMINATED = 810,
    /// <summary>CUDA dynamic parallelism is not supported.</summary>
    CUDA_ERROR_CDP_NOT_SUPPORTED = 811,
    /// <summary>CUDA dynamic parallelism version mismatch.</summary>
    CUDA_ERROR_CDP_VERSION_MISMATCH = 812,
    /// <summary>The operation is not allowed while the stream is capturing.</summary>
    CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
    /// <summary>The capture was invalidated by an earlier error.</summary>
    CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901,
    /// <summary>Two independent captures would be merged.</summary>
    CUDA_ERROR_STREAM_CAPTURE_MERGE = 902,
    /// <summary>The capture was not begun in this stream.</summary>
    CUDA_ERROR_STREAM_CAPTURE_UNMATCHED = 903,
    /// <summary>The capture forked but did not join back.</summary>
    CUDA_ERROR_STREAM_CAPTURE_UNJOINED = 904,
    /// <summary>A dependency would cross the capture boundary.</summary>
    CUDA_ERROR_STREAM_CAPTURE_ISOLATION = 905,
    /// <summary>An implicit dependency on the legacy stream is not allowed while capturing.</summary>
    CUDA_ERROR_STREAM_CAPTURE_IMPLICIT = 906,
    /// <summary>The event was last recorded in a capturing stream.</summary>
    CUDA_ERROR_CAPTURED_EVENT = 907,
    /// <summary>A thread-local capture was ended from another thread.</summary>
    CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD = 908,
    /// <summary>A wait operation timed out.</summary>
    CUDA_ERROR_TIMEOUT = 909,
    /// <summary>The graph update was not performed (topology or parameters changed).</summary>
    CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE = 910,
    /// <summary>An external device signalled an async error.</summary>
    CUDA_ERROR_EXTERNAL_DEVICE = 911,
    /// <summary>The cluster size is invalid.</summary>
    CUDA_ERROR_INVALID_CLUSTER_SIZE = 912,
    /// <summary>The function or kernel is not loaded.</summary>
    CUDA_ERROR_FUNCTION_NOT_LOADED = 913,
    /// <summary>The resource type is invalid.</summary>
    CUDA_ERROR_INVALID_RESOURCE_TYPE = 914,
    /// <summary>The resource configuration is invalid.</summary>
    CUDA_ERROR_INVALID_RESOURCE_CONFIGURATION = 915,
    /// <summary>A key rotation error occurred (confidential computing).</summary>
    CUDA_ERROR_KEY_ROTATION = 916,
    /// <summary>An unknown internal error.</summary>
    CUDA_ERROR_UNKNOWN = 999,
}

/// <summary>Device attribute ids for cuDeviceGetAttribute (cuda.h <c>CUdevice_attribute</c>).</summary>
public enum CUdevice_attribute
{
    /// <summary>Maximum threads per block.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,
    /// <summary>Maximum block dimension X.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X = 2,
    /// <summary>Maximum block dimension Y.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y = 3,
    /// <summary>Maximum block dimension Z.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z = 4,
    /// <summary>Maximum grid dimension X.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X = 5,
    /// <summary>Maximum grid dimension Y.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y = 6,
    /// <summary>Maximum grid dimension Z.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z = 7,
    /// <summary>Maximum static shared memory per block, in bytes (48 KiB; see the OPTIN attribute for more).</summary>
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8,
    /// <summary>Deprecated alias of MAX_SHARED_MEMORY_PER_BLOCK.</summary>
    CU_DEVICE_ATTRIBUTE_SHARED_MEMORY_PER_BLOCK = 8,
    /// <summary>Constant memory, in bytes.</summary>
    CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY = 9,
    /// <summary>Warp size in threads.</summary>
    CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10,
    /// <summary>Maximum pitch for memory copies, in bytes.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_PITCH = 11,
    /// <summary>Maximum 32-bit registers per block.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK = 12,
    /// <summary>Deprecated alias of MAX_REGISTERS_PER_BLOCK.</summary>
    CU_DEVICE_ATTRIBUTE_REGISTERS_PER_BLOCK = 12,
    /// <summary>Typical clock rate, in kHz.</summary>
    CU_DEVICE_ATTRIBUTE_CLOCK_RATE = 13,
    /// <summary>Texture alignment requirement.</summary>
    CU_DEVICE_ATTRIBUTE_TEXTURE_ALIGNMENT = 14,
    /// <summary>Deprecated: copy/kernel overlap (use ASYNC_ENGINE_COUNT).</summary>
    CU_DEVICE_ATTRIBUTE_GPU_OVERLAP = 15,
    /// <summary>Number of streaming multiprocessors.</summary>
    CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    /// <summary>Whether kernels have a run-time limit.</summary>
    CU_DEVICE_ATTRIBUTE_KERNEL_EXEC_TIMEOUT = 17,
    /// <summary>Whether the device is integrated with host memory.</summary>
    CU_DEVICE_ATTRIBUTE_INTEGRATED = 18,
    /// <summary>Whether host memory can be mapped into the device address space.</summary>
    CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY = 19,
    /// <summary>Compute mode (CUcomputemode).</summary>
    CU_DEVICE_ATTRIBUTE_COMPUTE_MODE = 20,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_WIDTH = 21,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_WIDTH = 22,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_HEIGHT = 23,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_WIDTH = 24,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_HEIGHT = 25,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_DEPTH = 26,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_LAYERED_WIDTH = 27,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_LAYERED_HEIGHT = 28,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_LAYERED_LAYERS = 29,
    /// <summary>Deprecated alias of MAXIMUM_TEXTURE2D_LAYERED_WIDTH.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_ARRAY_WIDTH = 27,
    /// <summary>Deprecated alias of MAXIMUM_TEXTURE2D_LAYERED_HEIGHT.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_ARRAY_HEIGHT = 28,
    /// <summary>Deprecated alias of MAXIMUM_TEXTURE2D_LAYERED_LAYERS.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_ARRAY_NUMSLICES = 29,
    /// <summary>Surface alignment requirement.</summary>
    CU_DEVICE_ATTRIBUTE_SURFACE_ALIGNMENT = 30,
    /// <summary>Whether kernels of one context can run concurrently.</summary>
    CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS = 31,
    /// <summary>Whether ECC is enabled.</summary>
    CU_DEVICE_ATTRIBUTE_ECC_ENABLED = 32,
    /// <summary>PCI bus id of the device.</summary>
    CU_DEVICE_ATTRIBUTE_PCI_BUS_ID = 33,
    /// <summary>PCI device (slot) id of the device.</summary>
    CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID = 34,
    /// <summary>Whether the device runs the TCC driver (Windows).</summary>
    CU_DEVICE_ATTRIBUTE_TCC_DRIVER = 35,
    /// <summary>Peak memory clock, in kHz.</summary>
    CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE = 36,
    /// <summary>Global memory bus width, in bits.</summary>
    CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37,
    /// <summary>L2 cache size, in bytes.</summary>
    CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38,
    /// <summary>Maximum resident threads per multiprocessor.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR = 39,
    /// <summary>Number of asynchronous copy engines.</summary>
    CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT = 40,
    /// <summary>Whether the device shares a unified address space with the host.</summary>
    CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING = 41,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_LAYERED_WIDTH = 42,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_LAYERED_LAYERS = 43,
    /// <summary>Deprecated.</summary>
    CU_DEVICE_ATTRIBUTE_CAN_TEX2D_GATHER = 44,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_GATHER_WIDTH = 45,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_GATHER_HEIGHT = 46,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_WIDTH_ALTERNATE = 47,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_HEIGHT_ALTERNATE = 48,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_DEPTH_ALTERNATE = 49,
    /// <summary>PCI domain id of the device.</summary>
    CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID = 50,
    /// <summary>Pitch alignment requirement for textures.</summary>
    CU_DEVICE_ATTRIBUTE_TEXTURE_PITCH_ALIGNMENT = 51,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURECUBEMAP_WIDTH = 52,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURECUBEMAP_LAYERED_WIDTH = 53,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURECUBEMAP_LAYERED_LAYERS = 54,
    /// <summary>Surface limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE1D_WIDTH = 55,
    /// <summary>Surface limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE2D_WIDTH = 56,
    /// <summary>Surface limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE2D_HEIGHT = 57,
    /// <summary>Surface limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE3D_WIDTH = 58,
    /// <summary>Surface limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE3D_HEIGHT = 59,
    /// <summary>Surface limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE3D_DEPTH = 60,
    /// <summary>Surface limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE1D_LAYERED_WIDTH = 61,
    /// <summary>Surface limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE1D_LAYERED_LAYERS = 62,
    /// <summary>Surface limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE2D_LAYERED_WIDTH = 63,
    /// <summary>Surface limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE2D_LAYERED_HEIGHT = 64,
    /// <summary>Surface limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE2D_LAYERED_LAYERS = 65,
    /// <summary>Surface limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACECUBEMAP_WIDTH = 66,
    /// <summary>Surface limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACECUBEMAP_LAYERED_WIDTH = 67,
    /// <summary>Surface limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACECUBEMAP_LAYERED_LAYERS = 68,
    /// <summary>Deprecated texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_LINEAR_WIDTH = 69,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_LINEAR_WIDTH = 70,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_LINEAR_HEIGHT = 71,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_LINEAR_PITCH = 72,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_MIPMAPPED_WIDTH = 73,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_MIPMAPPED_HEIGHT = 74,
    /// <summary>Compute capability major number (9 on H100).</summary>
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    /// <summary>Compute capability minor number (0 on H100).</summary>
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
    /// <summary>Texture limit.</summary>
    CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_MIPMAPPED_WIDTH = 77,
    /// <summary>Whether stream priorities are supported.</summary>
    CU_DEVICE_ATTRIBUTE_STREAM_PRIORITIES_SUPPORTED = 78,
    /// <summary>Whether globals can be cached in L1.</summary>
    CU_DEVICE_ATTRIBUTE_GLOBAL_L1_CACHE_SUPPORTED = 79,
    /// <summary>Whether locals can be cached in L1.</summary>
    CU_DEVICE_ATTRIBUTE_LOCAL_L1_CACHE_SUPPORTED = 80,
    /// <summary>Maximum shared memory per multiprocessor, in bytes.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR = 81,
    /// <summary>Maximum 32-bit registers per multiprocessor.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR = 82,
    /// <summary>Whether managed memory is supported.</summary>
    CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY = 83,
    /// <summary>Whether the device is on a multi-GPU board.</summary>
    CU_DEVICE_ATTRIBUTE_MULTI_GPU_BOARD = 84,
    /// <summary>Group id of the multi-GPU board.</summary>
    CU_DEVICE_ATTRIBUTE_MULTI_GPU_BOARD_GROUP_ID = 85,
    /// <summary>Whether host-device atomics are native.</summary>
    CU_DEVICE_ATTRIBUTE_HOST_NATIVE_ATOMIC_SUPPORTED = 86,
    /// <summary>Single- to double-precision throughput ratio.</summary>
    CU_DEVICE_ATTRIBUTE_SINGLE_TO_DOUBLE_PRECISION_PERF_RATIO = 87,
    /// <summary>Whether pageable memory can be accessed coherently.</summary>
    CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS = 88,
    /// <summary>Whether managed memory can be accessed concurrently with the host.</summary>
    CU_DEVICE_ATTRIBUTE_CONCURRENT_MANAGED_ACCESS = 89,
    /// <summary>Whether compute preemption is supported.</summary>
    CU_DEVICE_ATTRIBUTE_COMPUTE_PREEMPTION_SUPPORTED = 90,
    /// <summary>Whether registered host memory can be used at the same virtual address.</summary>
    CU_DEVICE_ATTRIBUTE_CAN_USE_HOST_POINTER_FOR_REGISTERED_MEM = 91,
    /// <summary>Deprecated stream memory operation support (v1).</summary>
    CU_DEVICE_ATTRIBUTE_CAN_USE_STREAM_MEM_OPS_V1 = 92,
    /// <summary>Deprecated 64-bit stream memory operation support (v1).</summary>
    CU_DEVICE_ATTRIBUTE_CAN_USE_64_BIT_STREAM_MEM_OPS_V1 = 93,
    /// <summary>Deprecated stream wait NOR support (v1).</summary>
    CU_DEVICE_ATTRIBUTE_CAN_USE_STREAM_WAIT_VALUE_NOR_V1 = 94,
    /// <summary>Whether cooperative launches are supported.</summary>
    CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH = 95,
    /// <summary>Deprecated multi-device cooperative launch support.</summary>
    CU_DEVICE_ATTRIBUTE_COOPERATIVE_MULTI_DEVICE_LAUNCH = 96,
    /// <summary>Maximum opt-in shared memory per block, in bytes (needs cuFuncSetAttribute MAX_DYNAMIC_SHARED_SIZE_BYTES).</summary>
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
    /// <summary>Whether remote writes can be flushed.</summary>
    CU_DEVICE_ATTRIBUTE_CAN_FLUSH_REMOTE_WRITES = 98,
    /// <summary>Whether cuMemHostRegister is supported.</summary>
    CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED = 99,
    /// <summary>Whether pageable memory access uses host page tables.</summary>
    CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS_USES_HOST_PAGE_TABLES = 100,
    /// <summary>Whether the host can access managed memory directly.</summary>
    CU_DEVICE_ATTRIBUTE_DIRECT_MANAGED_MEM_ACCESS_FROM_HOST = 101,
    /// <summary>Whether virtual memory management (cuMemAddressReserve, cuMemCreate, ...) is supported.</summary>
    CU_DEVICE_ATTRIBUTE_VIRTUAL_ADDRESS_MANAGEMENT_SUPPORTED = 102,
    /// <summary>Deprecated alias of VIRTUAL_ADDRESS_MANAGEMENT_SUPPORTED.</summary>
    CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED = 102,
    /// <summary>Whether POSIX file-descriptor handles are supported.</summary>
    CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED = 103,
    /// <summary>Whether Win32 handles are supported.</summary>
    CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_WIN32_HANDLE_SUPPORTED = 104,
    /// <summary>Whether Win32 KMT handles are supported.</summary>
    CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_WIN32_KMT_HANDLE_SUPPORTED = 105,
    /// <summary>Maximum resident blocks per multiprocessor.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR = 106,
    /// <summary>Whether compressible memory is supported.</summary>
    CU_DEVICE_ATTRIBUTE_GENERIC_COMPRESSION_SUPPORTED = 107,
    /// <summary>Maximum persisting L2 cache size, in bytes.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_PERSISTING_L2_CACHE_SIZE = 108,
    /// <summary>Maximum access policy window size, in bytes.</summary>
    CU_DEVICE_ATTRIBUTE_MAX_ACCESS_POLICY_WINDOW_SIZE = 109,
    /// <summary>Whether GPUDirect RDMA works with VMM allocations.</summary>
    CU_DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_WITH_CUDA_VMM_SUPPORTED = 110,
    /// <summary>Shared memory reserved by the driver per block, in bytes.</summary>
    CU_DEVICE_ATTRIBUTE_RESERVED_SHARED_MEMORY_PER_BLOCK = 111,
    /// <summary>Whether sparse CUDA arrays are supported.</summary>
    CU_DEVICE_ATTRIBUTE_SPARSE_CUDA_ARRAY_SUPPORTED = 112,
    /// <summary>Whether read-only host registration is supported.</summary>
    CU_DEVICE_ATTRIBUTE_READ_ONLY_HOST_REGISTER_SUPPORTED = 113,
    /// <summary>Whether timeline semaphore interop is supported.</summary>
    CU_DEVICE_ATTRIBUTE_TIMELINE_SEMAPHORE_INTEROP_SUPPORTED = 114,
    /// <summary>Whether stream-ordered memory pools (cuMemAllocAsync) are supported.</summary>
    CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED = 115,
    /// <summary>Whether GPUDirect RDMA is supported.</summary>
    CU_DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_SUPPORTED = 116,
    /// <summary>GPUDirect RDMA flush-writes options (bitmask).</summary>
    CU_DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_FLUSH_WRITES_OPTIONS = 117,
    /// <summary>GPUDirect RDMA write ordering.</summary>
    CU_DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_WRITES_ORDERING = 118,
    /// <summary>Handle types supported by memory pools (bitmask).</summary>
    CU_DEVICE_ATTRIBUTE_MEMPOOL_SUPPORTED_HANDLE_TYPES = 119,
    /// <summary>Whether cluster launches are supported.</summary>
    CU_DEVICE_ATTRIBUTE_CLUSTER_LAUNCH = 120,
    /// <summary>Whether deferred-mapping CUDA arrays are supported.</summary>
    CU_DEVICE_ATTRIBUTE_DEFERRED_MAPPING_CUDA_ARRAY_SUPPORTED = 121,
    /// <summary>Whether 64-bit stream memory operations are supported.</summary>
    CU_DEVICE_ATTRIBUTE_CAN_USE_64_BIT_STREAM_MEM_OPS = 122,
    /// <summary>Whether stream wait NOR is supported.</summary>
    CU_DEVICE_ATTRIBUTE_CAN_USE_STREAM_WAIT_VALUE_NOR = 123,
    /// <summary>Whether dma-buf is supported.</summary>
    CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED = 124,
    /// <summary>Whether IPC events are supported.</summary>
    CU_DEVICE_ATTRIBUTE_IPC_EVENT_SUPPORTED = 125,
    /// <summary>Number of memory synchronisation domains.</summary>
    CU_DEVICE_ATTRIBUTE_MEM_SYNC_DOMAIN_COUNT = 126,
    /// <summary>Whether tensor maps (TMA) are supported.</summary>
    CU_DEVICE_ATTRIBUTE_TENSOR_MAP_ACCESS_SUPPORTED = 127,
    /// <summary>Whether fabric handles are supported.</summary>
    CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_FABRIC_SUPPORTED = 128,
    /// <summary>Whether unified function pointers are supported.</summary>
    CU_DEVICE_ATTRIBUTE_UNIFIED_FUNCTION_POINTERS = 129,
    /// <summary>NUMA configuration of the device.</summary>
    CU_DEVICE_ATTRIBUTE_NUMA_CONFIG = 130,
    /// <summary>NUMA id of the device.</summary>
    CU_DEVICE_ATTRIBUTE_NUMA_ID = 131,
    /// <summary>Whether multicast is supported.</summary>
    CU_DEVICE_ATTRIBUTE_MULTICAST_SUPPORTED = 132,
    /// <summary>Whether MPS is enabled.</summary>
    CU_DEVICE_ATTRIBUTE_MPS_ENABLED = 133,
    /// <summary>NUMA id of the host node closest to the device.</summary>
    CU_DEVICE_ATTRIBUTE_HOST_NUMA_ID = 134,
    /// <summary>Whether D3D12 CIG is supported.</summary>
    CU_DEVICE_ATTRIBUTE_D3D12_CIG_SUPPORTED = 135,
    /// <summary>Supported decompression algorithms (bitmask).</summary>
    CU_DEVICE_ATTRIBUTE_MEM_DECOMPRESS_ALGORITHM_MASK = 136,
    /// <summary>Maximum decompression length.</summary>
    CU_DEVICE_ATTRIBUTE_MEM_DECOMPRESS_MAXIMUM_LENGTH = 137,
    /// <summary>Whether Vulkan CIG is supported.</summary>
    CU_DEVICE_ATTRIBUTE_VULKAN_CIG_SUPPORTED = 138,
    /// <summary>PCI device id of the GPU.</summary>
    CU_DEVICE_ATTRIBUTE_GPU_PCI_DEVICE_ID = 139,
    /// <summary>PCI subsystem id of the GPU.</summary>
    CU_DEVICE_ATTRIBUTE_GPU_PCI_SUBSYSTEM_ID = 140,
    /// <summary>Whether host NUMA virtual memory management is supported.</summary>
    CU_DEVICE_ATTRIBUTE_HOST_NUMA_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED = 141,
    /// <summary>Whether host NUMA memory pools are supported.</summary>
    CU_DEVICE_ATTRIBUTE_HOST_NUMA_MEMORY_POOLS_SUPPORTED = 142,
    /// <summary>Whether host NUMA multinode IPC is supported.</summary>
    CU_DEVICE_ATTRIBUTE_HOST_NUMA_MULTINODE_IPC_SUPPORTED = 143,
    /// <summary>Whether host memory pools are supported.</summary>
    CU_DEVICE_ATTRIBUTE_HOST_MEMORY_POOLS_SUPPORTED = 144,
    /// <summary>Whether host virtual memory management is supported.</summary>
    CU_DEVICE_ATTRIBUTE_HOST_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED = 145,
    /// <summary>Whether host allocations can be exported as dma-buf.</summary>
    CU_DEVICE_ATTRIBUTE_HOST_ALLOC_DMA_BUF_SUPPORTED = 146,
    /// <summary>Whether only some host-native atomics are supported.</summary>
    CU_DEVICE_ATTRIBUTE_ONLY_PARTIAL_HOST_NATIVE_ATOMIC_SUPPORTED = 147,
    /// <summary>One past the last attribute of CUDA 13.0.</summary>
    CU_DEVICE_ATTRIBUTE_MAX = 148,
}

/// <summary>Kernel (function) attributes for cuFuncGetAttribute/cuFuncSetAttribute (cuda.h <c>CUfunction_attribute</c>).</summary>
public enum CUfunction_attribute
{
    /// <summary>Maximum threads per block for this kernel (read-only).</summary>
    CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0,
    /// <summary>Static shared memory, in bytes (read-only).</summary>
    CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1,
    /// <summary>Constant memory, in bytes (read-only).</summary>
    CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES = 2,
    /// <summary>Local memory per thread, in bytes (read-only).</summary>
    CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = 3,
    /// <summary>Registers per thread (read-only).</summary>
    CU_FUNC_ATTRIBUTE_NUM_REGS = 4,
    /// <summary>PTX virtual architecture the kernel was compiled for, e.g. 90 (read-only).</summary>
    CU_FUNC_ATTRIBUTE_PTX_VERSION = 5,
    /// <summary>Binary architecture, e.g. 90 (read-only).</summary>
    CU_FUNC_ATTRIBUTE_BINARY_VERSION = 6,
    /// <summary>Whether compiled with -Xptxas --dlcm=ca (read-only).</summary>
    CU_FUNC_ATTRIBUTE_CACHE_MODE_CA = 7,
    /// <summary>Maximum dynamic shared memory per launch, in bytes; set it to go past 48 KiB.</summary>
    CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
    /// <summary>Preferred shared memory carveout, percent of the maximum.</summary>
    CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT = 9,
    /// <summary>Whether a cluster size must be set at launch.</summary>
    CU_FUNC_ATTRIBUTE_CLUSTER_SIZE_MUST_BE_SET = 10,
    /// <summary>Required cluster width.</summary>
    CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_WIDTH = 11,
    /// <summary>Required cluster height.</summary>
    CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_HEIGHT = 12,
    /// <summary>Required cluster depth.</summary>
    CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_DEPTH = 13,
    /// <summary>Whether non-portable cluster sizes are allowed.</summary>
    CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED = 14,
    /// <summary>Cluster scheduling policy preference.</summary>
    CU_FUNC_ATTRIBUTE_CLUSTER_SCHEDULING_POLICY_PREFERENCE = 15,
    /// <summary>One past the last attribute.</summary>
    CU_FUNC_ATTRIBUTE_MAX = 16,
}

/// <summary>Memory pool attributes for cuMemPoolSetAttribute/cuMemPoolGetAttribute (cuda.h <c>CUmemPool_attribute</c>).
/// The value pointed to is an int for the REUSE_* members and a cuuint64_t (ulong) for the others.</summary>
public enum CUmemPool_attribute
{
    /// <summary>(int) Reuse memory freed in another stream when the free's event dependencies allow.</summary>
    CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES = 1,
    /// <summary>(int) Reuse memory whose free has completed without explicit dependencies.</summary>
    CU_MEMPOOL_ATTR_REUSE_ALLOW_OPPORTUNISTIC = 2,
    /// <summary>(int) Let the driver insert dependencies to reuse memory.</summary>
    CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES = 3,
    /// <summary>(ulong) Bytes the pool keeps reserved across synchronisations before releasing memory to the OS.</summary>
    CU_MEMPOOL_ATTR_RELEASE_THRESHOLD = 4,
    /// <summary>(ulong) Bytes currently reserved by the pool.</summary>
    CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT = 5,
    /// <summary>(ulong) High-water mark of reserved bytes; set to 0 to reset.</summary>
    CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH = 6,
    /// <summary>(ulong) Bytes currently allocated from the pool.</summary>
    CU_MEMPOOL_ATTR_USED_MEM_CURRENT = 7,
    /// <summary>(ulong) High-water mark of allocated bytes; set to 0 to reset.</summary>
    CU_MEMPOOL_ATTR_USED_MEM_HIGH = 8,
}

/// <summary>Stream capture mode for cuStreamBeginCapture (cuda.h <c>CUstreamCaptureMode</c>).</summary>
public enum CUstreamCaptureMode
{
    /// <summary>Unsafe calls from any thread are prohibited while any global capture is active.</summary>
    CU_STREAM_CAPTURE_MODE_GLOBAL = 0,
    /// <summary>Only this thread's unsafe calls are prohibited.</summary>
    CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1,
    /// <summary>No unsafe-call checks.</summary>
    CU_STREAM_CAPTURE_MODE_RELAXED = 2,
}

/// <summary>Capture state of a stream (cuda.h <c>CUstreamCaptureStatus</c>).</summary>
public enum CUstreamCaptureStatus
{
    /// <summary>Not capturing.</summary>
    CU_STREAM_CAPTURE_STATUS_NONE = 0,
    /// <summary>Capturing.</summary>
    CU_STREAM_CAPTURE_STATUS_ACTIVE = 1,
    /// <summary>Capturing, but invalidated by an error; must be ended.</summary>
    CU_STREAM_CAPTURE_STATUS_INVALIDATED = 2,
}

/// <summary>Flags of cuStreamCreate/cuStreamCreateWithPriority (cuda.h <c>CUstream_flags</c>).</summary>
[Flags]
public enum CUstream_flags : uint
{
    /// <summary>Default: synchronises with the legacy default stream.</summary>
    CU_STREAM_DEFAULT = 0,
    /// <summary>Does not synchronise with the legacy default stream (what NativeNets uses).</summary>
    CU_STREAM_NON_BLOCKING = 1,
}

/// <summary>Flags of cuEventCreate (cuda.h <c>CUevent_flags</c>).</summary>
[Flags]
public enum CUevent_flags : uint
{
    /// <summary>Default event (records timing).</summary>
    CU_EVENT_DEFAULT = 0,
    /// <summary>cuEventSynchronize blocks the thread instead of spinning.</summary>
    CU_EVENT_BLOCKING_SYNC = 1,
    /// <summary>No timing data: cheapest event, for synchronisation only.</summary>
    CU_EVENT_DISABLE_TIMING = 2,
    /// <summary>Usable across processes (needs DISABLE_TIMING).</summary>
    CU_EVENT_INTERPROCESS = 4,
}

/// <summary>Flags of cuStreamWaitEvent (cuda.h <c>CUevent_wait_flags</c>).</summary>
[Flags]
public enum CUevent_wait_flags : uint
{
    /// <summary>Default wait.</summary>
    CU_EVENT_WAIT_DEFAULT = 0,
    /// <summary>The wait is an external node when captured.</summary>
    CU_EVENT_WAIT_EXTERNAL = 1,
}

/// <summary>Flags of context creation and primary-context setup (cuda.h <c>CUctx_flags</c>).</summary>
[Flags]
public enum CUctx_flags : uint
{
    /// <summary>Driver chooses spin or yield.</summary>
    CU_CTX_SCHED_AUTO = 0,
    /// <summary>Spin while waiting for results.</summary>
    CU_CTX_SCHED_SPIN = 1,
    /// <summary>Yield while waiting for results.</summary>
    CU_CTX_SCHED_YIELD = 2,
    /// <summary>Block on a synchronisation primitive while waiting.</summary>
    CU_CTX_SCHED_BLOCKING_SYNC = 4,
    /// <summary>Deprecated alias of SCHED_BLOCKING_SYNC.</summary>
    CU_CTX_BLOCKING_SYNC = 4,
    /// <summary>Mask of the scheduling flags.</summary>
    CU_CTX_SCHED_MASK = 7,
    /// <summary>Deprecated: mapped pinned allocations are always enabled.</summary>
    CU_CTX_MAP_HOST = 8,
    /// <summary>Keep local memory allocation after resizing it.</summary>
    CU_CTX_LMEM_RESIZE_TO_MAX = 16,
    /// <summary>Enable GPU coredumps for this context.</summary>
    CU_CTX_COREDUMP_ENABLE = 32,
    /// <summary>Enable user-triggered coredumps.</summary>
    CU_CTX_USER_COREDUMP_ENABLE = 64,
    /// <summary>Synchronous memory operations on this context.</summary>
    CU_CTX_SYNC_MEMOPS = 128,
    /// <summary>Mask of all flags.</summary>
    CU_CTX_FLAGS_MASK = 255,
}

/// <summary>Flags of cuGraphInstantiateWithFlags (cuda.h <c>CUgraphInstantiate_flags</c>); the parameter is unsigned long long.</summary>
[Flags]
public enum CUgraphInstantiate_flags : ulong
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>Free graph-allocated memory when the graph is relaunched.</summary>
    CUDA_GRAPH_INSTANTIATE_FLAG_AUTO_FREE_ON_LAUNCH = 1,
    /// <summary>Upload the graph at instantiation (cuGraphInstantiateWithParams only).</summary>
    CUDA_GRAPH_INSTANTIATE_FLAG_UPLOAD = 2,
    /// <summary>Instantiate for launch from the device.</summary>
    CUDA_GRAPH_INSTANTIATE_FLAG_DEVICE_LAUNCH = 4,
    /// <summary>Use the per-node launch priorities.</summary>
    CUDA_GRAPH_INSTANTIATE_FLAG_USE_NODE_PRIORITY = 8,
}

/// <summary>Options of the JIT linker for cuModuleLoadDataEx (cuda.h <c>CUjit_option</c>).</summary>
public enum CUjit_option
{
    /// <summary>(unsigned int) Maximum registers per thread.</summary>
    CU_JIT_MAX_REGISTERS = 0,
    /// <summary>(unsigned int) Minimum threads per block to target; returns the value reached.</summary>
    CU_JIT_THREADS_PER_BLOCK = 1,
    /// <summary>(float, out) Wall time spent in the JIT, in ms.</summary>
    CU_JIT_WALL_TIME = 2,
    /// <summary>(char*) Buffer for informational log messages.</summary>
    CU_JIT_INFO_LOG_BUFFER = 3,
    /// <summary>(unsigned int) Size of the info log buffer in bytes; returns bytes used.</summary>
    CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,
    /// <summary>(char*) Buffer for error log messages.</summary>
    CU_JIT_ERROR_LOG_BUFFER = 5,
    /// <summary>(unsigned int) Size of the error log buffer in bytes; returns bytes used.</summary>
    CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
    /// <summary>(unsigned int) Optimisation level 0-4.</summary>
    CU_JIT_OPTIMIZATION_LEVEL = 7,
    /// <summary>(none) Target the current context's device.</summary>
    CU_JIT_TARGET_FROM_CUCONTEXT = 8,
    /// <summary>(CUjit_target) Target architecture.</summary>
    CU_JIT_TARGET = 9,
    /// <summary>(CUjit_fallback) Fallback strategy.</summary>
    CU_JIT_FALLBACK_STRATEGY = 10,
    /// <summary>(int) Generate debug information.</summary>
    CU_JIT_GENERATE_DEBUG_INFO = 11,
    /// <summary>(int) Verbose log output.</summary>
    CU_JIT_LOG_VERBOSE = 12,
    /// <summary>(int) Generate line information.</summary>
    CU_JIT_GENERATE_LINE_INFO = 13,
    /// <summary>(CUjit_cacheMode) Cache mode.</summary>
    CU_JIT_CACHE_MODE = 14,
    /// <summary>Deprecated.</summary>
    CU_JIT_NEW_SM3X_OPT = 15,
    /// <summary>Internal.</summary>
    CU_JIT_FAST_COMPILE = 16,
    /// <summary>(const char**) Global symbol names to relocate.</summary>
    CU_JIT_GLOBAL_SYMBOL_NAMES = 17,
    /// <summary>(void**) Global symbol addresses.</summary>
    CU_JIT_GLOBAL_SYMBOL_ADDRESSES = 18,
    /// <summary>(unsigned int) Number of global symbols.</summary>
    CU_JIT_GLOBAL_SYMBOL_COUNT = 19,
    /// <summary>Deprecated: link-time optimisation.</summary>
    CU_JIT_LTO = 20,
    /// <summary>Deprecated: flush denormals to zero.</summary>
    CU_JIT_FTZ = 21,
    /// <summary>Deprecated: precise division.</summary>
    CU_JIT_PREC_DIV = 22,
    /// <summary>Deprecated: precise square root.</summary>
    CU_JIT_PREC_SQRT = 23,
    /// <summary>Deprecated: fused multiply-add contraction.</summary>
    CU_JIT_FMA = 24,
    /// <summary>Deprecated: referenced kernel names.</summary>
    CU_JIT_REFERENCED_KERNEL_NAMES = 25,
    /// <summary>Deprecated: referenced kernel count.</summary>
    CU_JIT_REFERENCED_KERNEL_COUNT = 26,
    /// <summary>Deprecated: referenced variable names.</summary>
    CU_JIT_REFERENCED_VARIABLE_NAMES = 27,
    /// <summary>Deprecated: referenced variable count.</summary>
    CU_JIT_REFERENCED_VARIABLE_COUNT = 28,
    /// <summary>Deprecated: optimise unused device variables.</summary>
    CU_JIT_OPTIMIZE_UNUSED_DEVICE_VARIABLES = 29,
    /// <summary>(int) Position-independent code.</summary>
    CU_JIT_POSITION_INDEPENDENT_CODE = 30,
    /// <summary>(unsigned int) Minimum CTAs per SM hint.</summary>
    CU_JIT_MIN_CTA_PER_SM = 31,
    /// <summary>(unsigned int) Maximum threads per block.</summary>
    CU_JIT_MAX_THREADS_PER_BLOCK = 32,
    /// <summary>(int) Let the JIT options override PTX directives.</summary>
    CU_JIT_OVERRIDE_DIRECTIVE_VALUES = 33,
    /// <summary>(int) Split compilation thread count.</summary>
    CU_JIT_SPLIT_COMPILE = 34,
    /// <summary>Number of options.</summary>
    CU_JIT_NUM_OPTIONS = 35,
}

/// <summary>Context limits for cuCtxSetLimit/cuCtxGetLimit (cuda.h <c>CUlimit</c>).</summary>
public enum CUlimit
{
    /// <summary>GPU thread stack size.</summary>
    CU_LIMIT_STACK_SIZE = 0,
    /// <summary>printf FIFO size.</summary>
    CU_LIMIT_PRINTF_FIFO_SIZE = 1,
    /// <summary>Device malloc heap size.</summary>
    CU_LIMIT_MALLOC_HEAP_SIZE = 2,
    /// <summary>Device runtime synchronisation depth.</summary>
    CU_LIMIT_DEV_RUNTIME_SYNC_DEPTH = 3,
    /// <summary>Device runtime pending launch count.</summary>
    CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT = 4,
    /// <summary>L2 fetch granularity.</summary>
    CU_LIMIT_MAX_L2_FETCH_GRANULARITY = 5,
    /// <summary>Persisting L2 cache size.</summary>
    CU_LIMIT_PERSISTING_L2_CACHE_SIZE = 6,
    /// <summary>Shared memory size (CIG).</summary>
    CU_LIMIT_SHMEM_SIZE = 7,
    /// <summary>CIG enabled.</summary>
    CU_LIMIT_CIG_ENABLED = 8,
    /// <summary>CIG shared-memory fallback.</summary>
    CU_LIMIT_CIG_SHMEM_FALLBACK_ENABLED = 9,
    /// <summary>One past the last limit.</summary>
    CU_LIMIT_MAX = 10,
}
