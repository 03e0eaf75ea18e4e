using NativeNets.Distributed;
using NativeNets.Modules;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Distributed;

/// <summary>Ranks on threads (InProcessCommunicator), deterministic small networks and synthetic batches.</summary>
internal static class DistributedSupport
{
    /// <summary>
    /// Held by a rank thread around its forward, backward and optimizer step (never around a wait): the CPU backend's
    /// convolution weight gradient keeps per-pool-thread partial sums in thread-static scratch, which two concurrent
    /// callers would share. Collectives are joined without blocking inside the lock, so the ranks still meet.
    /// </summary>
    public static readonly Lock ComputeLock = new();

    /// <summary>Runs <paramref name="body"/> once per rank, each on its own thread, and rethrows the first failure.</summary>
    public static T[] RunRanks<T>(int size, Func<Communicator, T> body, TimeSpan? timeout = null)
    {
        var comms = InProcessCommunicator.Create(size);
        var results = new T[size];
        var errors = new Exception?[size];
        var threads = Enumerable.Range(0, size).Select(r => new Thread(() =>
        {
            try
            {
                results[r] = body(comms[r]);
            }
            catch (Exception e)
            {
                errors[r] = e;
            }
        }) { IsBackground = true, Name = $"rank {r}" }).ToArray();
        foreach (var t in threads) t.Start();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(2));
        foreach (var t in threads)
            Assert.True(t.Join(Max(TimeSpan.Zero, deadline - DateTime.UtcNow)), $"{t.Name} did not finish");
        foreach (var e in errors)
            if (e is not null) throw new AggregateException($"a rank failed: {e.Message}", e);
        return results;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>An MLP (no BN) or a small conv net with BN, the same weights for the same seed.</summary>
    public static Sequential Network(bool batchNorm, DType dtype, ulong seed = 42)
    {
        var rng = new Rng(seed);
        if (!batchNorm)
            return new Sequential(new Linear(12, 16, rng: rng, dtype: dtype), new ReLU(), new Linear(16, 16, rng: rng, dtype: dtype), new Tanh(),
                new Linear(16, 5, rng: rng, dtype: dtype)).SkipInputGradient();
        return new Sequential(
            new Conv2d(1, 3, 3, padding: 1, bias: false, rng: rng, dtype: dtype), new BatchNorm2d(3, dtype: dtype), new ReLU(),
            new Conv2d(3, 4, 3, stride: 2, padding: 1, bias: false, rng: rng, dtype: dtype), new BatchNorm2d(4, dtype: dtype), new Tanh(),
            new Flatten(), new Linear(4 * 3 * 3, 5, rng: rng, dtype: dtype)).SkipInputGradient();
    }

    /// <summary>A fixed synthetic dataset: <paramref name="count"/> items of 12 features (or 1x6x6 images), labels in [0, 5).</summary>
    public static (double[] X, int[] Y, int[] Dims) Dataset(int count, bool images, ulong seed = 2024)
    {
        var rng = new Rng(seed);
        var features = images ? 36 : 12;
        var x = new double[count * features];
        for (var i = 0; i < x.Length; i++) x[i] = rng.Uniform(-1, 1);
        var y = new int[count];
        for (var i = 0; i < count; i++) y[i] = rng.NextInt(5);
        return (x, y, images ? [1, 6, 6] : [features]);
    }

    /// <summary>The items <paramref name="indices"/> as an input tensor of <paramref name="dtype"/> and I32 labels.</summary>
    public static (Tensor X, Tensor Y) Batch((double[] X, int[] Y, int[] Dims) data, int[] indices, DType dtype)
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

    /// <summary>Every parameter's gradient, in Parameters() order.</summary>
    public static double[][] Gradients(Layer net) => net.Parameters().Select(p => AsDoubles(p.Grad)).ToArray();

    /// <summary>Every parameter's value, in Parameters() order.</summary>
    public static double[][] Weights(Layer net) => net.Parameters().Select(p => AsDoubles(p.Value)).ToArray();

    private static double[] AsDoubles(Tensor t) =>
        t.DType == DType.F64 ? t.ToArray<double>() : t.ToArray<float>().Select(v => (double)v).ToArray();

    /// <summary>The largest absolute difference between two sets of arrays of the same shapes.</summary>
    public static double MaxDifference(double[][] a, double[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        double worst = 0;
        for (var p = 0; p < a.Length; p++)
        {
            Assert.Equal(a[p].Length, b[p].Length);
            for (var i = 0; i < a[p].Length; i++) worst = Math.Max(worst, Math.Abs(a[p][i] - b[p][i]));
        }
        return worst;
    }
}
