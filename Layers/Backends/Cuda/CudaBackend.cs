using System.Runtime.InteropServices;
using NativeNets.Native;
using NativeNets.Tensors;

namespace NativeNets.Backends;

/// <summary>
/// The CUDA backend: every op is a thin call into cuBLAS, cuDNN or one of the project's NVRTC kernels
/// (runtime/kernels/*.cu), queued on one explicit stream per device, as llm.c does. Host copies wait for the stream;
/// everything else is asynchronous until <see cref="Synchronize"/> or a result is read back. One file per kernel
/// family, mirroring the CPU backend. F32 and F64; F16 and BF16 with F32 compute and one rounding per output
/// (CudaReducedPrecision.cs), as the CPU backend does them.
/// </summary>
public sealed unsafe partial class CudaBackend : Backend, IDisposable
{
    private static readonly Dictionary<int, CudaBackend> Instances = new();

    private readonly nint _context;
    private readonly nint _stream;
    private readonly nint _cublas;
    private readonly nint _cudnn;
    private readonly CudaKernels _kernels;
    private bool _disposed;

    /// <summary>The backend of CUDA device <paramref name="index"/>, made on first use; a clear error where there is none.</summary>
    public static CudaBackend ForDevice(int index)
    {
        lock (Instances)
        {
            if (Instances.TryGetValue(index, out var known)) return known;
            var backend = new CudaBackend(index);
            Instances[index] = backend;
            return backend;
        }
    }

    private CudaBackend(int index)
    {
        var count = CudaDevices.Count(); // throws CudaUnavailableException with the reason
        if (index >= count)
            throw new CudaUnavailableException($"cuda:{index} does not exist: {count} CUDA device(s) found");
        Info = CudaDevices.Describe(index);
        Device = Device.Cuda(index);
        nint ctx, stream, blas, dnn;
        Cuda.Check(Cuda.cuDevicePrimaryCtxRetain(&ctx, index));
        _context = ctx;
        MakeCurrent();
        Cuda.Check(Cuda.cuStreamCreate(&stream, CUstream_flags.CU_STREAM_NON_BLOCKING));
        _stream = stream;
        KeepPoolMemory(index);
        CudaLibraries.Require(NativeLibraries.Cublas);
        Cublas.Check(Cublas.cublasCreate_v2(&blas));
        _cublas = blas;
        Cublas.Check(Cublas.cublasSetStream_v2(_cublas, _stream));
        CudaLibraries.Require(NativeLibraries.Cudnn);
        Cudnn.Check(Cudnn.cudnnCreate(&dnn));
        _cudnn = dnn;
        Cudnn.Check(Cudnn.cudnnSetStream(_cudnn, _stream));
        CudaLibraries.Require(NativeLibraries.Nvrtc);
        _kernels = new CudaKernels(this, Info.ComputeCapability);
        AllowTf32 = Environment.GetEnvironmentVariable("NATIVENETS_TF32") == "1";
        ApplyMathModes();
    }

    public override Device Device { get; }
    public override string Name => $"cuda ({Info.Name}, sm_{Info.ComputeCapability})";

    /// <summary>What the driver says about this device.</summary>
    public CudaDeviceInfo Info { get; }

    /// <summary>
    /// The stream (a CUstream, non-blocking) every op of this backend is queued on, in the order the ops are called: one
    /// stream per device, shared by every tensor and layer on it. Embedders order their own work with ours through it:
    /// to let us read what their stream wrote, record an event on their stream and <c>cuStreamWaitEvent(Stream, event, 0)</c>
    /// before calling our ops; to read what we wrote, record an event on <see cref="Stream"/> (<c>cuEventRecord(event, Stream)</c>)
    /// after our ops and make their stream wait for it (or call <see cref="Synchronize"/>). Copies to and from the host
    /// (<c>CopyFromHost</c>, <c>ToArray</c>) wait for the stream before they return; other ops return once queued.
    /// Device memory we free (<see cref="Tensor.Dispose"/>) goes back to the pool in stream order, so it must not be
    /// used by work on other streams that is not ordered before the free.
    /// </summary>
    public nint Stream => _stream;

    /// <summary>The cuBLAS and cuDNN handles, bound to <see cref="Stream"/>.</summary>
    public nint CublasHandle => _cublas;
    public nint CudnnHandle => _cudnn;

    /// <summary>
    /// Batch norm in training through cuDNN's CUDNN_BATCHNORM_SPATIAL_PERSISTENT instead of CUDNN_BATCHNORM_SPATIAL: cuDNN
    /// documents it as faster for some shapes, and for NCHW it may reduce with scaled integer atomics that overflow (to NaN
    /// or infinity) on inputs of extreme range. Off by default; NATIVENETS_BN_PERSISTENT=1 sets it at start-up, to compare.
    /// </summary>
    public bool BatchNormPersistent { get; set; } = Environment.GetEnvironmentVariable("NATIVENETS_BN_PERSISTENT") == "1";

    /// <summary>Persistent where asked, and always for channels-last data (as PyTorch: cuDNN's NHWC batch norm kernels).</summary>
    private cudnnBatchNormMode_t TrainingBatchNormMode(Tensor x) =>
        BatchNormPersistent || x.Layout == Layout.NHWC ? cudnnBatchNormMode_t.CUDNN_BATCHNORM_SPATIAL_PERSISTENT : cudnnBatchNormMode_t.CUDNN_BATCHNORM_SPATIAL;

    private bool _allowTf32;

    /// <summary>
    /// Whether F32 GEMMs and convolutions may use TF32 tensor cores (10-bit mantissa products). Off by default and in the
    /// tests, so that results match the CPU backend; the F32 benchmarks turn it on as PyTorch users do
    /// (NATIVENETS_TF32=1 sets it at start-up).
    /// </summary>
    public bool AllowTf32
    {
        get => _allowTf32;
        set
        {
            _allowTf32 = value;
            if (_cublas != 0) ApplyMathModes();
        }
    }

    private void ApplyMathModes()
    {
        MakeCurrent();
        Cublas.Check(Cublas.cublasSetMathMode(_cublas, _allowTf32 ? cublasMath_t.CUBLAS_TF32_TENSOR_OP_MATH : cublasMath_t.CUBLAS_PEDANTIC_MATH));
        ClearConvolutionPlans();
    }

    [ThreadStatic] private static nint _currentContext;

    /// <summary>Makes this device's primary context current on the calling thread (cheap when it already is).</summary>
    internal void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_currentContext == _context) return;
        Cuda.Check(Cuda.cuCtxSetCurrent(_context));
        _currentContext = _context;
    }

    /// <summary>Stream-ordered allocations come back to the pool when freed; keep them there (as PyTorch's caching allocator does) instead of returning them to the driver at every synchronisation.</summary>
    private static void KeepPoolMemory(int index)
    {
        nint pool;
        if (Cuda.cuDeviceGetDefaultMemPool(&pool, index) != CUresult.CUDA_SUCCESS) return;
        ulong threshold = ulong.MaxValue;
        Cuda.Check(Cuda.cuMemPoolSetAttribute(pool, CUmemPool_attribute.CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &threshold));
    }

    /// <summary>The most device memory in use at once (from the stream-ordered pool) since the last <see cref="ResetPeakMemory"/>.</summary>
    public long PeakMemoryBytes() => (long)PoolAttribute(CUmemPool_attribute.CU_MEMPOOL_ATTR_USED_MEM_HIGH);

    /// <summary>Device memory in use now from the stream-ordered pool (after the work queued so far), for finding leaks.</summary>
    public long MemoryInUseBytes()
    {
        Synchronize();
        return (long)PoolAttribute(CUmemPool_attribute.CU_MEMPOOL_ATTR_USED_MEM_CURRENT);
    }

    /// <summary>A ulong attribute of this device's default stream-ordered memory pool.</summary>
    private ulong PoolAttribute(CUmemPool_attribute attribute)
    {
        MakeCurrent();
        nint pool;
        Cuda.Check(Cuda.cuDeviceGetDefaultMemPool(&pool, Device.Index));
        ulong value;
        Cuda.Check(Cuda.cuMemPoolGetAttribute(pool, attribute, &value));
        return value;
    }

    public void ResetPeakMemory()
    {
        MakeCurrent();
        nint pool;
        Cuda.Check(Cuda.cuDeviceGetDefaultMemPool(&pool, Device.Index));
        ulong zero = 0;
        Cuda.Check(Cuda.cuMemPoolSetAttribute(pool, CUmemPool_attribute.CU_MEMPOOL_ATTR_USED_MEM_HIGH, &zero));
    }

    // ---- memory -------------------------------------------------------------------------------

    public override Storage Allocate(long bytes) => new CudaStorage(this, bytes);

    /// <summary>Stream-ordered allocation, zero-filled (as CPU storage is), with an out-of-memory error that says how much was asked and what was free.</summary>
    internal nint AllocateDevice(long bytes)
    {
        MakeCurrent();
        if (bytes == 0) return 0;
        nint p;
        var status = Cuda.cuMemAllocAsync(&p, (nuint)bytes, _stream);
        if (status == CUresult.CUDA_ERROR_OUT_OF_MEMORY)
        {
            nuint free, total;
            Cuda.cuMemGetInfo(&free, &total);
            throw new CudaOutOfMemoryException($"cuMemAllocAsync({bytes:N0} bytes) on {Device}", "CUDA_ERROR_OUT_OF_MEMORY",
                $"out of memory on {Device} ({Info.Name}): {bytes:N0} bytes asked, {(ulong)free:N0} of {(ulong)total:N0} bytes free; " +
                "use a smaller batch, or free tensors (Dispose) that are no longer needed", nameof(CudaBackend), 0);
        }
        Cuda.Check(status);
        Cuda.Check(Cuda.cuMemsetD8Async(p, 0, (nuint)bytes, _stream));
        return p;
    }

    /// <summary>Frees stream-ordered memory; may run on the finalizer thread, so it never throws.</summary>
    internal void FreeDevice(nint pointer)
    {
        if (pointer == 0 || _disposed) return;
        if (_currentContext != _context && Cuda.cuCtxSetCurrent(_context) == CUresult.CUDA_SUCCESS) _currentContext = _context;
        Cuda.cuMemFreeAsync(pointer, _stream);
    }

    /// <summary>
    /// A CPU tensor in page-locked host memory (cuMemHostAlloc, portable to every context): the CPU backend uses it like
    /// any host tensor, and copies from it to this device run by DMA at the bus's speed instead of through the driver's
    /// staging buffer. Image loaders assemble their batches in it on a GPU run (<c>ImageLoaderOptions.BatchAllocator</c>).
    /// Pinned memory is a scarce system resource: keep a few batches of it, not a dataset. Disposing the tensor frees it.
    /// </summary>
    public Tensor NewPinnedHostTensor(int[] dims, DType dtype, Layout layout = Layout.NCHW)
    {
        var bytes = Tensor.BytesOf(dims, dtype);
        MakeCurrent();
        var buffer = PinnedHostBuffer.Allocate(CpuStorage.AllocationBytes(bytes));
        try
        {
            return Tensor.OverStorage(new PinnedHostStorage(buffer, bytes), dims, dtype, layout);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    public override void CopyFromHost(nint source, Tensor destination)
    {
        Check.OnDevice(nameof(CopyFromHost), Device, destination);
        MakeCurrent();
        // The caller's host memory may be freed as soon as we return: wait for the copy.
        Cuda.Check(Cuda.cuMemcpyHtoDAsync(destination.Pointer, (void*)source, (nuint)destination.Bytes, _stream));
        Cuda.Check(Cuda.cuStreamSynchronize(_stream));
    }

    public override void CopyToHost(Tensor source, nint destination)
    {
        Check.OnDevice(nameof(CopyToHost), Device, source);
        MakeCurrent();
        Cuda.Check(Cuda.cuMemcpyDtoHAsync((void*)destination, source.Pointer, (nuint)source.Bytes, _stream));
        Cuda.Check(Cuda.cuStreamSynchronize(_stream));
    }

    public override void Copy(Tensor source, Tensor destination)
    {
        Check.OnDevice(nameof(Copy), Device, source, destination);
        Check.SameDType(nameof(Copy), source, destination);
        Check.SameCount(nameof(Copy), source, destination);
        MakeCurrent();
        if (source.Bytes == 0 || source.Pointer == destination.Pointer) return;
        Cuda.Check(Cuda.cuMemcpyDtoDAsync(destination.Pointer, source.Pointer, (nuint)source.Bytes, _stream));
    }

    public override void Synchronize()
    {
        MakeCurrent();
        Cuda.Check(Cuda.cuStreamSynchronize(_stream));
    }

    /// <summary>Copies a small host array to a device scratch buffer that lives until the stream has used it.</summary>
    private ScratchBuffer Upload<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        var bytes = (long)values.Length * sizeof(T);
        var scratch = new ScratchBuffer(this, bytes);
        fixed (T* p = values)
            Cuda.Check(Cuda.cuMemcpyHtoDAsync(scratch.Pointer, p, (nuint)bytes, _stream));
        // The source is pageable managed memory: the async copy has staged it once this returns only if we wait.
        Cuda.Check(Cuda.cuStreamSynchronize(_stream));
        return scratch;
    }

    /// <summary>A temporary device buffer: freed in stream order, so kernels queued before the free still see it.</summary>
    private readonly struct ScratchBuffer : IDisposable
    {
        private readonly CudaBackend _owner;
        public readonly nint Pointer;

        public ScratchBuffer(CudaBackend owner, long bytes)
        {
            _owner = owner;
            Pointer = owner.AllocateDevice(Math.Max(bytes, 16));
        }

        public void Dispose() => _owner.FreeDevice(Pointer);
    }

    /// <summary>Reads a few values back from the device, waiting for the stream.</summary>
    private T[] Download<T>(nint pointer, int count) where T : unmanaged
    {
        var result = new T[count];
        fixed (T* p = result)
            Cuda.Check(Cuda.cuMemcpyDtoHAsync(p, pointer, (nuint)(count * sizeof(T)), _stream));
        Cuda.Check(Cuda.cuStreamSynchronize(_stream));
        return result;
    }

    private static NotSupportedException Unsupported(string op, Tensor t) =>
        new($"{op}: dtype {t.DType.Name()} is not supported by the CUDA backend (F32, F64, F16 and BF16 are)");

    /// <summary>The kernel suffix of a floating tensor: f32, f64, or f16 / bf16 (float arithmetic, one rounding per output).</summary>
    private static string Suffix(string op, Tensor t) => t.DType switch
    {
        DType.F32 => "f32",
        DType.F64 => "f64",
        DType.F16 => "f16",
        DType.BF16 => "bf16",
        _ => throw Unsupported(op, t),
    };

    public void Dispose()
    {
        lock (Instances)
        {
            if (_disposed) return;
            try
            {
                MakeCurrent();
                Cuda.cuStreamSynchronize(_stream);
                DisposeConvolutionPlans();
                _kernels.Dispose();
                Cudnn.cudnnDestroy(_cudnn);
                Cublas.cublasDestroy_v2(_cublas);
                Cuda.cuStreamDestroy(_stream);
                Cuda.cuDevicePrimaryCtxRelease(Device.Index);
            }
            finally
            {
                _disposed = true;
                Instances.Remove(Device.Index);
            }
        }
    }
}

/// <summary>No CUDA device can be used here: no driver, no device, or the ordinal asked for does not exist. The message says which.</summary>
public sealed class CudaUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Device memory allocated from the stream-ordered pool of its backend's device.</summary>
public sealed class CudaStorage : Storage
{
    private readonly CudaBackend _backend;
    private nint _pointer;

    internal CudaStorage(CudaBackend backend, long bytes) : base(backend.Device, bytes)
    {
        _backend = backend;
        _pointer = backend.AllocateDevice(bytes);
    }

    public override nint Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return _pointer;
        }
    }

    protected override void Free()
    {
        _backend.FreeDevice(_pointer);
        _pointer = 0;
    }
}
