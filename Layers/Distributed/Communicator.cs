using NativeNets.Tensors;

namespace NativeNets.Distributed;

/// <summary>
/// Collective operations across the ranks of a data-parallel job: all-reduce (sum, average), broadcast and barrier.
/// Every rank must issue the same collectives in the same order with tensors of the same shape and dtype.
/// Implementations: <see cref="SingleRankCommunicator"/> (no-op), <see cref="MpiCommunicator"/> (CPU tensors, and the
/// bootstrap of NCCL), <see cref="NcclCommunicator"/> (GPU tensors) and <see cref="InProcessCommunicator"/> (ranks on
/// threads, for tests). <see cref="Launch"/> picks one from the launcher's environment.
/// </summary>
public abstract class Communicator : IDisposable
{
    private TimeSpan _timeout = DefaultTimeout;

    /// <summary>How long one collective may take before the job is declared hung: 5 minutes.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>This process's (or thread's) index in [0, Size).</summary>
    public abstract int Rank { get; }

    /// <summary>Number of ranks.</summary>
    public abstract int Size { get; }

    /// <summary>Index among the ranks on this host (the GPU a rank uses).</summary>
    public abstract int LocalRank { get; }

    /// <summary>Short name of the implementation ("single", "mpi", "nccl", "in-process").</summary>
    public abstract string Name { get; }

    /// <summary>How long a collective may take before it is reported as hung (a peer died or stopped); default 5 minutes.</summary>
    public TimeSpan Timeout
    {
        get => _timeout;
        set
        {
            if (value <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(value), value, "a communicator timeout must be positive");
            _timeout = value;
        }
    }

    /// <summary>
    /// Starts summing <paramref name="x"/> over all ranks, in place. Until the handle's Wait returns, the tensor must be
    /// neither read nor written. For GPU tensors the work is stream-ordered (NCCL); Wait orders later compute after it.
    /// </summary>
    public abstract CollectiveHandle AllReduceSumAsync(Tensor x);

    /// <summary>Sums <paramref name="x"/> over all ranks, in place.</summary>
    public void AllReduceSum(Tensor x) => AllReduceSumAsync(x).Wait();

    /// <summary>Averages <paramref name="x"/> over all ranks, in place: the sum times 1 / Size.</summary>
    public void AllReduceAverage(Tensor x)
    {
        AllReduceSum(x);
        if (Size > 1) x.Backend.Scale(x, 1.0 / Size);
    }

    /// <summary>Copies <paramref name="x"/> of rank <paramref name="root"/> into <paramref name="x"/> of every rank.</summary>
    public abstract void Broadcast(Tensor x, int root);

    /// <summary>Returns once every rank has entered the barrier.</summary>
    public abstract void Barrier();

    /// <summary>Sums host counts over all ranks (through an F64 tensor: exact below 2^53), e.g. a sharded evaluation's counts.</summary>
    public long[] AllReduceSum(ReadOnlySpan<long> values)
    {
        if (Size == 1) return values.ToArray();
        var asDoubles = new double[values.Length];
        for (var i = 0; i < values.Length; i++) asDoubles[i] = values[i];
        using var t = Tensor.FromArray(asDoubles, values.Length);
        AllReduceSum(t);
        var sums = t.ToArray<double>();
        var result = new long[sums.Length];
        for (var i = 0; i < sums.Length; i++) result[i] = checked((long)Math.Round(sums[i]));
        return result;
    }

    /// <summary>"rank R of N", the prefix of every error this communicator reports.</summary>
    protected string Where => $"rank {Rank} of {Size}";

    /// <summary>Throws unless <paramref name="root"/> is a rank of this communicator.</summary>
    protected void CheckRoot(int root)
    {
        if (root < 0 || root >= Size)
            throw new ArgumentOutOfRangeException(nameof(root), root, $"{Where}: broadcast root must be in [0, {Size})");
    }

    /// <summary>Frees the communicator's resources.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} communicator, {Where}";
}

/// <summary>A collective in flight: <see cref="Wait"/> makes its result visible to what follows.</summary>
public abstract class CollectiveHandle
{
    /// <summary>A handle that is already complete (single rank, or work done synchronously).</summary>
    public static CollectiveHandle Completed { get; } = new CompletedHandle();

    /// <summary>True once the collective has finished (as far as the host can tell without blocking).</summary>
    public abstract bool IsCompleted { get; }

    /// <summary>
    /// Waits for the collective: for host tensors, until the result is in the tensor; for GPU tensors (NCCL), until
    /// later work on the compute stream is ordered after it. Throws <see cref="CommunicatorException"/> on failure or timeout.
    /// </summary>
    public abstract void Wait();

    private sealed class CompletedHandle : CollectiveHandle
    {
        public override bool IsCompleted => true;
        public override void Wait() { }
    }
}

/// <summary>A collective failed; the message names the rank, the operation and the cause.</summary>
public class CommunicatorException : Exception
{
    /// <summary>Builds the exception; <paramref name="message"/> should already name the rank and the operation.</summary>
    public CommunicatorException(string message, int rank, int size, string operation, Exception? inner = null)
        : base(message, inner)
    {
        Rank = rank;
        Size = size;
        Operation = operation;
    }

    /// <summary>The rank that reports the failure.</summary>
    public int Rank { get; }

    /// <summary>Number of ranks of the communicator.</summary>
    public int Size { get; }

    /// <summary>The collective that failed ("MPI_Allreduce", "ncclAllReduce", "all-reduce #12", ...).</summary>
    public string Operation { get; }
}

/// <summary>A collective did not complete within <see cref="Communicator.Timeout"/>: a peer died, hung or called another collective.</summary>
public sealed class CommunicatorTimeoutException(string message, int rank, int size, string operation)
    : CommunicatorException(message, rank, size, operation);
