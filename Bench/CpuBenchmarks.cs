using System.Diagnostics;
using NativeNets.Backends;
using NativeNets.Data;
using NativeNets.Losses;
using NativeNets.Modules;
using NativeNets.Nets.Classifiers;
using NativeNets.Optim;
using NativeNets.Tensors;

namespace NativeNets.Bench;

/// <summary>NativeNets' own figures: GEMM, k-NN, training throughput, and a per-layer profile of one training step.</summary>
internal static class CpuBenchmarks
{
    private static readonly Backend Cpu = CpuBackend.Instance;

    /// <summary>GFLOP/s of C = A B for M x K times K x N, median of <paramref name="runs"/> after one warm-up.</summary>
    public static double GemmGflops(int m, int n, int k, bool ta = false, bool tb = false, int runs = 5)
    {
        var rng = new Rng(1);
        using var a = Init.Uniform(ta ? [k, m] : [m, k], -1, 1, rng, DType.F32, Device.Cpu);
        using var b = Init.Uniform(tb ? [n, k] : [k, n], -1, 1, rng, DType.F32, Device.Cpu);
        using var c = new Tensor([m, n]);
        var flops = 2.0 * m * n * k;
        var reps = Math.Max(1, (int)(2e9 / flops)); // about a second of work per run at 2 GFLOP/s, less when faster
        Cpu.Gemm(ta, tb, 1, a, b, 0, c);
        var times = new List<double>();
        for (var r = 0; r < runs; r++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < reps; i++) Cpu.Gemm(ta, tb, 1, a, b, 0, c);
            times.Add(sw.Elapsed.TotalSeconds / reps);
        }
        return flops / Stats.Median(times) / 1e9;
    }

    public static (double Accuracy, double QueriesPerSecond, int[] Predictions) Knn(LabeledImages train, LabeledImages test, int k, Distance distance)
    {
        using var knn = new NearestNeighbor(k, distance);
        knn.Train(train);
        var sw = Stopwatch.StartNew();
        var predicted = knn.Predict(test.Images);
        var seconds = sw.Elapsed.TotalSeconds;
        return (ClassifierExtensions.Accuracy(predicted, test.Labels), test.Count / seconds, predicted);
    }

    /// <summary>Training images/s: one warm-up epoch, then the median of <paramref name="runs"/> timed epochs (as the peer script does).</summary>
    public static (double ImagesPerSecond, double TestAccuracy) TrainThroughput(string model, LabeledImages train, LabeledImages test, int runs,
        int batch = 256, bool smallStem = false)
    {
        var options = Zoo.DefaultOptions(model) with { Epochs = runs + 1, BatchSize = batch, LrStepEpochs = 0 };
        using var c = Zoo.Create(model, options, Device.Cpu, smallStem: smallStem);
        var rates = new List<double>();
        c.OnEpoch = r => { if (r.Epoch > 1) rates.Add(r.Images / r.Seconds); };
        c.Train(train);
        return (Stats.Median(rates), c.Accuracy(test));
    }

    /// <summary>Microseconds per call of each part of one two-layer training step at batch 256.</summary>
    public static List<(string Part, double Microseconds)> TwoLayerProfile(LabeledImages train, int hidden = 100, int batch = 256, int iterations = 300)
    {
        var rng = new Rng(1);
        var d = train.Features;
        using var fc1 = new Linear(d, hidden, rng: rng) { PropagateDown = false };
        using var relu = new ReLU();
        using var fc2 = new Linear(hidden, train.ClassCount, rng: rng);
        using var loss = new SoftmaxCrossEntropyLoss();
        var parameters = fc1.Parameters().Concat(fc2.Parameters()).ToList();
        using var sgd = new Sgd(parameters, 0.01, 0.9, 5e-4);
        using var xU8 = new Tensor([batch, d], DType.U8);
        using var x = new Tensor([batch, d]);
        using var y = Tensor.FromArray(train.Labels[..batch], batch);
        var rows = Enumerable.Range(0, batch).ToArray();
        var flat = train.Images.Reshape(train.Count, d);
        var parts = new (string, Action)[]
        {
            ("gather batch + U8 to F32", () => { Cpu.GatherRows(flat, rows, xU8); Cpu.ScaleShift(xU8, x, 1 / 255.0, 0); }),
            ($"fc1 forward (Linear {d}-{hidden})", () => fc1.Forward(x)),
            ("relu forward", () => relu.Forward(fc1.Forward(x))),
            ($"fc2 forward (Linear {hidden}-{train.ClassCount})", () => fc2.Forward(relu.Forward(fc1.Forward(x)))),
            ("softmax cross-entropy", () => loss.Forward(fc2.Forward(relu.Forward(fc1.Forward(x))), y)),
            ("fc2 backward", () => fc2.Backward(loss.Backward())),
            ("relu backward", () => relu.Backward(fc2.Backward(loss.Backward())!)),
            ("fc1 backward (weights only)", () => fc1.Backward(relu.Backward(fc2.Backward(loss.Backward())!)!)),
            ("sgd step (all parameters)", () => sgd.Step()),
        };
        // Each part is timed cumulatively with what it depends on, then the parts before it are subtracted.
        var cumulative = new double[parts.Length];
        for (var p = 0; p < parts.Length; p++)
        {
            for (var i = 0; i < 20; i++) parts[p].Item2();
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++) parts[p].Item2();
            cumulative[p] = sw.Elapsed.TotalMicroseconds / iterations;
        }
        var result = new List<(string, double)>
        {
            (parts[0].Item1, cumulative[0]),
            (parts[1].Item1, cumulative[1]),
            (parts[2].Item1, cumulative[2] - cumulative[1]),
            (parts[3].Item1, cumulative[3] - cumulative[2]),
            (parts[4].Item1, cumulative[4] - cumulative[3]),
            (parts[5].Item1, cumulative[5]),
            (parts[6].Item1, cumulative[6] - cumulative[5]),
            (parts[7].Item1, cumulative[7] - cumulative[6]),
            (parts[8].Item1, cumulative[8]),
        };
        return result;
    }
}
