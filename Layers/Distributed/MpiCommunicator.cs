using System.Collections.Concurrent;
using NativeNets.Native;
using NativeNets.Tensors;

namespace NativeNets.Distributed;

/// <summary>
/// MPI_COMM_WORLD through Open MPI, for CPU tensors (F32, F64, I32 all-reduce; any dtype broadcast) and as the
/// bootstrap of <see cref="NcclCommunicator"/>. One communication thread makes every MPI call, from MPI_Init_thread to
/// MPI_Finalize, so MPI sees a single caller (MPI_THREAD_SERIALIZED is asked, FUNNELED would do) while the compute
/// threads go on: an all-reduce started with <see cref="AllReduceSumAsync"/> overlaps the rest of backward. Open MPI's
/// non-blocking collectives only progress inside MPI calls, which is why a thread is used instead of MPI_Iallreduce.
/// GPU tensors go through host memory (copied out when the all-reduce starts, back in Wait): correct, not fast; use
/// NCCL for them. Errors come back as codes (MPI_ERRORS_RETURN) and are thrown as <see cref="CommunicatorException"/>
/// naming the call and the rank. A collective that outlives <see cref="Communicator.Timeout"/> prints which one and
/// calls MPI_Abort, which makes mpirun end every rank with a non-zero status.
/// </summary>
public sealed unsafe class MpiCommunicator : Communicator
{
    private static readonly Lock InstanceLock = new();
    private static MpiCommunicator? _instance;
    private static bool _finalized;

    private readonly BlockingCollection<Work> _queue = new();
    private readonly Thread _thread;
    private int _rank;
    private int _size;
    private volatile bool _faulted;
    private bool _disposed;
    private long _sequence;

    private MpiCommunicator(int localRank)
    {
        LocalRank = localRank;
        _thread = new Thread(Loop) { Name = "NativeNets MPI", IsBackground = true };
        _thread.Start();
        var init = new Work("MPI_Init_thread", Initialize);
        _queue.Add(init);
        try
        {
            init.Completion.Task.GetAwaiter().GetResult(); // the cause itself, not an AggregateException
        }
        catch
        {
            _queue.CompleteAdding();
            throw;
        }
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>
    /// The world communicator, initialising MPI on first use (once per process: MPI cannot start again after
    /// MPI_Finalize). <paramref name="localRank"/> is the rank on this host as the launcher gave it.
    /// </summary>
    public static MpiCommunicator World(int localRank = 0)
    {
        lock (InstanceLock)
        {
            if (_instance is { _disposed: false } live) return live;
            if (_finalized)
                throw new InvalidOperationException("MPI was finalized in this process (the MPI communicator was disposed); MPI cannot be initialised twice");
            _instance = new MpiCommunicator(localRank);
            return _instance;
        }
    }

    /// <inheritdoc/>
    public override int Rank => _rank;

    /// <inheritdoc/>
    public override int Size => _size;

    /// <inheritdoc/>
    public override int LocalRank { get; }

    /// <inheritdoc/>
    public override string Name => "mpi";

    /// <summary>MPI_Get_library_version's first line ("Open MPI v4.1.4, ...").</summary>
    public string LibraryVersion { get; private set; } = "";

    /// <summary>The thread support MPI_Init_thread provided (Mpi.MPI_THREAD_*).</summary>
    public int ThreadSupport { get; private set; }

    /// <summary>
    /// When true (the default), a timed-out collective prints its message and calls MPI_Abort, so that mpirun ends the
    /// whole job; when false it only throws <see cref="CommunicatorTimeoutException"/> (the MPI thread stays blocked).
    /// </summary>
    public bool AbortOnTimeout { get; set; } = true;

    private void Initialize()
    {
        LibraryVersion = Mpi.LibraryVersion();
        Mpi.RequireOpenMpi();
        int initialized;
        Mpi.Check(Mpi.MPI_Initialized(&initialized));
        if (initialized == 0)
        {
            int provided;
            Mpi.Check(Mpi.MPI_Init_thread(null, null, Mpi.MPI_THREAD_SERIALIZED, &provided));
            ThreadSupport = provided;
        }
        else
        {
            int provided;
            Mpi.Check(Mpi.MPI_Query_thread(&provided));
            ThreadSupport = provided;
        }
        // Every MPI call is made by this one thread, the one that initialised MPI: FUNNELED is all we need.
        if (ThreadSupport < Mpi.MPI_THREAD_FUNNELED)
            throw new NotSupportedException($"MPI provides thread level {ThreadSupport}; NativeNets needs MPI_THREAD_FUNNELED (1) or more");
        Mpi.Check(Mpi.MPI_Comm_set_errhandler(Mpi.MPI_COMM_WORLD, Mpi.MPI_ERRORS_RETURN));
        int rank, size;
        Mpi.Check(Mpi.MPI_Comm_rank(Mpi.MPI_COMM_WORLD, &rank));
        Mpi.Check(Mpi.MPI_Comm_size(Mpi.MPI_COMM_WORLD, &size));
        (_rank, _size) = (rank, size);
    }

    /// <inheritdoc/>
    public override CollectiveHandle AllReduceSumAsync(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var type = ReduceType(x);
        var what = $"MPI_Allreduce #{_sequence++} ({x.Count} x {x.DType.Name()})";
        if (x.Device.Kind == DeviceKind.Cpu)
        {
            var pointer = x.Pointer;
            var count = x.Count;
            return Start(what, () => AllReduce(pointer, count, type, x.DType.SizeOf()));
        }
        // Through the host: copied out now, on the caller's thread (so CUDA stays on the threads that use it).
        var host = new Tensor(x.Shape, x.DType);
        x.Backend.CopyToHost(x, host.Pointer);
        var work = Start(what, () => AllReduce(host.Pointer, host.Count, type, host.DType.SizeOf()));
        return new HostCopyHandle(work, x, host);
    }

    /// <inheritdoc/>
    public override void Broadcast(Tensor x, int root)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckRoot(root);
        var what = $"MPI_Bcast #{_sequence++} ({x.Count} x {x.DType.Name()} from rank {root})";
        if (x.Device.Kind == DeviceKind.Cpu)
        {
            var pointer = x.Pointer;
            Start(what, () => Bcast(pointer, x.Bytes, root)).Wait();
            return;
        }
        using var host = new Tensor(x.Shape, x.DType);
        if (Rank == root) x.Backend.CopyToHost(x, host.Pointer);
        Start(what, () => Bcast(host.Pointer, host.Bytes, root)).Wait();
        x.Backend.CopyFromHost(host.Pointer, x);
    }

    /// <inheritdoc/>
    public override void Barrier() => Start($"MPI_Barrier #{_sequence++}", () => Mpi.Check(Mpi.MPI_Barrier(Mpi.MPI_COMM_WORLD))).Wait();

    /// <summary>
    /// Runs raw MPI calls on the communication thread (the only thread that may call MPI) and waits; an
    /// <see cref="MpiException"/> comes back as a <see cref="CommunicatorException"/> naming the call and this rank.
    /// </summary>
    public void Run(string what, Action calls)
    {
        ArgumentNullException.ThrowIfNull(calls);
        Start(what, calls).Wait();
    }

    /// <summary>Prints <paramref name="message"/> and ends the whole job through MPI_Abort (mpirun then stops every rank).</summary>
    public void Abort(string message, int exitCode = 1)
    {
        _faulted = true;
        Console.Error.WriteLine($"nativenets: {Where}: {message}; aborting the job (MPI_Abort)");
        Console.Error.Flush();
        // From this thread, not the MPI thread, which may be blocked in a collective that will never end:
        // Open MPI's MPI_Abort only asks the runtime to kill the job, which is safe from any thread.
        Mpi.MPI_Abort(Mpi.MPI_COMM_WORLD, exitCode);
        Environment.Exit(exitCode);
    }

    private static void AllReduce(nint pointer, long count, nint type, int elementSize)
    {
        // MPI counts are int: large tensors go in slices.
        const int slice = 1 << 30;
        for (long offset = 0; offset < count; offset += slice)
        {
            var n = (int)Math.Min(slice, count - offset);
            var p = pointer + (nint)(offset * elementSize);
            Mpi.Check(Mpi.MPI_Allreduce(Mpi.MPI_IN_PLACE, p, n, type, Mpi.MPI_SUM, Mpi.MPI_COMM_WORLD));
        }
    }

    private static void Bcast(nint pointer, long bytes, int root)
    {
        const int slice = 1 << 30;
        for (long offset = 0; offset < bytes; offset += slice)
        {
            var n = (int)Math.Min(slice, bytes - offset);
            Mpi.Check(Mpi.MPI_Bcast(pointer + (nint)offset, n, Mpi.MPI_BYTE, root, Mpi.MPI_COMM_WORLD));
        }
    }

    private nint ReduceType(Tensor x) => x.DType switch
    {
        DType.F32 => Mpi.MPI_FLOAT,
        DType.F64 => Mpi.MPI_DOUBLE,
        DType.I32 => Mpi.MPI_INT,
        _ => throw new NotSupportedException($"{Where}: MPI all-reduce of {x.DType.Name()} tensors is not supported (F32, F64 and I32 are)"),
    };

    private WorkHandle Start(string what, Action action)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_faulted) throw new CommunicatorException($"{Where}: {what}: the MPI communicator has failed earlier", Rank, Size, what);
        var work = new Work(what, action);
        _queue.Add(work);
        return new WorkHandle(this, work);
    }

    private void Loop()
    {
        foreach (var work in _queue.GetConsumingEnumerable())
        {
            try
            {
                work.Action();
                work.Completion.TrySetResult();
            }
            catch (Exception e)
            {
                work.Completion.TrySetException(e);
            }
        }
    }

    private CommunicatorException Failure(string what, Exception e)
    {
        var cause = e is AggregateException { InnerException: { } inner } ? inner : e;
        return cause switch
        {
            CommunicatorException c => c,
            MpiException m => new CommunicatorException($"{Where}: {m.Message}", Rank, Size, what, m),
            _ => new CommunicatorException($"{Where}: {what} failed: {cause.Message}", Rank, Size, what, cause),
        };
    }

    /// <summary>
    /// A process that ends without disposing still finalizes MPI, unless it is failing (exit code not 0): MPI_Finalize
    /// waits for every rank, which would hang while the others wait in a collective for this one. Exiting non-zero
    /// without it makes mpirun end the job at once. (An unhandled exception never gets here: .NET aborts the process.)
    /// </summary>
    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (Environment.ExitCode != 0) _faulted = true;
        Dispose();
    }

    /// <summary>Finalizes MPI (MPI_Finalize, which is collective: every rank must dispose) unless a collective has failed.</summary>
    public override void Dispose()
    {
        lock (InstanceLock)
        {
            if (_disposed) return;
            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
            if (!_faulted)
            {
                var work = new Work("MPI_Finalize", () =>
                {
                    int finalized;
                    Mpi.Check(Mpi.MPI_Finalized(&finalized));
                    if (finalized == 0) Mpi.Check(Mpi.MPI_Finalize());
                });
                _queue.Add(work);
                _queue.CompleteAdding();
                try
                {
                    if (!work.Completion.Task.Wait(Timeout))
                        Console.Error.WriteLine($"nativenets: {Where}: MPI_Finalize did not return within {Timeout.TotalSeconds:0.###} s; exiting without it");
                }
                catch (AggregateException e)
                {
                    // Disposing must not throw: say what failed and go on.
                    Console.Error.WriteLine($"nativenets: {Where}: {e.InnerException?.Message ?? e.Message}");
                }
            }
            else
            {
                _queue.CompleteAdding();
            }
            _disposed = true;
            _finalized = true;
        }
        base.Dispose();
    }

    private sealed record Work(string What, Action Action)
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class WorkHandle(MpiCommunicator owner, Work work) : CollectiveHandle
    {
        public override bool IsCompleted => work.Completion.Task.IsCompleted;

        public override void Wait()
        {
            bool done;
            try
            {
                done = work.Completion.Task.Wait(owner.Timeout);
            }
            catch (Exception e)
            {
                throw owner.Failure(work.What, e);
            }
            if (done) return;
            var message = $"{work.What} did not complete within {owner.Timeout.TotalSeconds:0.###} s: another rank has died, hung, or called a different collective";
            if (owner.AbortOnTimeout) owner.Abort(message);
            owner._faulted = true;
            throw new CommunicatorTimeoutException($"{owner.Where}: {message}", owner.Rank, owner.Size, work.What);
        }
    }

    /// <summary>A GPU tensor's all-reduce through host memory: the result is copied back on Wait.</summary>
    private sealed class HostCopyHandle(WorkHandle work, Tensor device, Tensor host) : CollectiveHandle
    {
        private bool _done;

        public override bool IsCompleted => _done || work.IsCompleted;

        public override void Wait()
        {
            if (_done) return;
            try
            {
                work.Wait();
                device.Backend.CopyFromHost(host.Pointer, device);
            }
            finally
            {
                _done = true;
                host.Dispose();
            }
        }
    }
}
