using NativeNets.Distributed;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Distributed;

/// <summary>The single-rank and in-process communicators, and reading the launcher's environment.</summary>
public class CommunicatorTests
{
    [Fact]
    public void SingleRankLeavesTensorsAsTheyAre()
    {
        using var comm = new SingleRankCommunicator();
        using var x = Tensor.FromArray(new float[] { 1, 2, 3 }, 3);
        comm.AllReduceSum(x);
        comm.AllReduceAverage(x);
        comm.Broadcast(x, 0);
        comm.Barrier();
        Assert.Equal(new float[] { 1, 2, 3 }, x.ToArray<float>());
        Assert.True(comm.AllReduceSumAsync(x).IsCompleted);
        Assert.Equal(new long[] { 4, 5 }, comm.AllReduceSum([4L, 5L]));
        Assert.Throws<ArgumentOutOfRangeException>(() => comm.Broadcast(x, 1));
        Assert.Equal((0, 1, 0), (comm.Rank, comm.Size, comm.LocalRank));
    }

    [Fact]
    public void InProcessAllReduceSumsInRankOrderAndAverages()
    {
        var results = DistributedSupport.RunRanks(4, comm =>
        {
            using var f = Tensor.FromArray(new float[] { comm.Rank + 0.1f, 1e8f * (comm.Rank == 0 ? 1 : 0), 1 }, 3);
            using var d = Tensor.FromArray(new double[] { comm.Rank * 0.1, 3 }, 2);
            var h = comm.AllReduceSumAsync(f);
            comm.AllReduceAverage(d);
            h.Wait();
            return (F: f.ToArray<float>(), D: d.ToArray<double>());
        });
        // Rank order: (((0.1f + 1.1f) + 2.1f) + 3.1f), the same bits on every rank.
        var expected = 0.1f + 1.1f;
        expected += 2.1f;
        expected += 3.1f;
        foreach (var (f, d) in results)
        {
            Assert.Equal(expected, f[0]);
            Assert.Equal(1e8f, f[1]);
            Assert.Equal(4f, f[2]);
            Assert.Equal((((0.0 + 0.1) + 0.2) + 0.30000000000000004) * 0.25, d[0]);
            Assert.Equal(3.0, d[1]);
        }
    }

    [Fact]
    public void InProcessBroadcastBarrierAndCounts()
    {
        var results = DistributedSupport.RunRanks(3, comm =>
        {
            using var x = Tensor.FromArray(new double[] { comm.Rank, -comm.Rank }, 2);
            comm.Broadcast(x, 2);
            comm.Barrier();
            var counts = comm.AllReduceSum([comm.Rank, 10L]);
            return (x.ToArray<double>(), counts);
        });
        foreach (var (x, counts) in results)
        {
            Assert.Equal(new double[] { 2, -2 }, x);
            Assert.Equal(new long[] { 3, 30 }, counts);
        }
    }

    [Fact]
    public void MismatchedCollectivesAreAnErrorNamingBoth()
    {
        var e = Assert.Throws<AggregateException>(() => DistributedSupport.RunRanks(2, comm =>
        {
            using var x = Tensor.FromArray(new float[comm.Rank + 1], comm.Rank + 1);
            comm.AllReduceSum(x);
            return 0;
        }));
        var inner = Assert.IsType<CommunicatorException>(e.InnerException);
        Assert.Contains("mismatched collectives", inner.Message);
        Assert.Contains("[2]", inner.Message);
        Assert.Contains("[1]", inner.Message);
    }

    [Fact]
    public void AMissingRankTimesOutNamingIt()
    {
        var comms = InProcessCommunicator.Create(3);
        comms[0].Timeout = TimeSpan.FromMilliseconds(200);
        using var x = Tensor.FromArray(new float[] { 1 }, 1);
        // Rank 1 joins, rank 2 never does.
        var joined = new Thread(() =>
        {
            using var y = Tensor.FromArray(new float[] { 1 }, 1);
            comms[1].Timeout = TimeSpan.FromMilliseconds(200);
            try { comms[1].AllReduceSum(y); } catch (CommunicatorTimeoutException) { }
        });
        joined.Start();
        var e = Assert.Throws<CommunicatorTimeoutException>(() => comms[0].AllReduceSum(x));
        joined.Join();
        Assert.Contains("rank 0 of 3", e.Message);
        Assert.Matches(@"rank\(s\) (1, )?2 never joined", e.Message); // rank 1 too if its thread started late
        Assert.Equal(0, e.Rank);
    }

    [Fact]
    public void TimeoutMustBePositive()
    {
        using var comm = new SingleRankCommunicator();
        Assert.Equal(TimeSpan.FromMinutes(5), comm.Timeout);
        Assert.Throws<ArgumentOutOfRangeException>(() => comm.Timeout = TimeSpan.Zero);
    }

    [Fact]
    public void InProcessRefusesGpuTensorsAndOtherDtypes()
    {
        var comm = InProcessCommunicator.Create(1)[0];
        using var u = new Tensor([2], DType.U8);
        Assert.Throws<NotSupportedException>(() => comm.AllReduceSum(u));
    }

    [Theory]
    [InlineData("OMPI_COMM_WORLD_RANK=2 OMPI_COMM_WORLD_SIZE=4 OMPI_COMM_WORLD_LOCAL_RANK=0 SLURM_PROCID=0 SLURM_NTASKS=1", 2, 4, 0, "Open MPI")]
    [InlineData("PMI_RANK=1 PMI_SIZE=3 MPI_LOCALRANKID=1", 1, 3, 1, "PMI")]
    [InlineData("SLURM_PROCID=5 SLURM_NTASKS=16 SLURM_STEP_NUM_TASKS=8 SLURM_LOCALID=1", 5, 8, 1, "Slurm")]
    [InlineData("SLURM_PROCID=3 SLURM_NTASKS=4 SLURM_LOCALID=3", 3, 4, 3, "Slurm")]
    [InlineData("RANK=1 WORLD_SIZE=2 LOCAL_RANK=1", 1, 2, 1, "torchrun")]
    [InlineData("", 0, 1, 0, "none")]
    public void LaunchReadsEachLauncher(string variables, int rank, int size, int localRank, string launcher)
    {
        var info = Launch.FromVariables(Lookup(variables));
        Assert.Equal(new LaunchInfo(rank, size, localRank, launcher), info);
        Assert.Equal(Device.Cuda(localRank), info.CudaDevice);
    }

    [Theory]
    [InlineData("OMPI_COMM_WORLD_RANK=x OMPI_COMM_WORLD_SIZE=4", "OMPI_COMM_WORLD_RANK='x'")]
    [InlineData("OMPI_COMM_WORLD_RANK=4 OMPI_COMM_WORLD_SIZE=4", "is not below")]
    [InlineData("RANK=0", "WORLD_SIZE")]
    [InlineData("PMI_RANK=0 PMI_SIZE=0", "PMI_SIZE='0'")]
    public void BadLaunchVariablesAreNamed(string variables, string expected)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Launch.FromVariables(Lookup(variables)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void OneRankGetsTheSingleRankCommunicatorAndTorchrunIsRefused()
    {
        using var single = Launch.CreateCommunicator(LaunchInfo.Single, Device.Cpu);
        Assert.IsType<SingleRankCommunicator>(single);
        var e = Assert.Throws<NotSupportedException>(() => Launch.CreateCommunicator(new LaunchInfo(0, 2, 0, "torchrun"), Device.Cpu));
        Assert.Contains("mpirun", e.Message);
    }

    private static Func<string, string?> Lookup(string variables)
    {
        var map = variables.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => v.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        return name => map.GetValueOrDefault(name);
    }
}
