using NativeNets.Distributed;
using Xunit;

namespace NativeNets.Tests.Distributed;

/// <summary>The distributed sampler (torch.utils.data.DistributedSampler's rules) and sharded evaluation.</summary>
public class DistributedSamplerTests
{
    [Fact]
    public void OneShuffleSplitAcrossRanksCoversTheDatasetOnce()
    {
        const int n = 1000, size = 4;
        var samplers = Enumerable.Range(0, size).Select(r => new DistributedSampler(n, r, size, seed: 11)).ToArray();
        var all = samplers.SelectMany(s => s.Indices(0)).OrderBy(i => i).ToArray();
        Assert.Equal(Enumerable.Range(0, n), all);
        Assert.All(samplers, s => Assert.Equal(250, s.NumSamples));
        // Every rank computes the same epoch list; rank r takes positions r, r + size, ...
        var order = samplers[0].EpochOrder(0);
        Assert.All(samplers, s => Assert.Equal(order, s.EpochOrder(0)));
        Assert.Equal(order.Where((_, i) => i % size == 2), samplers[2].Indices(0));
        Assert.NotEqual(Enumerable.Range(0, n), order); // shuffled
    }

    [Fact]
    public void EachEpochShufflesAgainAndTheSeedDecides()
    {
        var a = new DistributedSampler(100, 0, 2, seed: 1);
        var b = new DistributedSampler(100, 0, 2, seed: 1);
        var c = new DistributedSampler(100, 0, 2, seed: 2);
        Assert.Equal(a.Indices(3), b.Indices(3));
        Assert.NotEqual(a.Indices(0), a.Indices(1));
        Assert.NotEqual(a.Indices(0), c.Indices(0));
        var unshuffled = new DistributedSampler(10, 1, 2, seed: 1, shuffle: false);
        Assert.Equal([1, 3, 5, 7, 9], unshuffled.Indices(0));
    }

    [Fact]
    public void PaddingRepeatsTheHeadAndDropLastCutsTheTail()
    {
        // torch: 10 items on 4 ranks give ceil(10 / 4) = 3 each, the list padded with its first 2 items.
        var padded = Enumerable.Range(0, 4).Select(r => new DistributedSampler(10, r, 4, seed: 3)).ToArray();
        Assert.All(padded, s => Assert.Equal((3, 12), (s.NumSamples, s.TotalSize)));
        var order = padded[0].EpochOrder(0);
        Assert.Equal(order[..2], order[10..]);
        Assert.Equal(Enumerable.Range(0, 10), order[..10].OrderBy(i => i));
        // drop_last: floor(10 / 4) = 2 each, the tail cut.
        var dropped = Enumerable.Range(0, 4).Select(r => new DistributedSampler(10, r, 4, seed: 3, dropLast: true)).ToArray();
        Assert.All(dropped, s => Assert.Equal((2, 8), (s.NumSamples, s.TotalSize)));
        var used = dropped.SelectMany(s => s.Indices(0)).ToArray();
        Assert.Equal(8, used.Distinct().Count());
        Assert.Equal(order[..8].OrderBy(i => i), used.OrderBy(i => i));
    }

    [Fact]
    public void TheRanksBatchesOfAStepAreTheSingleProcessBatch()
    {
        const int n = 200, size = 4, perRank = 5;
        var samplers = Enumerable.Range(0, size).Select(r => new DistributedSampler(n, r, size, seed: 9)).ToArray();
        Assert.Equal(10, samplers[0].StepsPerEpoch(perRank));
        var order = samplers[0].EpochOrder(2);
        for (var step = 0; step < 10; step++)
        {
            var combined = samplers[0].CombinedBatch(2, step, perRank);
            // Worker w's slice of the combined batch is exactly rank w's batch...
            for (var r = 0; r < size; r++) Assert.Equal(samplers[r].Batch(2, step, perRank), combined[(r * perRank)..((r + 1) * perRank)]);
            // ...and together they are positions [s kn, (s + 1) kn) of the epoch's list: one process's batch of kn.
            Assert.Equal(order[(step * perRank * size)..((step + 1) * perRank * size)].OrderBy(i => i), combined.OrderBy(i => i));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => samplers[0].Batch(2, 10, perRank));
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 2, 2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(0, 0, 1, 0));
        Assert.Throws<ArgumentException>(() => new DistributedSampler(3, 0, 4, 0, dropLast: true));
    }

    [Fact]
    public void EvaluationShardsCoverEveryItemOnceAndCountsAreSummed()
    {
        const int count = 1003;
        var shards = Enumerable.Range(0, 4).Select(r => DistributedEvaluation.Shard(count, r, 4)).ToArray();
        Assert.Equal(Enumerable.Range(0, count), shards.SelectMany(s => s).OrderBy(i => i));
        Assert.Equal([251, 251, 251, 250], shards.Select(s => s.Length));
        Assert.Empty(DistributedEvaluation.Shard(2, 3, 4));
        var totals = DistributedSupport.RunRanks(4, comm =>
        {
            var shard = DistributedEvaluation.Shard(count, comm);
            return DistributedEvaluation.SumCounts(comm, shard.Count(i => i % 7 == 0), shard.Length);
        });
        Assert.All(totals, t => Assert.Equal((Enumerable.Range(0, count).Count(i => i % 7 == 0), (long)count), t));
    }
}
