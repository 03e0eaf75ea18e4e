using System.Diagnostics;
using NativeNets.Backends;
using NativeNets.Native;
using NativeNets.Tensors;
using NcclComm = NativeNets.Native.NcclCommunicator;

namespace NativeNets.Distributed;

/// <summary>
/// NCCL across GPUs and processes, one GPU per rank. Collectives run on a communication stream of their own, ordered
/// against the <see cref="CudaBackend"/>'s compute stream with events: a collective waits for an event recorded on the
/// compute stream when it starts, and <see cref="CollectiveHandle.Wait"/> makes the compute stream wait for the
/// collective's end event. The host never blocks, so an all-reduce overlaps the rest of backward. The communicator is
/// bootstrapped over MPI (rank 0 makes the unique id, MPI_Bcast shares it); CPU tensors (counts, flags) go to that
/// MPI communicator. A watchdog thread polls every collective in flight and ncclCommGetAsyncError; when NCCL reports an
/// error or a collective outlives <see cref="Communicator.Timeout"/>, it aborts the NCCL communicator (so the kernels
/// of the dead collective return), prints which rank and collective, and (<see cref="AbortJobOnFault"/>, the default)
/// ends the job through MPI_Abort so that no rank hangs. Without that, the fault is thrown by the next collective or
/// Wait. Untested here: no GPU on the development machines; the CPU build only proves it compiles.
/// </summary>
public sealed unsafe class NcclCommunicator : Communicator
{
    private readonly MpiCommunicator _bootstrap;
    private readonly CudaBackend _backend;
    private readonly NcclComm _comm;
    private readonly CudaStream _stream;
    private readonly Thread _watchdog;
    private readonly Queue<Pending> _pending = new();
    private readonly Lock _lock = new();
    private volatile CommunicatorException? _fault;
    private volatile bool _stopping;
    private bool _disposed;
    private long _sequence;

    private NcclCommunicator(MpiCommunicator bootstrap, CudaBackend backend, ncclUniqueId id)
    {
        _bootstrap = bootstrap;
        _backend = backend;
        backend.MakeCurrent();
        try
        {
            _comm = NcclComm.InitRank(bootstrap.Size, id, bootstrap.Rank);
        }
        catch (NcclException e)
        {
            throw new CommunicatorException($"{Where}: {e.Message}", Rank, Size, "ncclCommInitRank", e);
        }
        // The highest priority, so that communication kernels are scheduled as soon as they are ready, ahead of compute.
        int least, greatest;
        Cuda.Check(Cuda.cuCtxGetStreamPriorityRange(&least, &greatest));
        _stream = CudaStream.CreateWithPriority(greatest);
        Timeout = bootstrap.Timeout;
        _watchdog = new Thread(Watch) { Name = "NativeNets NCCL watchdog", IsBackground = true };
        _watchdog.Start();
    }

    /// <summary>
    /// Joins the NCCL communicator of all MPI ranks on <paramref name="backend"/>'s GPU (collective: every rank calls it).
    /// Rank 0 makes the unique id and MPI broadcasts it.
    /// </summary>
    public static NcclCommunicator Create(MpiCommunicator bootstrap, CudaBackend backend)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        ArgumentNullException.ThrowIfNull(backend);
        CudaLibraries.Require(NativeLibraries.Nccl);
        var id = default(ncclUniqueId);
        using var bytes = new Tensor([sizeof(ncclUniqueId)], DType.U8);
        if (bootstrap.Rank == 0)
        {
            id = Nccl.NewUniqueId();
            new ReadOnlySpan<byte>(&id, sizeof(ncclUniqueId)).CopyTo(bytes.Span<byte>());
        }
        bootstrap.Broadcast(bytes, root: 0);
        bytes.Span<byte>().CopyTo(new Span<byte>(&id, sizeof(ncclUniqueId)));
        return new NcclCommunicator(bootstrap, backend, id);
    }

    /// <inheritdoc/>
    public override int Rank => _bootstrap.Rank;

    /// <inheritdoc/>
    public override int Size => _bootstrap.Size;

    /// <inheritdoc/>
    public override int LocalRank => _bootstrap.LocalRank;

    /// <inheritdoc/>
    public override string Name => "nccl";

    /// <summary>The communication stream (for profiles: NCCL kernels run there).</summary>
    public nint Stream => _stream.Handle;

    /// <summary>
    /// When true (the default), a fault (NCCL error or timeout) ends the whole job through MPI_Abort after the message is
    /// printed, as PyTorch's NCCL watchdog does; when false it is only thrown by the next collective or Wait.
    /// </summary>
    public bool AbortJobOnFault { get; set; } = true;

    /// <inheritdoc/>
    public override CollectiveHandle AllReduceSumAsync(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Device.Kind == DeviceKind.Cpu) return _bootstrap.AllReduceSumAsync(x);
        var type = NcclType(x);
        var what = $"ncclAllReduce #{_sequence++} ({x.Count} x {x.DType.Name()})";
        return Enqueue(what, x, (comm, stream) =>
            Nccl.Check(Nccl.ncclAllReduce(x.Pointer, x.Pointer, (nuint)x.Count, type, ncclRedOp_t.ncclSum, comm, stream)));
    }

    /// <inheritdoc/>
    public override void Broadcast(Tensor x, int root)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckRoot(root);
        if (x.Device.Kind == DeviceKind.Cpu)
        {
            _bootstrap.Broadcast(x, root);
            return;
        }
        var what = $"ncclBroadcast #{_sequence++} ({x.Bytes} bytes from rank {root})";
        // As bytes: every dtype travels, and the count stays the tensor's size.
        Enqueue(what, x, (comm, stream) =>
            Nccl.Check(Nccl.ncclBroadcast(x.Pointer, x.Pointer, (nuint)x.Bytes, ncclDataType_t.ncclUint8, root, comm, stream))).Wait();
    }

    /// <summary>A host barrier over MPI; GPU work already queued is not waited for.</summary>
    public override void Barrier()
    {
        ThrowIfFaulted("barrier");
        _bootstrap.Barrier();
    }

    private CollectiveHandle Enqueue(string what, Tensor x, Action<nint, nint> collective)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfFaulted(what);
        if (x.Device != _backend.Device)
            throw new ArgumentException($"{Where}: {what}: {x} is on {x.Device}; this NCCL communicator is on {_backend.Device}");
        _backend.MakeCurrent();
        // The collective starts after everything queued so far on the compute stream (the gradients it reads).
        using (var ready = CudaEvent.Create())
        {
            ready.Record(_backend.Stream);
            _stream.Wait(ready); // destroying a waited-on event is allowed: its resources go once the wait is done
        }
        try
        {
            collective(_comm.Handle, _stream.Handle);
        }
        catch (NcclException e)
        {
            throw Fail(what, e.Message, e);
        }
        var done = CudaEvent.Create();
        done.Record(_stream);
        var pending = new Pending(what, done, Stopwatch.StartNew());
        lock (_lock) _pending.Enqueue(pending);
        return new Handle(this, pending);
    }

    private static ncclDataType_t NcclType(Tensor x) => x.DType switch
    {
        DType.F32 => ncclDataType_t.ncclFloat32,
        DType.F64 => ncclDataType_t.ncclFloat64,
        DType.F16 => ncclDataType_t.ncclFloat16,
        DType.BF16 => ncclDataType_t.ncclBfloat16,
        DType.I32 => ncclDataType_t.ncclInt32,
        _ => throw new NotSupportedException($"NCCL all-reduce of {x.DType.Name()} tensors is not supported (F32, F64, F16, BF16 and I32 are)"),
    };

    private void ThrowIfFaulted(string what)
    {
        if (_fault is { } fault)
            throw new CommunicatorException($"{fault.Message} (then {what} was asked)", Rank, Size, fault.Operation, fault);
    }

    /// <summary>Records the first fault, aborts the NCCL communicator, prints the message, and ends the job if asked.</summary>
    private CommunicatorException Fail(string what, string reason, Exception? inner = null)
    {
        lock (_lock)
        {
            if (_fault is not null) return _fault;
            var fault = new CommunicatorException($"{Where}: {what}: {reason}", Rank, Size, what, inner);
            _fault = fault;
            try
            {
                _comm.Abort();
            }
            catch (NcclException) { } // the communicator is gone either way
        }
        if (AbortJobOnFault) _bootstrap.Abort(_fault.Message);
        return _fault;
    }

    /// <summary>Polls the collectives in flight and NCCL's asynchronous error until disposed.</summary>
    private void Watch()
    {
        try
        {
            _backend.MakeCurrent();
        }
        catch (CudaException)
        {
            return;
        }
        while (!_stopping && _fault is null)
        {
            Pending? oldest;
            var status = ncclResult_t.ncclSuccess;
            NcclException? error = null;
            lock (_lock)
            {
                while (_pending.TryPeek(out var p) && p.Poll()) _pending.Dequeue();
                oldest = _pending.Count > 0 ? _pending.Peek() : null;
                // Under the lock: Fail may abort the communicator from another thread.
                try
                {
                    if (_fault is null) status = _comm.AsyncError();
                }
                catch (NcclException e)
                {
                    error = e;
                }
            }
            if (error is not null)
            {
                Fail("ncclCommGetAsyncError", error.Message, error);
                break;
            }
            if (status is not (ncclResult_t.ncclSuccess or ncclResult_t.ncclInProgress))
            {
                var last = Nccl.LastError();
                Fail(oldest?.What ?? "NCCL communicator", $"NCCL reported {status} ({Nccl.ErrorText(status)}){(last.Length > 0 ? ": " + last : "")}: a peer rank may have died");
                break;
            }
            if (oldest is not null && oldest.Clock.Elapsed > Timeout)
            {
                Fail(oldest.What, $"did not complete within {Timeout.TotalSeconds:0.###} s: another rank has died, hung, or called a different collective");
                break;
            }
            Thread.Sleep(oldest is null ? 20 : 1);
        }
    }

    /// <summary>Waits (bounded by the timeout) for the collectives in flight, frees the communicator, its stream and events, then the MPI bootstrap.</summary>
    public override void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var clock = Stopwatch.StartNew();
        while (_fault is null && clock.Elapsed < Timeout)
        {
            lock (_lock)
            {
                while (_pending.TryPeek(out var p) && p.Poll()) _pending.Dequeue();
                if (_pending.Count == 0) break;
            }
            Thread.Sleep(1);
        }
        _stopping = true;
        _watchdog.Join();
        lock (_lock)
        {
            if (_fault is null) _comm.Dispose();
            foreach (var p in _pending) p.Release();
            _pending.Clear();
        }
        _stream.Dispose();
        _bootstrap.Dispose(); // it was made for this communicator (Launch.CreateCommunicator); finalizes MPI
        base.Dispose();
    }

    /// <summary>One collective in flight: its end event, and whether the host has seen it finish and a Wait has consumed it.</summary>
    private sealed class Pending(string what, CudaEvent done, Stopwatch clock)
    {
        private readonly Lock _gate = new();
        private bool _finished;
        private bool _waited;

        public string What { get; } = what;
        public Stopwatch Clock { get; } = clock;

        /// <summary>True once the end event has fired (then no stream needs to wait for it).</summary>
        public bool Poll()
        {
            lock (_gate)
            {
                if (_finished) return true;
                if (!done.IsDone()) return false;
                _finished = true;
                if (_waited) done.Dispose();
                return true;
            }
        }

        /// <summary>Orders later work on <paramref name="stream"/> after the collective (nothing to do if it has finished).</summary>
        public void OrderBefore(nint stream)
        {
            lock (_gate)
            {
                if (_waited) return;
                _waited = true;
                if (_finished)
                {
                    done.Dispose();
                    return;
                }
                Cuda.Check(Cuda.cuStreamWaitEvent(stream, done.Handle, CUevent_wait_flags.CU_EVENT_WAIT_DEFAULT));
            }
        }

        public void Release()
        {
            lock (_gate) done.Dispose();
        }
    }

    private sealed class Handle(NcclCommunicator owner, Pending pending) : CollectiveHandle
    {
        public override bool IsCompleted => pending.Poll();

        public override void Wait()
        {
            owner.ThrowIfFaulted(pending.What);
            owner._backend.MakeCurrent();
            pending.OrderBefore(owner._backend.Stream);
        }
    }
}
