using NativeNets.Tensors;

namespace NativeNets.Distributed;

/// <summary>
/// Ranks that are threads of one process, sharing a reduction: for CPU tests of gradient bucketing, the sampler and
/// the recipe without MPI. <see cref="Create"/> makes one communicator per rank; each rank's thread uses its own.
/// A collective completes when every rank has joined it; sums are taken in rank order (((x0 + x1) + x2) + ...), so
/// results are reproducible to the bit. Tensors must be on the CPU (F32 or F64 for all-reduce, any dtype for broadcast).
/// </summary>
public sealed class InProcessCommunicator : Communicator
{
    private readonly Group _group;
    private long _sequence;

    private InProcessCommunicator(Group group, int rank)
    {
        _group = group;
        Rank = rank;
    }

    /// <summary>One communicator per rank of a new group of <paramref name="size"/> ranks.</summary>
    public static InProcessCommunicator[] Create(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var group = new Group(size);
        return Enumerable.Range(0, size).Select(r => new InProcessCommunicator(group, r)).ToArray();
    }

    /// <inheritdoc/>
    public override int Rank { get; }

    /// <inheritdoc/>
    public override int Size => _group.Size;

    /// <inheritdoc/>
    public override int LocalRank => Rank;

    /// <inheritdoc/>
    public override string Name => "in-process";

    /// <inheritdoc/>
    public override CollectiveHandle AllReduceSumAsync(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckHost(x, "all-reduce");
        if (x.DType is not (DType.F32 or DType.F64))
            throw new NotSupportedException($"{Where}: all-reduce of {x.DType.Name()} tensors is not supported (F32 and F64 are)");
        return Join(Kind.AllReduce, x, root: -1);
    }

    /// <inheritdoc/>
    public override void Broadcast(Tensor x, int root)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckRoot(root);
        CheckHost(x, "broadcast");
        Join(Kind.Broadcast, x, root).Wait();
    }

    /// <inheritdoc/>
    public override void Barrier() => Join(Kind.Barrier, null, root: -1).Wait();

    private void CheckHost(Tensor x, string what)
    {
        if (x.Device.Kind != DeviceKind.Cpu)
            throw new NotSupportedException($"{Where}: the in-process communicator's {what} takes CPU tensors; {x} is on {x.Device}");
    }

    private Handle Join(Kind kind, Tensor? x, int root)
    {
        var sequence = _sequence++;
        var op = _group.Join(sequence, Rank, kind, x, root);
        return new Handle(this, op, sequence, x);
    }

    private enum Kind
    {
        AllReduce,
        Broadcast,
        Barrier,
    }

    private static string Describe(Kind kind) => kind switch
    {
        Kind.AllReduce => "all-reduce",
        Kind.Broadcast => "broadcast",
        _ => "barrier",
    };

    /// <summary>The state shared by the ranks: the collectives in flight, by sequence number.</summary>
    private sealed class Group(int size)
    {
        private readonly Dictionary<long, Operation> _inFlight = new();

        public int Size { get; } = size;

        public Operation Join(long sequence, int rank, Kind kind, Tensor? x, int root)
        {
            lock (_inFlight)
            {
                if (!_inFlight.TryGetValue(sequence, out var op))
                {
                    op = new Operation(kind, Size, root, x);
                    _inFlight[sequence] = op;
                }
                var mismatch = op.Mismatch(kind, x, root);
                if (mismatch is not null && op.Error is null)
                    op.Error = $"collective #{sequence}: rank {rank} called {Describe(kind)}{(mismatch.Length > 0 ? " " + mismatch : "")}" +
                        $" but rank {op.FirstRank(rank)} called {Describe(op.Kind)}";
                op.Contributions[rank] = x;
                op.Arrived[rank] = true;
                if (op.Arrived.All(a => a))
                {
                    if (op.Error is null) op.Reduce();
                    op.Done.Set();
                }
                return op;
            }
        }

        public void Leave(long sequence, Operation op)
        {
            lock (_inFlight)
            {
                if (++op.Left == Size)
                {
                    _inFlight.Remove(sequence);
                    op.Result?.Dispose();
                    op.Done.Dispose();
                }
            }
        }
    }

    /// <summary>One collective: what each rank brought, and the result once all have.</summary>
    private sealed class Operation(Kind kind, int size, int root, Tensor? first)
    {
        public Kind Kind { get; } = kind;
        public int Root { get; } = root;
        public Tensor?[] Contributions { get; } = new Tensor?[size];
        public bool[] Arrived { get; } = new bool[size];
        public ManualResetEventSlim Done { get; } = new(false);
        public string? Error { get; set; }
        public Tensor? Result { get; private set; }
        public int Left { get; set; }

        public string? Mismatch(Kind kind, Tensor? x, int root)
        {
            if (kind != Kind) return "";
            if (root != Root) return $"with root {root} while another rank gave root {Root}";
            if (first is null || x is null) return null;
            if (!x.SameShape(first) || x.DType != first.DType)
                return $"on {x.ShapeText} {x.DType.Name()} while another rank gave {first.ShapeText} {first.DType.Name()}";
            return null;
        }

        public int FirstRank(int except)
        {
            for (var r = 0; r < Arrived.Length; r++) if (Arrived[r] && r != except) return r;
            return except;
        }

        public void Reduce()
        {
            if (Kind == Kind.Barrier) return;
            var source = Contributions[Kind == Kind.Broadcast ? Root : 0]!;
            Result = new Tensor(source.Shape, source.DType);
            source.Backend.Copy(source, Result);
            if (Kind != Kind.AllReduce) return;
            // Rank order, one rank at a time: the same bits on every run and every thread timing.
            for (var r = 1; r < Contributions.Length; r++)
            {
                if (Result.DType == DType.F64) Add<double>(Result, Contributions[r]!);
                else Add<float>(Result, Contributions[r]!);
            }
        }

        private static void Add<T>(Tensor sum, Tensor x) where T : unmanaged, System.Numerics.IAdditionOperators<T, T, T>
        {
            var s = sum.Span<T>();
            var v = x.Span<T>();
            for (var i = 0; i < s.Length; i++) s[i] += v[i];
        }

        public string Missing() =>
            string.Join(", ", Enumerable.Range(0, Arrived.Length).Where(r => !Arrived[r]).Select(r => r.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    private sealed class Handle(InProcessCommunicator owner, Operation op, long sequence, Tensor? x) : CollectiveHandle
    {
        private bool _waited;

        public override bool IsCompleted => _waited || op.Done.IsSet;

        public override void Wait()
        {
            if (_waited) return;
            var what = $"{Describe(op.Kind)} #{sequence}";
            if (!op.Done.Wait(owner.Timeout))
            {
                var missing = op.Missing();
                throw new CommunicatorTimeoutException(
                    $"{owner.Where}: {what} did not complete within {owner.Timeout.TotalSeconds:0.###} s; rank(s) {missing} never joined it",
                    owner.Rank, owner.Size, what);
            }
            _waited = true;
            try
            {
                if (op.Error is not null)
                    throw new CommunicatorException($"{owner.Where}: mismatched collectives: {op.Error}", owner.Rank, owner.Size, what);
                if (op.Result is not null && x is not null && !ReferenceEquals(x, op.Result))
                    x.Backend.Copy(op.Result, x);
            }
            finally
            {
                owner._group.Leave(sequence, op);
            }
        }
    }
}
