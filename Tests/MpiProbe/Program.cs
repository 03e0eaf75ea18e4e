using System.Diagnostics;
using System.Globalization;
using NativeNets.Distributed;
using NativeNets.Losses;
using NativeNets.Modules;
using NativeNets.Native;
using NativeNets.Optim;
using NativeNets.Tensors;

namespace NativeNets.MpiProbe;

/// <summary>
/// Runs under mpirun and checks the MPI communicator from every rank: `MpiProbe MODE`, where MODE is collectives,
/// buckets, train, train-bn, error, die or hang. Each rank prints "rank R: ..." lines; rank 0 ends with
/// "RESULT MODE ok" when every rank's checks passed. Exit code 0 when all passed, 2 when a check failed.
/// </summary>
public static class Program
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Runs one mode on every rank; 0 when every rank's checks passed.</summary>
    public static int Main(string[] args)
    {
        var mode = args.Length > 0 ? args[0] : "collectives";
        var info = Launch.FromEnvironment();
        using var comm = Launch.CreateCommunicator(info, Device.Cpu);
        Say(comm, $"{comm.Name} communicator ({info.Launcher} launch, local rank {comm.LocalRank})");
        var failures = mode switch
        {
            "collectives" => Collectives(comm),
            "buckets" => Buckets(comm),
            "train" => Train(comm, batchNorm: false),
            "train-bn" => Train(comm, batchNorm: true),
            "error" => Error(comm),
            "die" => Die(comm),
            "hang" => Hang(comm),
            _ => [$"unknown mode '{mode}'"],
        };
        foreach (var f in failures) Say(comm, "FAIL " + f);
        var failedRanks = comm.AllReduceSum([failures.Count > 0 ? 1L : 0L])[0];
        if (comm.Rank == 0)
            Console.WriteLine(failedRanks == 0 ? $"RESULT {mode} ok" : $"RESULT {mode} failed on {failedRanks} rank(s)");
        return failedRanks == 0 ? 0 : 2;
    }

    private static void Say(Communicator comm, string text)
    {
        Console.WriteLine($"rank {comm.Rank}: {text}");
        Console.Out.Flush();
    }

    private static List<string> Collectives(Communicator comm)
    {
        var failures = new List<string>();
        var (rank, size) = (comm.Rank, comm.Size);
        if (comm is MpiCommunicator mpi) Say(comm, $"{mpi.LibraryVersion}, thread level {mpi.ThreadSupport}");

        // F32 sum: small integers and halves are exact in any order of summation.
        const int n = 1000;
        using var f = Tensor.FromArray(Enumerable.Range(0, n).Select(i => (float)(rank + 1 + i * 0.5)).ToArray(), n);
        comm.AllReduceSum(f);
        var fv = f.ToArray<float>();
        var rankSum = size * (size + 1) / 2;
        for (var i = 0; i < n; i++)
            if (fv[i] != rankSum + size * i * 0.5f) { failures.Add($"F32 all-reduce [{i}] = {fv[i]}, expected {rankSum + size * i * 0.5f}"); break; }

        // F64 average.
        using var d = Tensor.FromArray(Enumerable.Range(0, n).Select(i => (double)(rank * 4 + i)).ToArray(), n);
        comm.AllReduceAverage(d);
        var dv = d.ToArray<double>();
        for (var i = 0; i < n; i++)
            if (Math.Abs(dv[i] - (4.0 * (size - 1) / 2 + i)) > 1e-12) { failures.Add($"F64 average [{i}] = {dv[i]}"); break; }

        // Several in flight at once, waited in reverse order; one large enough to take a while.
        using var a = Tensor.FromArray(Enumerable.Repeat((float)rank, 3_000_000).ToArray(), 3_000_000);
        using var b = Tensor.FromArray(new double[] { rank, 1 }, 2);
        using var c = Tensor.FromArray(new int[] { rank, 1, -rank }, 3);
        var ha = comm.AllReduceSumAsync(a);
        var hb = comm.AllReduceSumAsync(b);
        var hc = comm.AllReduceSumAsync(c);
        hc.Wait();
        hb.Wait();
        ha.Wait();
        var expectedRanks = size * (size - 1) / 2;
        if (a.ToArray<float>().Any(v => v != expectedRanks)) failures.Add("async F32 all-reduce of 3M elements is wrong");
        if (!b.ToArray<double>().SequenceEqual([expectedRanks, (double)size])) failures.Add($"async F64 all-reduce gave [{string.Join(", ", b.ToArray<double>())}]");
        if (!c.ToArray<int>().SequenceEqual([expectedRanks, size, -expectedRanks])) failures.Add($"async I32 all-reduce gave [{string.Join(", ", c.ToArray<int>())}]");

        // Broadcast from the last rank (F64) and from rank 0 (bytes).
        using var e = Tensor.FromArray(new double[] { rank, rank * 2.5, -1 }, 3);
        comm.Broadcast(e, size - 1);
        if (!e.ToArray<double>().SequenceEqual([size - 1, (size - 1) * 2.5, -1])) failures.Add($"broadcast from {size - 1} gave [{string.Join(", ", e.ToArray<double>())}]");
        using var u = Tensor.FromArray(rank == 0 ? new byte[] { 7, 8, 9 } : new byte[3], 3);
        comm.Broadcast(u, 0);
        if (!u.ToArray<byte>().SequenceEqual(new byte[] { 7, 8, 9 })) failures.Add("U8 broadcast from 0 is wrong");

        comm.Barrier();
        var counts = comm.AllReduceSum([rank, 1, 1L << 40]);
        if (!counts.SequenceEqual([expectedRanks, size, size * (1L << 40)])) failures.Add($"count sum gave [{string.Join(", ", counts)}]");

        // Evaluation sharded by rank: every item once, counts summed.
        var shard = DistributedEvaluation.Shard(1003, comm);
        var (correct, total) = DistributedEvaluation.SumCounts(comm, shard.Count(i => i % 3 == 0), shard.Length);
        if (total != 1003 || correct != Enumerable.Range(0, 1003).Count(i => i % 3 == 0)) failures.Add($"sharded evaluation counted {correct}/{total}");
        Say(comm, $"collectives checked: {failures.Count} failure(s)");
        return failures;
    }

    /// <summary>Deterministic small networks, the same on every rank for the same seed.</summary>
    private static Sequential Network(bool batchNorm, DType dtype)
    {
        var rng = new Rng(42);
        if (!batchNorm)
            return new Sequential(new Linear(20, 32, rng: rng, dtype: dtype), new ReLU(), new Linear(32, 32, rng: rng, dtype: dtype), new Tanh(),
                new Linear(32, 10, rng: rng, dtype: dtype)).SkipInputGradient();
        return new Sequential(
            new Conv2d(1, 4, 3, padding: 1, bias: false, rng: rng, dtype: dtype), new BatchNorm2d(4, dtype: dtype), new ReLU(),
            new Conv2d(4, 6, 3, stride: 2, padding: 1, bias: false, rng: rng, dtype: dtype), new BatchNorm2d(6, dtype: dtype), new ReLU(),
            new Flatten(), new Linear(6 * 4 * 4, 10, rng: rng, dtype: dtype)).SkipInputGradient();
    }

    private static (double[] X, int[] Y, int[] Dims) Dataset(int count, bool images)
    {
        var rng = new Rng(2024);
        var features = images ? 64 : 20;
        var x = new double[count * features];
        for (var i = 0; i < x.Length; i++) x[i] = rng.Uniform(-1, 1);
        var y = new int[count];
        for (var i = 0; i < count; i++) y[i] = rng.NextInt(10);
        return (x, y, images ? [1, 8, 8] : [features]);
    }

    private static (Tensor X, Tensor Y) Batch((double[] X, int[] Y, int[] Dims) data, int[] indices, DType dtype)
    {
        var features = data.Dims.Aggregate(1, (p, q) => p * q);
        var xs = new double[indices.Length * features];
        var ys = new int[indices.Length];
        for (var i = 0; i < indices.Length; i++)
        {
            Array.Copy(data.X, indices[i] * features, xs, i * features, features);
            ys[i] = data.Y[indices[i]];
        }
        var x = dtype == DType.F64
            ? Tensor.FromArray(xs, [indices.Length, .. data.Dims])
            : Tensor.FromArray(xs.Select(v => (float)v).ToArray(), [indices.Length, .. data.Dims]);
        return (x, Tensor.FromArray(ys, indices.Length));
    }

    /// <summary>Bucketed gradients: every rank's averaged gradient against the average of all ranks' gradients computed here.</summary>
    private static List<string> Buckets(Communicator comm)
    {
        var failures = new List<string>();
        var (rank, size) = (comm.Rank, comm.Size);
        var data = Dataset(8 * size, images: false);
        using var net = Network(batchNorm: false, DType.F64);
        using var loss = new SoftmaxCrossEntropyLoss();
        double[][] Gradients(int r)
        {
            net.ZeroGrad();
            var (x, y) = Batch(data, Enumerable.Range(r * 8, 8).ToArray(), DType.F64);
            using (x)
            using (y)
            {
                loss.Forward(net.Forward(x), y);
                net.Backward(loss.Backward());
            }
            return net.Parameters().Select(p => p.Grad.ToArray<double>()).ToArray();
        }
        var perRank = Enumerable.Range(0, size).Select(Gradients).ToArray();

        // Small buckets, so that several start during backward.
        using var buckets = new GradientBuckets(net, comm, bucketBytes: 4096);
        net.ZeroGrad();
        var (bx, by) = Batch(data, Enumerable.Range(rank * 8, 8).ToArray(), DType.F64);
        using (bx)
        using (by)
        {
            loss.Forward(net.Forward(bx), by);
            buckets.Backward(net, loss.Backward());
        }
        var startedEarly = buckets.Buckets.Count(b => b.Started);
        buckets.WaitAll();
        double worst = 0;
        var parameters = net.Parameters().ToArray();
        for (var p = 0; p < parameters.Length; p++)
        {
            var got = parameters[p].Grad.ToArray<double>();
            for (var i = 0; i < got.Length; i++)
            {
                double sum = 0;
                for (var r = 0; r < size; r++) sum += perRank[r][p][i];
                worst = Math.Max(worst, Math.Abs(got[i] - sum / size));
            }
        }
        Say(comm, $"{buckets.Buckets.Count} buckets, {startedEarly} started during backward; max |averaged - expected| = {worst.ToString("E2", Invariant)}");
        // MPI may sum in another order than rank order: equal to rounding, not to the bit.
        if (worst > 1e-15) failures.Add($"bucketed average differs from the ranks' average by {worst:E2}");
        if (startedEarly < buckets.Buckets.Count - 1) failures.Add($"only {startedEarly} of {buckets.Buckets.Count} buckets started before WaitAll");
        return failures;
    }

    /// <summary>
    /// 20 SGD steps with per-rank batch n against, on rank 0, one process with batch kn (with BN: kn with k ghost batches),
    /// both drawing from the same distributed sampler.
    /// </summary>
    private static List<string> Train(Communicator comm, bool batchNorm)
    {
        const int perRank = 8, steps = 20, datasetSize = 320;
        const ulong seed = 7;
        var failures = new List<string>();
        var (rank, size) = (comm.Rank, comm.Size);
        var data = Dataset(datasetSize, images: batchNorm);
        var sampler = new DistributedSampler(datasetSize, rank, size, seed);
        var perEpoch = sampler.StepsPerEpoch(perRank);

        double[][] Run(bool distributed)
        {
            using var net = Network(batchNorm, DType.F32);
            if (!distributed) GoyalRecipe.SetVirtualWorkers(net, size);
            using var loss = new SoftmaxCrossEntropyLoss();
            using var sgd = new Sgd(net.Parameters(), 0.1, 0.9, 1e-4);
            var schedule = new GoyalSchedule(perRank * size) { ReferenceBatch = 16, WarmupEpochs = 1 };
            using var buckets = new GradientBuckets(net, distributed ? comm : new SingleRankCommunicator(), bucketBytes: 2048);
            for (var step = 0; step < steps; step++)
            {
                var (epoch, inEpoch) = (step / perEpoch, step % perEpoch);
                var indices = distributed ? sampler.Batch(epoch, inEpoch, perRank) : sampler.CombinedBatch(epoch, inEpoch, perRank);
                var (x, y) = Batch(data, indices, DType.F32);
                using (x)
                using (y)
                {
                    sgd.LearningRate = schedule.AtIteration(step, perEpoch);
                    sgd.ZeroGrad();
                    loss.Forward(net.Forward(x), y);
                    buckets.Backward(net, loss.Backward());
                    buckets.WaitAll();
                    sgd.Step();
                }
            }
            // Each rank's BN running statistics followed its own batches; averaged, they are the virtual-worker run's.
            if (distributed) ModelReplicas.AverageBuffers(net, comm);
            return net.Parameters().Select(p => p.Value).Concat(net.NamedBuffers().Select(b => b.Buffer))
                .Select(t => t.ToArray<float>().Select(v => (double)v).ToArray()).ToArray();
        }

        var mine = Run(distributed: true);
        // Every rank must hold the same weights: compare with rank 0's.
        double spread = 0;
        foreach (var w in mine)
        {
            using var t = Tensor.FromArray(w, w.Length);
            comm.Broadcast(t, 0);
            var root = t.ToArray<double>();
            for (var i = 0; i < w.Length; i++) spread = Math.Max(spread, Math.Abs(w[i] - root[i]));
        }
        if (spread != 0) failures.Add($"ranks disagree on the weights by {spread:E2}");
        if (rank == 0)
        {
            var single = Run(distributed: false);
            double worst = 0;
            for (var p = 0; p < mine.Length; p++)
                for (var i = 0; i < mine[p].Length; i++)
                    worst = Math.Max(worst, Math.Abs(mine[p][i] - single[p][i]));
            Say(comm, $"{(batchNorm ? "conv+BN" : "MLP")}: {size} ranks x batch {perRank} vs one process x batch {perRank * size}" +
                $"{(batchNorm ? $" with {size} ghost batches" : "")}, {steps} steps: max |w - w_single| = {worst.ToString("E2", Invariant)}" +
                $"{(batchNorm ? " (weights and averaged running statistics)" : "")}");
            if (!(worst <= 1e-5)) failures.Add($"distributed weights differ from the single-process run by {worst:E2} (> 1e-5)");
        }
        return failures;
    }

    /// <summary>An MPI error comes back as a CommunicatorException naming the call and the rank.</summary>
    private static List<string> Error(Communicator comm)
    {
        if (comm is not MpiCommunicator mpi) return ["the error check needs the MPI communicator"];
        using var t = new Tensor([1], DType.I32);
        try
        {
            var root = mpi.Size + 5;
            mpi.Run("MPI_Bcast", () => Mpi.Check(Mpi.MPI_Bcast(t.Pointer, 1, Mpi.MPI_INT, root, Mpi.MPI_COMM_WORLD)));
            return ["MPI_Bcast with an invalid root did not fail"];
        }
        catch (CommunicatorException e)
        {
            Say(comm, "caught: " + e.Message);
            var expected = new[] { $"rank {comm.Rank} of {comm.Size}", "MPI_Bcast", "MPI_ERR_ROOT" };
            return expected.Where(s => !e.Message.Contains(s, StringComparison.Ordinal)).Select(s => $"the message lacks '{s}'").ToList();
        }
    }

    /// <summary>Rank 1 is killed (SIGKILL) before an all-reduce the others wait in: mpirun must end the job.</summary>
    private static List<string> Die(Communicator comm)
    {
        comm.Timeout = TimeSpan.FromMinutes(10); // longer than the test waits: what ends the job is mpirun, not our timeout
        comm.Barrier();
        if (comm.Rank == 1)
        {
            Say(comm, "killing myself with SIGKILL");
            Process.GetCurrentProcess().Kill();
        }
        var clock = Stopwatch.StartNew();
        using var t = Tensor.FromArray(new float[] { 1 }, 1);
        comm.AllReduceSum(t);
        return [$"the all-reduce returned after {clock.Elapsed.TotalSeconds:0.0} s although rank 1 is dead"];
    }

    /// <summary>Rank 1 never joins an all-reduce; the others time out (NATIVENETS_PROBE_TIMEOUT s, default 3) and abort the job.</summary>
    private static List<string> Hang(Communicator comm)
    {
        var seconds = double.Parse(Environment.GetEnvironmentVariable("NATIVENETS_PROBE_TIMEOUT") ?? "3", Invariant);
        comm.Timeout = TimeSpan.FromSeconds(seconds);
        comm.Barrier();
        if (comm.Rank == 1)
        {
            Say(comm, "sleeping instead of joining the all-reduce");
            Thread.Sleep(TimeSpan.FromMinutes(5));
            return ["rank 1 woke up: nobody ended the job"];
        }
        using var t = Tensor.FromArray(new float[] { 1 }, 1);
        comm.AllReduceSum(t);
        return ["the all-reduce returned although rank 1 never joined it"];
    }
}
