using System.Diagnostics;
using NativeNets.Backends;
using NativeNets.Losses;
using NativeNets.MixedPrecision;
using NativeNets.Modules;
using NativeNets.Optim;
using NativeNets.Distributed;
using NativeNets.Tensors;

namespace NativeNets.Nets.Classifiers;

/// <summary>
/// A classifier that is a network of layers trained by minibatch SGD: the linear classifier and the
/// two- and three-layer nets. Pixels are normalised with the training set's mean and standard deviation
/// (learned by Train, applied by Predict); each step gathers a batch of U8 rows, converts them on the
/// backend, runs forward, the loss, backward and the optimizer: a plain loop, no tape.
/// </summary>
public abstract class NeuralClassifier : IClassifier
{
    private Sequential? _net;
    private int[] _imageDims = [];
    private double _mean;
    private double _std = 1;
    private const string LossScaleKey = "loss_scale";

    /// <summary>The dtype the network takes its input in: F32, or F16 / BF16 in mixed precision.</summary>
    private DType InputDType => Options.Precision.ComputeDType();

    protected NeuralClassifier(TrainOptions? options, Device? device)
    {
        Options = options ?? new TrainOptions();
        Device = device ?? Device.Cpu;
    }

    public abstract string Name { get; }
    public TrainOptions Options { get; }
    public Device Device { get; }

    /// <summary>The trained network (after Train).</summary>
    public Sequential Network => _net ?? throw new InvalidOperationException($"{Name}: not trained");

    /// <summary>
    /// Data-parallel training: every rank holds the whole dataset and the same seed, so all draw the same shuffle; each
    /// global batch of BatchSize x ranks images is split in rank order, each rank computes the gradient of its share, and
    /// the gradients are averaged (bucketed all-reduce overlapping backward) before every step. The result equals one
    /// process with the global batch (without BN; with BN, one process with that many virtual workers). Null: one rank.
    /// </summary>
    public Distributed.Communicator? Communicator { get; set; }

    /// <summary>Called after each epoch.</summary>
    public Action<EpochReport>? OnEpoch { get; set; }

    /// <summary>Called at each step that a loss-scale overflow skipped (fp16).</summary>
    public Action<LossScaleOverflow>? OnOverflow { get; set; }

    /// <summary>The dynamic loss scale of the last fp16 Train (its scale and skipped steps); null in fp32 and bf16.</summary>
    public LossScaler? LossScaler { get; private set; }

    /// <summary>Called after each step with (images done this epoch, images per epoch).</summary>
    public Action<long, long>? OnStep { get; set; }

    /// <summary>Seconds spent in training steps (data gather, forward, backward, update), for images/s.</summary>
    public double TrainSeconds { get; private set; }

    public long TrainImages { get; private set; }

    /// <summary>The training pixels' mean and standard deviation in [0, 1] units, which inputs are normalised with.</summary>
    public double PixelMean => _mean;
    public double PixelStd => _std;

    /// <summary>The epochs a resumed run found already done in its checkpoint (0 for a fresh run).</summary>
    public int ResumedFromEpoch { get; private set; }

    /// <summary>The network for images of <paramref name="imageDims"/> (C, H, W) and <paramref name="classes"/> classes.</summary>
    protected abstract Sequential Build(int[] imageDims, int classes, Rng rng);

    protected abstract Loss CreateLoss();

    public void Train(Tensor images, int[] labels)
    {
        ClassifierExtensions.CheckImages(images, Name);
        var (n, d) = images.AsMatrix;
        if (n != labels.Length) throw new ArgumentException($"{Name}: {labels.Length} labels for {n} images");
        var classes = ClassifierExtensions.ClassCount(labels);
        var rng = new Rng(Options.Seed);
        _net?.Dispose();
        _imageDims = images.Rank == 4 ? [images[1], images[2], images[3]] : [d];
        _net = Build(_imageDims, classes, rng).SkipInputGradient();
        _net.Training = true;
        if (Options.VirtualWorkers > 1) GoyalRecipe.SetVirtualWorkers(_net, Options.VirtualWorkers);
        if (Options.NoDecayOnBatchNorm) GoyalRecipe.NoWeightDecayOnBatchNorm(_net);
        if (Options.ZeroInitResidualGamma) GoyalRecipe.ZeroInitLastBatchNormGamma(_net);
        MixedPrecisionNetwork.Apply(_net, Options.Precision);
        var scaler = LossScaler = LossScaler.For(Options.Precision);
        if (scaler is not null) scaler.OnOverflow = e => OnOverflow?.Invoke(e);
        var ranks = Communicator?.Size ?? 1;
        var rank = Communicator?.Rank ?? 0;
        (_mean, _std) = PixelStatistics(images);

        var ops = Backend.For(Device);
        if (Options.ChannelsLast && Device.Kind == DeviceKind.Cpu)
            throw new ArgumentException($"{Name}: channels last runs on the GPU only (the CPU backend's convolutions, batch norm and pooling are NCHW)");
        using var onDevice = ClassifierExtensions.CopyIfElsewhere(images, Device);
        var flat = (onDevice ?? images).Reshape(n, d);
        using var loss = CreateLoss();
        using var sgd = new Sgd(_net.Parameters(), Options.LearningRate, Options.Momentum, Options.WeightDecay);
        ILearningRateSchedule schedule = Options.Schedule ?? new StepLearningRate(Options.LearningRate, Options.LrStepEpochs, Options.LrGamma);
        var batch = Math.Min(Options.BatchSize, n / ranks);
        if (batch < 1) throw new ArgumentException($"{Name}: {n} images cannot feed {ranks} ranks");
        if (Options.VirtualWorkers > 1 && batch % Options.VirtualWorkers != 0)
            throw new ArgumentException($"{Name}: batch {batch} does not split into {Options.VirtualWorkers} virtual workers");
        var globalBatch = batch * ranks;
        var stepsPerEpoch = n / globalBatch;
        using var buckets = Communicator is { } comm and not SingleRankCommunicator
            ? new Distributed.GradientBuckets(_net, comm) { ForceOneRank = true } : null;
        using var xU8 = new Tensor([batch, d], DType.U8, Device);
        using var x = new Tensor([batch, .. _imageDims], InputDType, Device);
        using var xLast = ChannelsLastBuffer(x);
        using var y = new Tensor([batch], DType.I32, Device);
        using var predicted = new Tensor([batch], DType.I32, Device);
        var yHost = new int[batch];
        TrainSeconds = 0;
        TrainImages = 0;
        var step = 0L;
        var startEpoch = 0;
        var fingerprint = $"{Name}, input {Tensor.FormatDims(_imageDims)}, {classes} classes, {n} images, batch {batch}{(ranks > 1 ? $" x {ranks} ranks" : "")}, seed {Options.Seed}" +
            (Options.Precision == Precision.Fp32 ? "" : $", {Options.Precision.Name()}");
        ResumedFromEpoch = 0;
        if (Options.Resume && Options.CheckpointPath is { } resumeFrom && File.Exists(resumeFrom))
        {
            var state = Weights.Checkpoint.Load(resumeFrom, _net, sgd, fingerprint);
            (startEpoch, step, rng.State) = (state.Epoch, state.Step, state.Rng);
            if (scaler is not null && state.Extra.TryGetValue(LossScaleKey, out var scale))
                scaler.Scale = double.Parse(scale, System.Globalization.CultureInfo.InvariantCulture);
            ResumedFromEpoch = startEpoch;
        }
        for (var epoch = startEpoch; epoch < Options.Epochs && (Options.MaxSteps == 0 || step < Options.MaxSteps); epoch++)
        {
            sgd.LearningRate = schedule.At(epoch);
            var order = Data.Datasets.Batches.Order(n, rng);
            var inEpoch = 0;
            double lossSum = 0;
            long seen = 0, correct = 0;
            var clock = Stopwatch.StartNew();
            // Whole batches only: a short last batch would change the shapes (and the statistics) of one step.
            foreach (var global in Data.Datasets.Batches.Slices(order, globalBatch, dropLast: true))
            {
                if (Options.MaxSteps > 0 && step >= Options.MaxSteps) break;
                // This rank's share of the global batch, in rank order.
                var slice = global.Slice(rank * batch, batch);
                sgd.LearningRate = schedule.At(epoch + (double)inEpoch++ / stepsPerEpoch);
                Diagnostics.Profiling.BeginStep((int)++step, ops);
                var input = LoadBatch(flat, slice, xU8, x, xLast);
                for (var i = 0; i < batch; i++) yHost[i] = labels[slice[i]];
                y.CopyFrom<int>(yHost);

                sgd.ZeroGrad();
                loss.GradientScale = scaler?.Scale ?? 1;
                var scores = _net.Forward(input);
                lossSum += (loss.Forward(scores, y) + AuxiliaryLosses.Add(_net, y, loss.GradientScale)) * batch;
                if (buckets is null) _net.Backward(loss.Backward());
                else
                {
                    buckets.Backward(_net, loss.Backward());
                    buckets.WaitAll();
                }
                if (scaler is null) sgd.Step();
                else scaler.Step(sgd);
                Diagnostics.Profiling.EndStep((int)step, ops);

                ops.ArgMaxRows(scores, predicted);
                var p = predicted.ToArray<int>();
                for (var i = 0; i < batch; i++) if (p[i] == yHost[i]) correct++;
                seen += batch;
                OnStep?.Invoke(seen, n);
            }
            ops.Synchronize();
            var seconds = clock.Elapsed.TotalSeconds;
            TrainSeconds += seconds;
            TrainImages += seen;
            var penalty = L2Regularization.Penalty(_net.Parameters(), Options.WeightDecay);
            OnEpoch?.Invoke(new EpochReport(epoch + 1, Options.Epochs, lossSum / Math.Max(1, seen) + penalty,
                (double)correct / Math.Max(1, seen), sgd.LearningRate, seconds, seen));
            if (Options.CheckpointPath is { } checkpoint && rank == 0)
                Weights.Checkpoint.Save(checkpoint, _net, sgd, new Weights.TrainingState
                {
                    Epoch = epoch + 1, Step = step, Rng = rng.State, Dropout = Weights.Checkpoint.DropoutStates(_net), Fingerprint = fingerprint,
                    Extra = scaler is null ? [] : new() { [LossScaleKey] = scaler.Scale.ToString("R", System.Globalization.CultureInfo.InvariantCulture) },
                });
        }
        _net.Training = false;
    }

    public int[] Predict(Tensor images)
    {
        ClassifierExtensions.CheckImages(images, Name);
        var net = _net ?? throw new InvalidOperationException($"{Name}: Predict before Train");
        var (n, d) = images.AsMatrix;
        var inputs = _imageDims.Aggregate(1, (a, b) => a * b);
        if (d != inputs) throw new ArgumentException($"{Name}: images have {d} values each, the network takes {inputs} ({Tensor.FormatDims(_imageDims)})");
        var ops = Backend.For(Device);
        using var onDevice = ClassifierExtensions.CopyIfElsewhere(images, Device);
        var flat = (onDevice ?? images).Reshape(n, d);
        var result = new int[n];
        var batch = Math.Max(1, Math.Min(Options.BatchSize, n));
        Tensor? xU8 = null, x = null, xLast = null, predicted = null;
        try
        {
            for (var start = 0; start < n; start += batch)
            {
                var m = Math.Min(batch, n - start);
                if (xU8 is null || xU8[0] != m)
                {
                    xU8?.Dispose(); x?.Dispose(); xLast?.Dispose(); predicted?.Dispose();
                    xU8 = new Tensor([m, d], DType.U8, Device);
                    x = new Tensor([m, .. _imageDims], InputDType, Device);
                    xLast = ChannelsLastBuffer(x);
                    predicted = new Tensor([m], DType.I32, Device);
                }
                ops.ArgMaxRows(net.Forward(LoadBatch(flat, Enumerable.Range(start, m).ToArray(), xU8, x!, xLast)), predicted!);
                predicted!.ToArray<int>().CopyTo(result, start);
            }
        }
        finally
        {
            xU8?.Dispose(); x?.Dispose(); xLast?.Dispose(); predicted?.Dispose();
        }
        return result;
    }

    /// <summary>With <see cref="TrainOptions.ChannelsLast"/>, an NHWC buffer for image batches like <paramref name="x"/>; else null.</summary>
    private Tensor? ChannelsLastBuffer(Tensor x) =>
        Options.ChannelsLast && x.Rank == 4 ? new Tensor(x.Shape, x.DType, x.Device, Layout.NHWC) : null;

    /// <summary>
    /// Gathers the rows of a batch as U8 and normalises them into x with the training set's statistics; returns the
    /// network's input: x, or its NHWC copy in <paramref name="xLast"/> (channels last).
    /// </summary>
    private Tensor LoadBatch(Tensor images, ReadOnlySpan<int> rows, Tensor xU8, Tensor x, Tensor? xLast)
    {
        var ops = x.Backend;
        ops.GatherRows(images, rows, xU8);
        ops.ScaleShift(xU8, x, 1.0 / (255 * _std), -_mean / _std);
        if (xLast is null) return x;
        ops.ConvertLayout(x, xLast);
        return xLast;
    }

    protected static int Features(int[] imageDims) => imageDims.Aggregate(1, (a, b) => a * b);

    /// <summary>Mean and standard deviation of all pixels, in [0, 1] units.</summary>
    private static (double Mean, double Std) PixelStatistics(Tensor images)
    {
        ReadOnlySpan<byte> bytes = images.Device.Kind == DeviceKind.Cpu ? images.Span<byte>() : images.ToArray<byte>();
        Span<long> histogram = stackalloc long[256];
        histogram.Clear();
        foreach (var b in bytes) histogram[b]++;
        double sum = 0, sumSq = 0;
        for (var v = 0; v < 256; v++)
        {
            sum += histogram[v] * (v / 255.0);
            sumSq += histogram[v] * (v / 255.0) * (v / 255.0);
        }
        var mean = sum / bytes.Length;
        var std = Math.Sqrt(Math.Max(sumSq / bytes.Length - mean * mean, 1e-12));
        return (mean, std);
    }

    public void Dispose()
    {
        _net?.Dispose();
        GC.SuppressFinalize(this);
    }
}

public enum LinearLoss
{
    Svm,
    Softmax,
}

/// <summary>The linear classifier f(x) = Wx + b with the SVM hinge loss or softmax cross-entropy.</summary>
public sealed class LinearClassifier(LinearLoss loss = LinearLoss.Softmax, TrainOptions? options = null, Device? device = null)
    : NeuralClassifier(options, device)
{
    public LinearLoss LossKind { get; } = loss;
    public override string Name => LossKind == LinearLoss.Svm ? "linear-svm" : "linear-softmax";

    protected override Sequential Build(int[] imageDims, int classes, Rng rng) =>
        new Sequential().Add("fc", new Linear(Features(imageDims), classes, rng: rng, device: Device));

    protected override Loss CreateLoss() => LossKind == LinearLoss.Svm ? new MulticlassSvmLoss() : new SoftmaxCrossEntropyLoss();
}

/// <summary>W2 max(0, W1 x + b1) + b2, trained with softmax cross-entropy.</summary>
public sealed class TwoLayerNet(int hidden = 100, TrainOptions? options = null, Device? device = null)
    : NeuralClassifier(options, device)
{
    public int Hidden { get; } = hidden;
    public override string Name => "two-layer";

    protected override Sequential Build(int[] imageDims, int classes, Rng rng) => new Sequential()
        .Add("fc1", new Linear(Features(imageDims), Hidden, rng: rng, device: Device))
        .Add("relu", new ReLU())
        .Add("fc2", new Linear(Hidden, classes, rng: rng, device: Device));

    protected override Loss CreateLoss() => new SoftmaxCrossEntropyLoss();
}

/// <summary>W3 tanh(W2 max(0, W1 x + b1) + b2) + b3, trained with softmax cross-entropy.</summary>
public sealed class ThreeLayerNet(int hidden1 = 256, int hidden2 = 128, TrainOptions? options = null, Device? device = null)
    : NeuralClassifier(options, device)
{
    public int Hidden1 { get; } = hidden1;
    public int Hidden2 { get; } = hidden2;
    public override string Name => "three-layer";

    protected override Sequential Build(int[] imageDims, int classes, Rng rng) => new Sequential()
        .Add("fc1", new Linear(Features(imageDims), Hidden1, rng: rng, device: Device))
        .Add("relu", new ReLU())
        .Add("fc2", new Linear(Hidden1, Hidden2, rng: rng, device: Device))
        .Add("tanh", new Tanh())
        .Add("fc3", new Linear(Hidden2, classes, rng: rng, device: Device));

    protected override Loss CreateLoss() => new SoftmaxCrossEntropyLoss();
}

/// <summary>Any architecture of <see cref="Architectures.Architectures"/> (LeNet-5, the CIFAR ResNets, ...) trained as a classifier.</summary>
public sealed class CnnClassifier(string architecture, TrainOptions? options = null, Device? device = null, bool smallStem = false)
    : NeuralClassifier(options, device)
{
    public string Architecture { get; } = architecture;
    public bool SmallStem { get; } = smallStem;
    public override string Name => Architecture;

    protected override Sequential Build(int[] imageDims, int classes, Rng rng)
    {
        if (imageDims.Length != 3) throw new ArgumentException($"{Architecture} needs images [N, C, H, W], got {Tensor.FormatDims(imageDims)} per image");
        var model = Architectures.Architectures.Create(Architecture, new Architectures.ArchitectureOptions
        {
            Classes = classes, InChannels = imageDims[0], SmallStem = SmallStem, Device = Device, Seed = Options.Seed,
        });
        return model.Network;
    }

    protected override Loss CreateLoss() => new SoftmaxCrossEntropyLoss();
}
