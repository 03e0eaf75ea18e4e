using Microsoft.Win32.SafeHandles;

namespace NativeNets.Native;

/// <summary>
/// Makes a context current for the length of a release and restores the previous one. A SafeHandle may be released
/// on another thread (the finalizer, a pool's cleanup), where the context that owns the resource is not current;
/// cuModuleUnload and cuMemFreeHost act on the current context. Never throws.
/// </summary>
internal readonly unsafe ref struct ContextScope
{
    private readonly bool _pushed;

    /// <summary>Pushes ctx unless it is 0 or already current.</summary>
    public ContextScope(nint ctx)
    {
        if (ctx == 0) return;
        nint current;
        if (Cuda.cuCtxGetCurrent(&current) != CUresult.CUDA_SUCCESS || current == ctx) return;
        _pushed = Cuda.cuCtxPushCurrent(ctx) == CUresult.CUDA_SUCCESS;
    }

    /// <summary>Pops the context pushed by the constructor, if any.</summary>
    public void Dispose()
    {
        if (!_pushed) return;
        nint popped;
        Cuda.cuCtxPopCurrent(&popped);
    }

    /// <summary>The calling thread's current context, or 0 (never throws).</summary>
    public static nint Current()
    {
        nint ctx = 0;
        return Cuda.cuCtxGetCurrent(&ctx) == CUresult.CUDA_SUCCESS ? ctx : 0;
    }
}

/// <summary>A reference to a device's primary context (cuDevicePrimaryCtxRetain); disposing releases the reference.</summary>
public sealed unsafe class CudaPrimaryContext : SafeHandleZeroOrMinusOneIsInvalid
{
    private CudaPrimaryContext() : base(ownsHandle: true) { }

    /// <summary>The device ordinal whose primary context this is.</summary>
    public int Device { get; private set; }

    /// <summary>The CUcontext handle.</summary>
    public nint Context => handle;

    /// <summary>Retains the device's primary context (cuInit must have run) and, if makeCurrent, binds it to this thread.</summary>
    public static CudaPrimaryContext Retain(int device, bool makeCurrent = true)
    {
        nint ctx;
        Cuda.Check(Cuda.cuDevicePrimaryCtxRetain(&ctx, device));
        var result = new CudaPrimaryContext { Device = device };
        result.SetHandle(ctx);
        if (makeCurrent) result.MakeCurrent();
        return result;
    }

    /// <summary>Binds the context to the calling thread (every thread that calls CUDA must do this once).</summary>
    public void MakeCurrent() => Cuda.Check(Cuda.cuCtxSetCurrent(handle));

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => Cuda.cuDevicePrimaryCtxRelease(Device) == CUresult.CUDA_SUCCESS;
}

/// <summary>An owned CUDA stream (cuStreamCreate); disposing destroys it after its pending work.</summary>
public sealed unsafe class CudaStream : SafeHandleZeroOrMinusOneIsInvalid
{
    private CudaStream() : base(ownsHandle: true) { }

    /// <summary>The CUstream handle.</summary>
    public nint Handle => handle;

    /// <summary>Creates a stream in the current context; non-blocking by default, so it never syncs with the legacy stream.</summary>
    public static CudaStream Create(CUstream_flags flags = CUstream_flags.CU_STREAM_NON_BLOCKING)
    {
        nint s;
        Cuda.Check(Cuda.cuStreamCreate(&s, flags));
        var stream = new CudaStream();
        stream.SetHandle(s);
        return stream;
    }

    /// <summary>Creates a stream with a priority (lower number = higher priority; see cuCtxGetStreamPriorityRange).</summary>
    public static CudaStream CreateWithPriority(int priority, CUstream_flags flags = CUstream_flags.CU_STREAM_NON_BLOCKING)
    {
        nint s;
        Cuda.Check(Cuda.cuStreamCreateWithPriority(&s, flags, priority));
        var stream = new CudaStream();
        stream.SetHandle(s);
        return stream;
    }

    /// <summary>Blocks until the stream's work is done; throws on an earlier asynchronous error.</summary>
    public void Synchronize() => Cuda.Check(Cuda.cuStreamSynchronize(handle));

    /// <summary>Makes later work on this stream wait for the event.</summary>
    public void Wait(CudaEvent e) => Cuda.Check(Cuda.cuStreamWaitEvent(handle, e.Handle, CUevent_wait_flags.CU_EVENT_WAIT_DEFAULT));

    /// <summary>True when all work on the stream has completed.</summary>
    public bool IsDone()
    {
        var r = Cuda.cuStreamQuery(handle);
        if (r == CUresult.CUDA_ERROR_NOT_READY) return false;
        Cuda.Check(r, "cuStreamQuery");
        return true;
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => Cuda.cuStreamDestroy(handle) == CUresult.CUDA_SUCCESS;
}

/// <summary>An owned CUDA event (cuEventCreate); disposing destroys it.</summary>
public sealed unsafe class CudaEvent : SafeHandleZeroOrMinusOneIsInvalid
{
    private CudaEvent() : base(ownsHandle: true) { }

    /// <summary>The CUevent handle.</summary>
    public nint Handle => handle;

    /// <summary>Creates an event; timing is disabled by default (cheapest, synchronisation only).</summary>
    public static CudaEvent Create(CUevent_flags flags = CUevent_flags.CU_EVENT_DISABLE_TIMING)
    {
        nint e;
        Cuda.Check(Cuda.cuEventCreate(&e, flags));
        var result = new CudaEvent();
        result.SetHandle(e);
        return result;
    }

    /// <summary>Records the event at the current end of the stream.</summary>
    public void Record(CudaStream stream) => Cuda.Check(Cuda.cuEventRecord(handle, stream.Handle));

    /// <summary>Records the event at the current end of a raw stream handle (0 is the legacy default stream).</summary>
    public void Record(nint stream) => Cuda.Check(Cuda.cuEventRecord(handle, stream));

    /// <summary>Blocks until the event has completed.</summary>
    public void Synchronize() => Cuda.Check(Cuda.cuEventSynchronize(handle));

    /// <summary>True when the work before the event has completed.</summary>
    public bool IsDone()
    {
        var r = Cuda.cuEventQuery(handle);
        if (r == CUresult.CUDA_ERROR_NOT_READY) return false;
        Cuda.Check(r, "cuEventQuery");
        return true;
    }

    /// <summary>Milliseconds from start to this event; both must be timing events and completed.</summary>
    public float ElapsedSince(CudaEvent start)
    {
        float ms;
        Cuda.Check(Cuda.cuEventElapsedTime(&ms, start.Handle, handle));
        return ms;
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => Cuda.cuEventDestroy(handle) == CUresult.CUDA_SUCCESS;
}

/// <summary>A loaded module (cuModuleLoadData) of cubin or PTX; disposing unloads it in the context it was loaded in.</summary>
public sealed unsafe class CudaModule : SafeHandleZeroOrMinusOneIsInvalid
{
    private nint _context;

    private CudaModule() : base(ownsHandle: true) { }

    /// <summary>The CUmodule handle.</summary>
    public nint Handle => handle;

    /// <summary>Loads a cubin, fatbin or PTX image into the current context. PTX must end with a NUL byte
    /// (Nvrtc.Compile's PTX output does).</summary>
    public static CudaModule Load(ReadOnlySpan<byte> image)
    {
        if (image.IsEmpty) throw new ArgumentException("the module image is empty", nameof(image));
        nint m;
        fixed (byte* p = image) Cuda.Check(Cuda.cuModuleLoadData(&m, p));
        var module = new CudaModule { _context = ContextScope.Current() };
        module.SetHandle(m);
        return module;
    }

    /// <summary>The handle of an extern "C" kernel; CudaException naming the kernel if it is absent.</summary>
    public nint GetFunction(string name) => Cuda.ModuleFunction(handle, name);

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        using var scope = new ContextScope(_context);
        return Cuda.cuModuleUnload(handle) == CUresult.CUDA_SUCCESS;
    }
}

/// <summary>An executable graph (cuGraphInstantiateWithFlags); disposing destroys it.</summary>
public sealed unsafe class CudaGraphExec : SafeHandleZeroOrMinusOneIsInvalid
{
    private CudaGraphExec() : base(ownsHandle: true) { }

    /// <summary>The CUgraphExec handle.</summary>
    public nint Handle => handle;

    /// <summary>Instantiates a graph (the graph itself stays owned by the caller, who may destroy it afterwards).</summary>
    public static CudaGraphExec Instantiate(nint graph, CUgraphInstantiate_flags flags = CUgraphInstantiate_flags.None)
    {
        nint exec;
        Cuda.Check(Cuda.cuGraphInstantiateWithFlags(&exec, graph, flags));
        var result = new CudaGraphExec();
        result.SetHandle(exec);
        return result;
    }

    /// <summary>Captures what <paramref name="record"/> enqueues on the stream into a graph, instantiates it and frees the graph.</summary>
    public static CudaGraphExec Capture(CudaStream stream, Action record, CUstreamCaptureMode mode = CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(record);
        Cuda.Check(Cuda.cuStreamBeginCapture(stream.Handle, mode));
        try
        {
            record();
        }
        catch
        {
            // End the capture even when recording threw, or the stream stays unusable; keep the recording's exception.
            nint partial = 0;
            if (Cuda.cuStreamEndCapture(stream.Handle, &partial) == CUresult.CUDA_SUCCESS && partial != 0) Cuda.cuGraphDestroy(partial);
            throw;
        }
        nint graph;
        Cuda.Check(Cuda.cuStreamEndCapture(stream.Handle, &graph));
        try
        {
            return Instantiate(graph);
        }
        finally
        {
            Cuda.cuGraphDestroy(graph);
        }
    }

    /// <summary>Launches the graph on a stream.</summary>
    public void Launch(CudaStream stream) => Cuda.Check(Cuda.cuGraphLaunch(handle, stream.Handle));

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => Cuda.cuGraphExecDestroy(handle) == CUresult.CUDA_SUCCESS;
}

/// <summary>Page-locked host memory (cuMemHostAlloc) for asynchronous copies; disposing frees it (cuMemFreeHost).</summary>
public sealed unsafe class PinnedHostBuffer : SafeHandleZeroOrMinusOneIsInvalid
{
    private nint _context;

    private PinnedHostBuffer() : base(ownsHandle: true) { }

    /// <summary>Start of the buffer in host memory.</summary>
    public nint Pointer => handle;

    /// <summary>Size of the buffer in bytes.</summary>
    public nuint Bytes { get; private set; }

    /// <summary>Allocates pinned host memory in the current context (flags: Cuda.CU_MEMHOSTALLOC_*; PORTABLE by default, so every context may use it).</summary>
    public static PinnedHostBuffer Allocate(nuint bytes, uint flags = Cuda.CU_MEMHOSTALLOC_PORTABLE)
    {
        if (bytes == 0) throw new ArgumentOutOfRangeException(nameof(bytes), "a pinned buffer needs at least one byte");
        void* p;
        Cuda.Check(Cuda.cuMemHostAlloc(&p, bytes, flags));
        var buffer = new PinnedHostBuffer { Bytes = bytes, _context = ContextScope.Current() };
        buffer.SetHandle((nint)p);
        return buffer;
    }

    /// <summary>The buffer as a span of T (the buffer must hold at most int.MaxValue elements).</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        var count = Bytes / (nuint)sizeof(T);
        if (count > int.MaxValue) throw new InvalidOperationException($"the pinned buffer holds {count} elements, more than a span can");
        return new Span<T>((void*)handle, (int)count);
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        using var scope = new ContextScope(_context);
        return Cuda.cuMemFreeHost((void*)handle) == CUresult.CUDA_SUCCESS;
    }
}
