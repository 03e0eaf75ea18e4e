using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NativeNets.Native;

/// <summary>
/// Raw bindings of the CUDA driver API (libcuda.so.1), checked against cuda.h of CUDA 13.0. Functions keep their
/// native names. Where cuda.h #defines the plain name to a versioned symbol (cuMemAlloc -> cuMemAlloc_v2), the C#
/// method keeps the plain name and binds the versioned export through EntryPoint, as a C program compiled against
/// cuda.h would. The legacy-default-stream exports are bound (not the _ptds/_ptsz per-thread ones); NativeNets
/// always passes explicit non-blocking streams. Device pointers (CUdeviceptr) and handles are nint.
/// </summary>
public static unsafe partial class Cuda
{
    // ---- #define flag constants of cuda.h ----

    /// <summary>cuMemHostAlloc flag: pinned memory usable by all contexts.</summary>
    public const uint CU_MEMHOSTALLOC_PORTABLE = 0x01;
    /// <summary>cuMemHostAlloc flag: map the allocation into the device address space.</summary>
    public const uint CU_MEMHOSTALLOC_DEVICEMAP = 0x02;
    /// <summary>cuMemHostAlloc flag: write-combined memory (fast host-to-device, slow host reads).</summary>
    public const uint CU_MEMHOSTALLOC_WRITECOMBINED = 0x04;
    /// <summary>cuMemHostRegister flag: registered memory usable by all contexts.</summary>
    public const uint CU_MEMHOSTREGISTER_PORTABLE = 0x01;
    /// <summary>cuMemHostRegister flag: map into the device address space.</summary>
    public const uint CU_MEMHOSTREGISTER_DEVICEMAP = 0x02;
    /// <summary>cuMemHostRegister flag: the pointer is I/O memory.</summary>
    public const uint CU_MEMHOSTREGISTER_IOMEMORY = 0x04;
    /// <summary>cuMemHostRegister flag: the device only reads the memory.</summary>
    public const uint CU_MEMHOSTREGISTER_READ_ONLY = 0x08;

    // ---- Error handling ----

    /// <summary>Name of a status (e.g. "CUDA_ERROR_OUT_OF_MEMORY"); *pStr stays null for an unknown status.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuGetErrorName(CUresult error, byte** pStr);

    /// <summary>Description of a status; *pStr stays null for an unknown status.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuGetErrorString(CUresult error, byte** pStr);

    // ---- Initialisation, version, devices ----

    /// <summary>Initialises the driver API; Flags must be 0. Must precede every other call except the error and version calls.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuInit(uint Flags);

    /// <summary>The driver's CUDA version, 1000*major + 10*minor (13000 for CUDA 13.0).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuDriverGetVersion(int* driverVersion);

    /// <summary>Number of CUDA devices.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuDeviceGetCount(int* count);

    /// <summary>Device handle (CUdevice, an int) of an ordinal.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuDeviceGet(int* device, int ordinal);

    /// <summary>NUL-terminated device name into a buffer of len bytes.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuDeviceGetName(byte* name, int len, int dev);

    /// <summary>One integer attribute of a device.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuDeviceGetAttribute(int* pi, CUdevice_attribute attrib, int dev);

    /// <summary>Total device memory in bytes. cuda.h maps cuDeviceTotalMem to cuDeviceTotalMem_v2 (size_t result).</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuDeviceTotalMem_v2")]
    public static partial CUresult cuDeviceTotalMem(nuint* bytes, int dev);

    /// <summary>PCI bus id string ("0000:3b:00.0") into a buffer of len bytes (13 or more).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuDeviceGetPCIBusId(byte* pciBusId, int len, int dev);

    // ---- Contexts ----

    /// <summary>Retains (creating if needed) the device's primary context, the one the runtime API and cuDNN/cuBLAS use.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuDevicePrimaryCtxRetain(nint* pctx, int dev);

    /// <summary>Releases a reference to the primary context. cuda.h maps cuDevicePrimaryCtxRelease to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuDevicePrimaryCtxRelease_v2")]
    public static partial CUresult cuDevicePrimaryCtxRelease(int dev);

    /// <summary>Sets the primary context's flags (CUctx_flags) before it is active. cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuDevicePrimaryCtxSetFlags_v2")]
    public static partial CUresult cuDevicePrimaryCtxSetFlags(int dev, CUctx_flags flags);

    /// <summary>Creates a context. CUDA 13's cuda.h maps cuCtxCreate to cuCtxCreate_v4 (with a CUctxCreateParams*, may be null).</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuCtxCreate_v4")]
    public static partial CUresult cuCtxCreate(nint* pctx, void* ctxCreateParams, CUctx_flags flags, int dev);

    /// <summary>Destroys a context made by cuCtxCreate (never a primary context). cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuCtxDestroy_v2")]
    public static partial CUresult cuCtxDestroy(nint ctx);

    /// <summary>Binds a context to the calling thread (0 unbinds).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuCtxSetCurrent(nint ctx);

    /// <summary>The calling thread's current context (0 if none).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuCtxGetCurrent(nint* pctx);

    /// <summary>Pushes a context on the thread's stack. cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuCtxPushCurrent_v2")]
    public static partial CUresult cuCtxPushCurrent(nint ctx);

    /// <summary>Pops the thread's current context. cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuCtxPopCurrent_v2")]
    public static partial CUresult cuCtxPopCurrent(nint* pctx);

    /// <summary>Device of the current context.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuCtxGetDevice(int* device);

    /// <summary>Waits for all work of the current context; reports async errors of earlier launches.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuCtxSynchronize();

    /// <summary>Stream priority range of the current context (numerically lower is higher priority).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuCtxGetStreamPriorityRange(int* leastPriority, int* greatestPriority);

    /// <summary>Sets a context limit.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuCtxSetLimit(CUlimit limit, nuint value);

    /// <summary>Reads a context limit.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuCtxGetLimit(nuint* pvalue, CUlimit limit);

    // ---- Streams ----

    /// <summary>Creates a stream in the current context.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuStreamCreate(nint* phStream, CUstream_flags Flags);

    /// <summary>Creates a stream with a priority (see cuCtxGetStreamPriorityRange).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuStreamCreateWithPriority(nint* phStream, CUstream_flags flags, int priority);

    /// <summary>Destroys a stream once its work completes. cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuStreamDestroy_v2")]
    public static partial CUresult cuStreamDestroy(nint hStream);

    /// <summary>Blocks until the stream's work completes.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuStreamSynchronize(nint hStream);

    /// <summary>Makes later work on the stream wait for the event.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuStreamWaitEvent(nint hStream, nint hEvent, CUevent_wait_flags Flags);

    /// <summary>CUDA_SUCCESS if the stream's work is done, CUDA_ERROR_NOT_READY if not.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuStreamQuery(nint hStream);

    /// <summary>Enqueues a host function (a static [UnmanagedCallersOnly] method) on the stream.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuLaunchHostFunc(nint hStream, delegate* unmanaged<void*, void> fn, void* userData);

    // ---- Events ----

    /// <summary>Creates an event in the current context.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuEventCreate(nint* phEvent, CUevent_flags Flags);

    /// <summary>Destroys an event. cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuEventDestroy_v2")]
    public static partial CUresult cuEventDestroy(nint hEvent);

    /// <summary>Records the event at the current end of the stream.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuEventRecord(nint hEvent, nint hStream);

    /// <summary>Blocks until the event has completed.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuEventSynchronize(nint hEvent);

    /// <summary>CUDA_SUCCESS if the event has completed, CUDA_ERROR_NOT_READY if not.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuEventQuery(nint hEvent);

    /// <summary>Milliseconds between two recorded timing events. CUDA 12.8 added cuEventElapsedTime_v2 and CUDA 13's
    /// cuda.h maps cuEventElapsedTime to it (the v1 symbol is only declared for 11.4-12.9 builds).</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuEventElapsedTime_v2")]
    public static partial CUresult cuEventElapsedTime(float* pMilliseconds, nint hStart, nint hEnd);

    // ---- Memory ----

    /// <summary>Free and total memory of the current context's device. cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemGetInfo_v2")]
    public static partial CUresult cuMemGetInfo(nuint* free, nuint* total);

    /// <summary>Synchronous device allocation. cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemAlloc_v2")]
    public static partial CUresult cuMemAlloc(nint* dptr, nuint bytesize);

    /// <summary>Frees cuMemAlloc memory. cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemFree_v2")]
    public static partial CUresult cuMemFree(nint dptr);

    /// <summary>Stream-ordered allocation from the device's current memory pool.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuMemAllocAsync(nint* dptr, nuint bytesize, nint hStream);

    /// <summary>Stream-ordered free back to the pool.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuMemFreeAsync(nint dptr, nint hStream);

    /// <summary>The device's default memory pool.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuDeviceGetDefaultMemPool(nint* pool_out, int dev);

    /// <summary>Sets a pool attribute; value points to an int or a ulong (see CUmemPool_attribute).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuMemPoolSetAttribute(nint pool, CUmemPool_attribute attr, void* value);

    /// <summary>Reads a pool attribute; value points to an int or a ulong (see CUmemPool_attribute).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuMemPoolGetAttribute(nint pool, CUmemPool_attribute attr, void* value);

    /// <summary>Releases pool memory back to the OS, keeping at least minBytesToKeep reserved.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuMemPoolTrimTo(nint pool, nuint minBytesToKeep);

    /// <summary>Allocates page-locked host memory (flags: CU_MEMHOSTALLOC_*).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuMemHostAlloc(void** pp, nuint bytesize, uint Flags);

    /// <summary>Frees cuMemHostAlloc memory.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuMemFreeHost(void* p);

    /// <summary>Page-locks existing host memory (flags: CU_MEMHOSTREGISTER_*). cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemHostRegister_v2")]
    public static partial CUresult cuMemHostRegister(void* p, nuint bytesize, uint Flags);

    /// <summary>Unregisters memory registered by cuMemHostRegister.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuMemHostUnregister(void* p);

    /// <summary>Synchronous host-to-device copy. cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemcpyHtoD_v2")]
    public static partial CUresult cuMemcpyHtoD(nint dstDevice, void* srcHost, nuint ByteCount);

    /// <summary>Synchronous device-to-host copy. cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemcpyDtoH_v2")]
    public static partial CUresult cuMemcpyDtoH(void* dstHost, nint srcDevice, nuint ByteCount);

    /// <summary>Device-to-device copy. cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemcpyDtoD_v2")]
    public static partial CUresult cuMemcpyDtoD(nint dstDevice, nint srcDevice, nuint ByteCount);

    /// <summary>Asynchronous host-to-device copy (asynchronous only from pinned memory). cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemcpyHtoDAsync_v2")]
    public static partial CUresult cuMemcpyHtoDAsync(nint dstDevice, void* srcHost, nuint ByteCount, nint hStream);

    /// <summary>Asynchronous device-to-host copy (asynchronous only into pinned memory). cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemcpyDtoHAsync_v2")]
    public static partial CUresult cuMemcpyDtoHAsync(void* dstHost, nint srcDevice, nuint ByteCount, nint hStream);

    /// <summary>Asynchronous device-to-device copy. cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemcpyDtoDAsync_v2")]
    public static partial CUresult cuMemcpyDtoDAsync(nint dstDevice, nint srcDevice, nuint ByteCount, nint hStream);

    /// <summary>Asynchronous copy between any two unified addresses (host or device); cuMemcpyAsync is not versioned.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuMemcpyAsync(nint dst, nint src, nuint ByteCount, nint hStream);

    /// <summary>Synchronous byte fill of N bytes. cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemsetD8_v2")]
    public static partial CUresult cuMemsetD8(nint dstDevice, byte uc, nuint N);

    /// <summary>Synchronous fill of N 32-bit words. cuda.h maps the plain name to _v2.</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemsetD32_v2")]
    public static partial CUresult cuMemsetD32(nint dstDevice, uint ui, nuint N);

    /// <summary>Asynchronous byte fill of N bytes (not versioned in cuda.h).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuMemsetD8Async(nint dstDevice, byte uc, nuint N, nint hStream);

    /// <summary>Asynchronous fill of N 32-bit words (not versioned in cuda.h).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuMemsetD32Async(nint dstDevice, uint ui, nuint N, nint hStream);

    // ---- Modules and kernels ----

    /// <summary>Loads a module from a cubin, fatbin or NUL-terminated PTX image in host memory.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuModuleLoadData(nint* module, void* image);

    /// <summary>Loads a module with JIT options (optionValues holds each value cast to void*, or a pointer to it).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuModuleLoadDataEx(nint* module, void* image, uint numOptions, CUjit_option* options, void** optionValues);

    /// <summary>Unloads a module.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuModuleUnload(nint hmod);

    /// <summary>Kernel handle of a NUL-terminated (extern "C") kernel name; CUDA_ERROR_NOT_FOUND if absent.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuModuleGetFunction(nint* hfunc, nint hmod, byte* name);

    /// <summary>Reads a kernel attribute.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuFuncGetAttribute(int* pi, CUfunction_attribute attrib, nint hfunc);

    /// <summary>Sets a kernel attribute (e.g. MAX_DYNAMIC_SHARED_SIZE_BYTES before a launch with more than 48 KiB).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuFuncSetAttribute(nint hfunc, CUfunction_attribute attrib, int value);

    /// <summary>Launches a kernel; kernelParams holds one pointer per kernel argument, pointing at the argument's value.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuLaunchKernel(nint f,
        uint gridDimX, uint gridDimY, uint gridDimZ,
        uint blockDimX, uint blockDimY, uint blockDimZ,
        uint sharedMemBytes, nint hStream, void** kernelParams, void** extra);

    /// <summary>Active blocks per multiprocessor for a kernel at this block size and dynamic shared memory.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int* numBlocks, nint func, int blockSize, nuint dynamicSMemSize);

    // ---- Graphs (stream capture) ----

    /// <summary>Starts capturing the stream's work into a graph. cuda.h maps cuStreamBeginCapture to _v2 (with a mode).</summary>
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuStreamBeginCapture_v2")]
    public static partial CUresult cuStreamBeginCapture(nint hStream, CUstreamCaptureMode mode);

    /// <summary>Ends capture and returns the graph.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuStreamEndCapture(nint hStream, nint* phGraph);

    /// <summary>Capture status of a stream.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuStreamIsCapturing(nint hStream, CUstreamCaptureStatus* captureStatus);

    /// <summary>Instantiates a graph into an executable graph. cuda.h (CUDA 12+) maps cuGraphInstantiate to this function.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuGraphInstantiateWithFlags(nint* phGraphExec, nint hGraph, CUgraphInstantiate_flags flags);

    /// <summary>Launches an executable graph on a stream.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuGraphLaunch(nint hGraphExec, nint hStream);

    /// <summary>Destroys a graph.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuGraphDestroy(nint hGraph);

    /// <summary>Destroys an executable graph.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuGraphExecDestroy(nint hGraphExec);

    // ---- Profiler ----

    /// <summary>Starts profiler collection (for Nsight's --capture-range=cudaProfilerApi).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuProfilerStart();

    /// <summary>Stops profiler collection.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial CUresult cuProfilerStop();

    // ---- Status checking ----

    /// <summary>
    /// Throws <see cref="CudaException"/> (or <see cref="CudaOutOfMemoryException"/>) unless status is CUDA_SUCCESS.
    /// The compiler fills in the call text, file and line: <c>Cuda.Check(Cuda.cuMemAlloc(&amp;p, n));</c>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(CUresult status,
        [CallerArgumentExpression(nameof(status))] string call = "",
        [CallerFilePath] string file = "",
        [CallerLineNumber] int line = 0)
    {
        if (status != CUresult.CUDA_SUCCESS) Throw(status, call, file, line);
    }

    /// <summary>The exception <see cref="Check"/> would throw for a non-success status.</summary>
    public static CudaException Error(CUresult status, string call, string file = "", int line = 0) =>
        status == CUresult.CUDA_ERROR_OUT_OF_MEMORY
            ? new CudaOutOfMemoryException(call, ErrorName(status), ErrorText(status), file, line)
            : new CudaException(status, call, ErrorName(status), ErrorText(status), file, line);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(CUresult status, string call, string file, int line) => throw Error(status, call, file, line);

    /// <summary>
    /// The driver's name for a status (cuGetErrorName) when libcuda is loaded; otherwise the enum member's name;
    /// "CUDA error N" for a status neither knows (cuGetErrorName itself fails on unknown codes).
    /// </summary>
    public static string ErrorName(CUresult status)
    {
        if (TryDriverString(status, names: true, out var name)) return name;
        return Enum.IsDefined(status) ? status.ToString() : UnknownStatus(status);
    }

    /// <summary>The driver's description of a status (cuGetErrorString) when libcuda is loaded, else a fallback.</summary>
    public static string ErrorText(CUresult status)
    {
        if (TryDriverString(status, names: false, out var text)) return text;
        return Enum.IsDefined(status) ? "no description (libcuda not loaded)" : UnknownStatus(status);
    }

    /// <summary>"CUDA error N": how a status is written when neither the driver nor this enum knows it.</summary>
    public static string UnknownStatus(CUresult status) => $"CUDA error {(int)status}";

    private static bool TryDriverString(CUresult status, bool names, [NotNullWhen(true)] out string? value)
    {
        value = null;
        // Never load libcuda just to describe an error: without it (CPU machines, tests) the enum name serves.
        if (!NativeLibraries.Load(NativeLibraries.Cuda).Found) return false;
        try
        {
            byte* p = null;
            var r = names ? cuGetErrorName(status, &p) : cuGetErrorString(status, &p);
            if (r != CUresult.CUDA_SUCCESS || p == null) return false;
            value = Marshal.PtrToStringUTF8((nint)p);
            return value is not null;
        }
        catch (EntryPointNotFoundException) { return false; }
        catch (DllNotFoundException) { return false; }
        catch (NativeLibraryNotFoundException) { return false; }
    }

    // ---- Small managed helpers over the raw calls ----

    /// <summary>cuInit(0), checked.</summary>
    public static void Init() => Check(cuInit(0));

    /// <summary>The driver's CUDA version as (major, minor), e.g. (13, 0).</summary>
    public static (int Major, int Minor) DriverVersion()
    {
        int v;
        Check(cuDriverGetVersion(&v));
        return (v / 1000, v % 1000 / 10);
    }

    /// <summary>Number of devices (cuInit must have run).</summary>
    public static int DeviceCount()
    {
        int n;
        Check(cuDeviceGetCount(&n));
        return n;
    }

    /// <summary>One device attribute, checked.</summary>
    public static int DeviceAttribute(int device, CUdevice_attribute attribute)
    {
        int v;
        Check(cuDeviceGetAttribute(&v, attribute, device));
        return v;
    }

    /// <summary>The device's name, e.g. "NVIDIA H100 80GB HBM3".</summary>
    public static string DeviceName(int device)
    {
        var buffer = stackalloc byte[256];
        Check(cuDeviceGetName(buffer, 256, device));
        return Marshal.PtrToStringUTF8((nint)buffer) ?? "";
    }

    /// <summary>Total memory of the device in bytes.</summary>
    public static ulong DeviceTotalMemory(int device)
    {
        nuint bytes;
        Check(cuDeviceTotalMem(&bytes, device));
        return bytes;
    }

    /// <summary>Free and total bytes of the current context's device.</summary>
    public static (ulong Free, ulong Total) MemoryInfo()
    {
        nuint free, total;
        Check(cuMemGetInfo(&free, &total));
        return (free, total);
    }

    /// <summary>Sets a ulong-valued pool attribute (RELEASE_THRESHOLD, or 0 to reset a *_HIGH mark).</summary>
    public static void SetPoolAttribute(nint pool, CUmemPool_attribute attribute, ulong value) =>
        Check(cuMemPoolSetAttribute(pool, attribute, &value));

    /// <summary>Reads a ulong-valued pool attribute (RELEASE_THRESHOLD, RESERVED_MEM_*, USED_MEM_*).</summary>
    public static ulong GetPoolAttribute(nint pool, CUmemPool_attribute attribute)
    {
        ulong value;
        Check(cuMemPoolGetAttribute(pool, attribute, &value));
        return value;
    }

    /// <summary>The kernel handle of an extern "C" kernel in a module.</summary>
    public static nint ModuleFunction(nint module, string name)
    {
        var bytes = Utf8z(name);
        nint f;
        fixed (byte* p = bytes) Check(cuModuleGetFunction(&f, module, p), $"cuModuleGetFunction(\"{name}\")");
        return f;
    }

    /// <summary>A NUL-terminated UTF-8 copy of a string, for the byte* parameters.</summary>
    internal static byte[] Utf8z(string s)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
        System.Text.Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }
}

/// <summary>A CUDA driver call failed; the message names the call, the status (name, number, text) and the file and line.</summary>
public class CudaException : NativeCallException
{
    /// <summary>Builds the exception for a failed call; statusName and statusText come from the driver when it is loaded.</summary>
    public CudaException(CUresult status, string call, string statusName, string statusText, string file, int line)
        : base(NativeLibraries.Cuda, call, (int)status, statusName, statusText, file, line)
    {
        Result = status;
        StatusText = statusText;
    }

    /// <summary>The status the call returned.</summary>
    public CUresult Result { get; }

    /// <summary>The status's description.</summary>
    public string StatusText { get; }
}

/// <summary>The device ran out of memory (CUDA_ERROR_OUT_OF_MEMORY): callers may catch this one, free caches or shrink the batch, and retry.</summary>
public sealed class CudaOutOfMemoryException(string call, string statusName, string statusText, string file, int line)
    : CudaException(CUresult.CUDA_ERROR_OUT_OF_MEMORY, call, statusName, statusText, file, line);
