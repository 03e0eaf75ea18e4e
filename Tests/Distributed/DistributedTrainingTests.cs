using NativeNets.Distributed;
using NativeNets.Losses;
using NativeNets.Optim;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Distributed;

/// <summary>
/// Runs alone: the CPU backend's convolution weight gradient keeps per-pool-thread partial sums in thread-static
/// scratch, so a convolution backward running at the same time in another test class can corrupt it (see
/// <see cref="DistributedSupport.ComputeLock"/>).
/// </summary>
[CollectionDefinition("cpu-backend-alone", DisableParallelization = true)]
public sealed class CpuBackendAloneCollection;

/// <summary>The claim on threads: k ranks x batch n train to the weights of one process x batch kn.</summary>
[Collection("cpu-backend-alone")]
public class DistributedTrainingTests
{
    [Theory]
    [InlineData(false, 2)]
    [InlineData(false, 4)]
    [InlineData(true, 2)]
    [InlineData(true, 4)]
    public void RanksWithBatchNReachTheWeightsOfOneProcessWithBatchKn(bool batchNorm, int size)
    {
        // The claim, on threads: k ranks x batch n for 20 steps = one process x batch kn (with BN: k ghost batches).
        const int perRank = 4, steps = 20, datasetSize = 96;
        var data = DistributedSupport.Dataset(datasetSize, images: batchNorm);
        (double[][] Weights, double[][] Buffers) Train(Communicator comm, bool distributed)
        {
            var sampler = new DistributedSampler(datasetSize, comm.Rank, distributed ? comm.Size : size, seed: 5);
            var perEpoch = sampler.StepsPerEpoch(perRank);
            using var net = DistributedSupport.Network(batchNorm, DType.F32);
            if (!distributed) GoyalRecipe.SetVirtualWorkers(net, size);
            using var loss = new SoftmaxCrossEntropyLoss();
            using var sgd = new Sgd(net.Parameters(), 0.1, 0.9, 1e-4);
            var schedule = new GoyalSchedule(perRank * size) { ReferenceBatch = 8, WarmupEpochs = 1 };
            using var buckets = new GradientBuckets(net, comm, bucketBytes: 256);
            for (var step = 0; step < steps; step++)
            {
                var (epoch, inEpoch) = (step / perEpoch, step % perEpoch);
                var indices = distributed ? sampler.Batch(epoch, inEpoch, perRank) : sampler.CombinedBatch(epoch, inEpoch, perRank);
                var (x, y) = DistributedSupport.Batch(data, indices, DType.F32);
                using (x)
                using (y)
                {
                    lock (DistributedSupport.ComputeLock)
                    {
                        sgd.LearningRate = schedule.AtIteration(step, perEpoch);
                        sgd.ZeroGrad();
                        loss.Forward(net.Forward(x), y);
                        buckets.Backward(net, loss.Backward()); // in-process collectives start without blocking
                    }
                    buckets.WaitAll();
                    lock (DistributedSupport.ComputeLock) sgd.Step();
                }
            }
            // Each rank's BN running statistics followed its own batches; their average is the virtual-worker run's.
            ModelReplicas.AverageBuffers(net, comm);
            return (DistributedSupport.Weights(net), net.NamedBuffers().Select(b => b.Buffer.ToArray<float>().Select(v => (double)v).ToArray()).ToArray());
        }
        var ranks = DistributedSupport.RunRanks(size, comm => Train(comm, distributed: true));
        using var single = new SingleRankCommunicator();
        var reference = Train(single, distributed: false);
        foreach (var (weights, _) in ranks) Assert.Equal(0, DistributedSupport.MaxDifference(weights, ranks[0].Weights));
        var difference = DistributedSupport.MaxDifference(ranks[0].Weights, reference.Weights);
        Assert.True(difference <= 1e-5, $"{size} ranks differ from one process by {difference:E2}");
        var buffers = DistributedSupport.MaxDifference(ranks[0].Buffers, reference.Buffers);
        Assert.True(buffers <= 1e-5, $"{size} ranks' averaged running statistics differ from one process's by {buffers:E2}");
    }
}
