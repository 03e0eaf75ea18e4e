using NativeNets.Tensors;

namespace NativeNets.Distributed;

/// <summary>
/// The training indices of one rank, as torch.utils.data.DistributedSampler gives them: each epoch one permutation of
/// the whole dataset from the shared seed (the same on every rank: Rng(seed + epoch), Fisher-Yates), made a multiple of
/// the number of ranks by repeating its first indices (or, with dropLast, by cutting its tail), then split so that rank
/// r takes positions r, r + size, r + 2 size, ... Step s of rank r is its indices [s n, (s + 1) n) for a per-rank batch n,
/// and the union over the ranks of step s is positions [s k n, (s + 1) k n) of the epoch's list: exactly the batch of one
/// process running batch kn. The sampler is a pure function of (seed, epoch, rank, size): a checkpoint needs only the
/// epoch and the step.
/// </summary>
public sealed class DistributedSampler
{
    private int _cachedEpoch = -1;
    private int[]? _cachedOrder;

    /// <summary>A sampler over <paramref name="datasetSize"/> items for rank <paramref name="rank"/> of <paramref name="size"/>.</summary>
    public DistributedSampler(int datasetSize, int rank, int size, ulong seed, bool shuffle = true, bool dropLast = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(datasetSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (rank < 0 || rank >= size) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {size})");
        if (dropLast && datasetSize < size)
            throw new ArgumentException($"dropLast with {datasetSize} items and {size} ranks leaves no item for any rank", nameof(dropLast));
        DatasetSize = datasetSize;
        Rank = rank;
        Size = size;
        Seed = seed;
        Shuffle = shuffle;
        DropLast = dropLast;
        // torch: with drop_last, ceil((len - size) / size) = floor(len / size); otherwise ceil(len / size).
        NumSamples = dropLast ? datasetSize / size : (datasetSize + size - 1) / size;
    }

    /// <summary>Items in the dataset.</summary>
    public int DatasetSize { get; }

    /// <summary>This rank.</summary>
    public int Rank { get; }

    /// <summary>Number of ranks.</summary>
    public int Size { get; }

    /// <summary>The seed shared by all ranks.</summary>
    public ulong Seed { get; }

    /// <summary>Whether each epoch is shuffled (otherwise the dataset order).</summary>
    public bool Shuffle { get; }

    /// <summary>Whether the tail is cut (true) or the head repeated (false) to make the list a multiple of Size.</summary>
    public bool DropLast { get; }

    /// <summary>Indices per rank per epoch.</summary>
    public int NumSamples { get; }

    /// <summary>Indices per epoch over all ranks (NumSamples x Size).</summary>
    public int TotalSize => NumSamples * Size;

    /// <summary>Whole batches of <paramref name="perRankBatch"/> a rank gets per epoch (a short last batch is dropped).</summary>
    public int StepsPerEpoch(int perRankBatch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perRankBatch);
        return NumSamples / perRankBatch;
    }

    /// <summary>The epoch's list over all ranks (TotalSize indices), before it is split: identical on every rank.</summary>
    public int[] EpochOrder(int epoch) => (int[])Order(epoch).Clone();

    private int[] Order(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if (epoch == _cachedEpoch && _cachedOrder is not null) return _cachedOrder;
        var permutation = Enumerable.Range(0, DatasetSize).ToArray();
        if (Shuffle) new Rng(unchecked(Seed + (ulong)epoch)).Shuffle<int>(permutation);
        var order = new int[TotalSize];
        for (var i = 0; i < order.Length; i++) order[i] = permutation[i % DatasetSize]; // padding repeats from the start
        (_cachedEpoch, _cachedOrder) = (epoch, order);
        return order;
    }

    /// <summary>This rank's indices for <paramref name="epoch"/>: positions Rank, Rank + Size, ... of the epoch's list.</summary>
    public int[] Indices(int epoch) => IndicesOf(Rank, epoch);

    /// <summary>The indices of rank <paramref name="rank"/> for <paramref name="epoch"/>.</summary>
    public int[] IndicesOf(int rank, int epoch)
    {
        if (rank < 0 || rank >= Size) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {Size})");
        var order = Order(epoch);
        var result = new int[NumSamples];
        for (var i = 0; i < result.Length; i++) result[i] = order[rank + i * Size];
        return result;
    }

    /// <summary>This rank's batch of step <paramref name="step"/> in <paramref name="epoch"/>.</summary>
    public int[] Batch(int epoch, int step, int perRankBatch) => BatchOf(Rank, epoch, step, perRankBatch);

    /// <summary>
    /// The batches of step <paramref name="step"/> of every rank, rank 0's first: what one process simulating Size workers
    /// (--virtual-workers Size) trains on, so that its ghost batch w holds exactly what rank w would hold.
    /// </summary>
    public int[] CombinedBatch(int epoch, int step, int perRankBatch)
    {
        var result = new int[perRankBatch * Size];
        for (var r = 0; r < Size; r++) BatchOf(r, epoch, step, perRankBatch).CopyTo(result, r * perRankBatch);
        return result;
    }

    private int[] BatchOf(int rank, int epoch, int step, int perRankBatch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        var steps = StepsPerEpoch(perRankBatch);
        if (step >= steps) throw new ArgumentOutOfRangeException(nameof(step), step, $"an epoch has {steps} steps of {perRankBatch} per rank");
        var order = Order(epoch);
        var result = new int[perRankBatch];
        for (var i = 0; i < perRankBatch; i++) result[i] = order[rank + (step * perRankBatch + i) * Size];
        return result;
    }
}

/// <summary>Evaluation split across ranks: each item evaluated once (no padding), the counts summed over the ranks.</summary>
public static class DistributedEvaluation
{
    /// <summary>Indices rank, rank + size, ... below <paramref name="count"/>: disjoint shards that cover every item once.</summary>
    public static int[] Shard(int count, int rank, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (rank < 0 || rank >= size) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {size})");
        var n = count > rank ? (count - rank + size - 1) / size : 0;
        var result = new int[n];
        for (var i = 0; i < n; i++) result[i] = rank + i * size;
        return result;
    }

    /// <summary>This rank's shard of <paramref name="count"/> items.</summary>
    public static int[] Shard(int count, Communicator communicator)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        return Shard(count, communicator.Rank, communicator.Size);
    }

    /// <summary>Sums (correct, total) over all ranks; every rank gets the job's totals.</summary>
    public static (long Correct, long Total) SumCounts(Communicator communicator, long correct, long total)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        var sums = communicator.AllReduceSum([correct, total]);
        return (sums[0], sums[1]);
    }
}
