using NativeNets.Distributed;
using NativeNets.Losses;
using NativeNets.Modules;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Distributed;

/// <summary>Gradient buckets over ranks on threads: layout, exact averages, overlap with backward, replicas kept equal.</summary>
public class GradientBucketsTests
{
    [Fact]
    public void BucketsFollowReverseLayerOrderUpToTheSize()
    {
        using var net = DistributedSupport.Network(batchNorm: false, DType.F64);
        var forward = net.Parameters().ToList();
        var comm = InProcessCommunicator.Create(2)[0];
        // 16x5 + 5 weights of the last layer fit in 1,024 bytes (85 doubles = 680 bytes); the next weight does not.
        using var buckets = new GradientBuckets(net, comm, bucketBytes: 1024);
        var flattened = buckets.Buckets.SelectMany(b => b.Parameters).ToList();
        Assert.Equal(Enumerable.Reverse(forward), flattened);
        Assert.All(buckets.Buckets, b => Assert.True(b.Bytes <= 1024 || b.Parameters.Count == 1));
        Assert.Equal(forward[^1], buckets.Buckets[0].Parameters[0]); // the last bias first
        Assert.Equal(forward.Sum(p => p.Grad.Count), buckets.Buckets.Sum(b => b.Elements));
        using var whole = new GradientBuckets(net, comm);
        Assert.Single(whole.Buckets);
        Assert.Equal(25L * 1024 * 1024, GradientBuckets.DefaultBucketBytes);
    }

    [Fact]
    public void BucketsSplitWhereTheDtypeChanges()
    {
        using var a = new Linear(3, 2, rng: new Rng(1), dtype: DType.F32);
        using var b = new Linear(2, 2, rng: new Rng(2), dtype: DType.F64);
        using var buckets = new GradientBuckets(a.Parameters().Concat(b.Parameters()), InProcessCommunicator.Create(2)[0]);
        Assert.Equal([DType.F64, DType.F32], buckets.Buckets.Select(x => x.DType));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // Layer.ReleaseGradientsEarly: the walk frees each input gradient once used; nothing changes
    public void AveragedGradientsEqualTheRanksAverageExactlyInF64(bool releaseGradientsEarly)
    {
        const int size = 4, perRank = 6;
        var data = DistributedSupport.Dataset(size * perRank, images: false);
        // Each rank's own gradient, computed alone.
        var alone = Enumerable.Range(0, size).Select(r =>
        {
            using var net = DistributedSupport.Network(false, DType.F64);
            using var loss = new SoftmaxCrossEntropyLoss();
            var (x, y) = DistributedSupport.Batch(data, Enumerable.Range(r * perRank, perRank).ToArray(), DType.F64);
            using (x)
            using (y)
            {
                loss.Forward(net.Forward(x), y);
                net.Backward(loss.Backward());
            }
            return DistributedSupport.Gradients(net);
        }).ToArray();
        var reduced = DistributedSupport.RunRanks(size, comm =>
        {
            Layer.ReleaseGradientsEarly = releaseGradientsEarly; // per thread: this rank's
            try
            {
                using var net = DistributedSupport.Network(false, DType.F64);
                using var loss = new SoftmaxCrossEntropyLoss();
                using var buckets = new GradientBuckets(net, comm, bucketBytes: 512);
                var (x, y) = DistributedSupport.Batch(data, Enumerable.Range(comm.Rank * perRank, perRank).ToArray(), DType.F64);
                using (x)
                using (y)
                {
                    loss.Forward(net.Forward(x), y);
                    buckets.Backward(net, loss.Backward());
                    buckets.WaitAll();
                }
                return DistributedSupport.Gradients(net);
            }
            finally
            {
                Layer.ReleaseGradientsEarly = null;
            }
        });
        for (var p = 0; p < alone[0].Length; p++)
            for (var i = 0; i < alone[0][p].Length; i++)
            {
                // The in-process reduction sums in rank order; / 4 and * 0.25 are the same in binary.
                var expected = alone[0][p][i];
                for (var r = 1; r < size; r++) expected += alone[r][p][i];
                expected /= size;
                foreach (var rank in reduced) Assert.Equal(expected, rank[p][i]);
            }
    }

    [Fact]
    public void AllReducesStartDuringBackwardInBucketOrder()
    {
        var seen = DistributedSupport.RunRanks(2, comm =>
        {
            var net = DistributedSupport.Network(false, DType.F64);
            (net.PropagateDown, net[0].PropagateDown) = (true, true); // the spy in front needs an input gradient
            using var buckets = new GradientBuckets(net, comm, bucketBytes: 512);
            // A layer in front of the network, whose backward runs last, records which buckets have started by then.
            var spy = new Spy(buckets);
            using var whole = new Sequential(spy, net);
            using var loss = new SoftmaxCrossEntropyLoss();
            var data = DistributedSupport.Dataset(4, images: false);
            var (x, y) = DistributedSupport.Batch(data, [0, 1, 2, 3], DType.F64);
            using (x)
            using (y)
            {
                loss.Forward(whole.Forward(x), y);
                buckets.Backward(whole, loss.Backward());
                var startedBeforeWait = buckets.Buckets.Select(b => b.Started).ToArray();
                buckets.WaitAll();
                Assert.All(buckets.Buckets, b => Assert.False(b.Started)); // reset for the next step
                return (spy.StartedWhenReached!, startedBeforeWait, buckets.Buckets.Count);
            }
        });
        foreach (var (atSpy, beforeWait, count) in seen)
        {
            Assert.True(count >= 3, $"only {count} buckets");
            // When the front layer's backward ran, the buckets of every later layer had started, in order.
            Assert.True(atSpy[0], "the last layers' bucket had not started when backward reached the first layer");
            Assert.All(beforeWait, Assert.True);
            for (var i = 1; i < atSpy.Length; i++) Assert.True(!atSpy[i] || atSpy[i - 1], "buckets started out of order");
        }
    }

    [Fact]
    public void MarkingAGradientReadyTwiceIsAnError()
    {
        using var net = DistributedSupport.Network(false, DType.F64);
        using var buckets = new GradientBuckets(net, InProcessCommunicator.Create(2)[0], bucketBytes: 512);
        var last = net.Parameters().Last();
        buckets.MarkReady(last);
        var e = Assert.Throws<InvalidOperationException>(() => buckets.MarkReady(last));
        Assert.Contains("marked ready twice", e.Message);
    }

    [Fact]
    public void OneRankDoesNothingAndBackwardMatchesTheNetworks()
    {
        using var net = DistributedSupport.Network(false, DType.F64);
        using var twin = DistributedSupport.Network(false, DType.F64);
        using var buckets = new GradientBuckets(net, new SingleRankCommunicator());
        using var loss = new SoftmaxCrossEntropyLoss();
        var data = DistributedSupport.Dataset(4, images: false);
        var (x, y) = DistributedSupport.Batch(data, [0, 1, 2, 3], DType.F64);
        using (x)
        using (y)
        {
            loss.Forward(net.Forward(x), y);
            buckets.Backward(net, loss.Backward());
            buckets.WaitAll();
            loss.Forward(twin.Forward(x), y);
            twin.Backward(loss.Backward());
        }
        Assert.Equal(0, DistributedSupport.MaxDifference(DistributedSupport.Gradients(net), DistributedSupport.Gradients(twin)));
    }

    [Fact]
    public void BroadcastGivesEveryRankRankZerosWeights()
    {
        var weights = DistributedSupport.RunRanks(3, comm =>
        {
            using var net = DistributedSupport.Network(batchNorm: true, DType.F32, seed: (ulong)(10 + comm.Rank));
            ModelReplicas.BroadcastFrom(net, comm);
            return DistributedSupport.Weights(net);
        });
        using var rankZero = DistributedSupport.Network(batchNorm: true, DType.F32, seed: 10);
        Assert.All(weights, w => Assert.Equal(0, DistributedSupport.MaxDifference(w, DistributedSupport.Weights(rankZero))));
    }

    /// <summary>An identity layer that records, when its backward runs, which buckets have started.</summary>
    private sealed class Spy(GradientBuckets buckets) : Layer
    {
        public bool[]? StartedWhenReached { get; private set; }

        public override Tensor Forward(Tensor x) => x;

        public override Tensor? Backward(Tensor dy)
        {
            StartedWhenReached = buckets.Buckets.Select(b => b.Started).ToArray();
            return dy;
        }
    }
}
