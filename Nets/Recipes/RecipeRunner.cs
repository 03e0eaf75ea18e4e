using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using NativeNets.Data.Datasets;
using NativeNets.Data.Loading;
using NativeNets.Data.Transforms;
using NativeNets.Nets.Architectures;
using NativeNets.Nets.Classifiers;
using NativeNets.Nets.Experiments;
using NativeNets.Nets.Weights;
using NativeNets.Optim;
using NativeNets.Tensors;

namespace NativeNets.Nets.Recipes;

/// <summary>One epoch's figures, as written to metrics.jsonl and metrics.csv.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainError, double? ValError, double? ValTop5Error, double LearningRate, double Seconds, int Images);

/// <summary>
/// Runs a <see cref="Recipe"/>: the plan (--dry-run), or the training itself with metrics as JSON lines and CSV, curves as
/// PNG, a checkpoint after every epoch (resumable) and the final weights, all under one output folder.
/// </summary>
public sealed class RecipeRunner(Recipe recipe, string outputFolder, Device device)
{
    public Recipe Recipe { get; } = recipe;
    public string OutputFolder { get; } = outputFolder;

    /// <summary>Called after every epoch.</summary>
    public Action<EpochMetrics>? OnEpoch { get; set; }

    /// <summary>Called with (images done this epoch, images per epoch).</summary>
    public Action<long, long>? OnProgress { get; set; }

    /// <summary>Channels last on the GPU: the network runs on NHWC activations (image folders: the loader's own order, never reordered).</summary>
    public bool ChannelsLast { get; init; }

    /// <summary>The plan: sizes, steps, and the learning rate at every milestone, as lines of text.</summary>
    public static IReadOnlyList<string> Plan(Recipe r, int? trainImages = null, long? parameters = null)
    {
        var images = trainImages ?? r.TrainImages;
        var steps = Math.Max(1, images / r.Batch);
        var schedule = r.Schedule();
        string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
        string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
        var lines = new List<string>
        {
            $"recipe {r.Name}: {r.Paper}",
            $"model {r.Model}{(parameters is { } p ? $" ({N(p)} parameters)" : "")}, {r.Classes} classes, data {r.Data}, {N(images)} training images{(trainImages is null ? " (nominal)" : "")}",
            $"minibatch {N(r.Batch)}{(r.VirtualWorkers > 1 ? $" ({r.VirtualWorkers} workers of {r.Batch / r.VirtualWorkers}: BN statistics per worker)" : "")}, {r.Epochs} epochs, {N(steps)} steps per epoch, {N((long)steps * r.Epochs)} steps, {r.Precision}",
            $"SGD momentum {F(r.Momentum)}, weight decay {F(r.WeightDecay)}{(r.NoBatchNormDecay ? " (not on BN or biases)" : "")}{(r.ZeroGamma ? ", gamma = 0 in each residual block's last BN" : "")}",
            $"learning rate: {F(schedule.At(0))} at step 0{(r.LinearScaling ? $" (linear scaling: {F(r.LearningRate)} x {r.Batch} / {r.ReferenceBatch} = {F(schedule.ScaledRate)} after warmup)" : "")}",
        };
        if (r.WarmupEpochs > 0)
            lines.Add($"  warmup: linear per step to {F(schedule.At(r.WarmupEpochs))} at epoch {F(r.WarmupEpochs)} (step {N((long)Math.Round(r.WarmupEpochs * steps))})");
        if (r.Decay == "cosine")
            lines.Add($"  cosine: {F(schedule.At(r.Epochs / 2.0))} at epoch {F(r.Epochs / 2.0)}, {F(schedule.At(r.Epochs - 1.0 / steps))} at the last step");
        else
            foreach (var m in r.Milestones)
                lines.Add($"  epoch {F(m)} (step {N((long)Math.Round(m * steps))}): {F(schedule.At(m - 1e-6))} -> {F(schedule.At(m))}");
        lines.Add($"  last step: {F(schedule.At(r.Epochs - 1.0 / steps))}");
        return lines;
    }

    /// <summary>Trains the recipe on <paramref name="data"/>; returns every epoch's metrics.</summary>
    public IReadOnlyList<EpochMetrics> Run(string? data, int? epochs = null, bool resume = false, int trainLimit = 0)
    {
        Directory.CreateDirectory(OutputFolder);
        var r = epochs is { } e ? Recipe with { Epochs = e } : Recipe;
        var metrics = new List<EpochMetrics>();
        void Record(EpochMetrics m)
        {
            metrics.Add(m);
            Append(m);
            OnEpoch?.Invoke(m);
        }
        if (!resume)
        {
            File.Delete(Path.Combine(OutputFolder, "metrics.jsonl"));
            File.Delete(Path.Combine(OutputFolder, "metrics.csv"));
        }
        if (r.Data == "fashion-mnist") RunFashionMnist(r, data, resume, trainLimit, Record);
        else RunImageFolder(r, data ?? throw new ArgumentException($"recipe {r.Name} trains on an image folder: pass --data DIR (DIR/train/<class>/*.jpg, DIR/val/<class>/*.jpg)"), resume, Record);
        Curves.Plot(Path.Combine(OutputFolder, "curves.png"), $"{r.Name}: error", [(r.Name, metrics)]);
        return metrics;
    }

    private void RunFashionMnist(Recipe r, string? data, bool resume, int trainLimit, Action<EpochMetrics> record)
    {
        var dir = FashionMnist.Locate(data);
        var all = FashionMnist.LoadTrain(dir);
        using var train = trainLimit > 0 && trainLimit < all.Count ? all.Take(trainLimit) : all;
        if (!ReferenceEquals(train, all)) all.Dispose();
        using var test = FashionMnist.LoadTest(dir);
        var options = new TrainOptions
        {
            Epochs = r.Epochs, BatchSize = r.Batch, LearningRate = r.LearningRate, Momentum = r.Momentum, WeightDecay = r.WeightDecay,
            VirtualWorkers = r.VirtualWorkers, Schedule = r.Schedule(), NoDecayOnBatchNorm = r.NoBatchNormDecay, ZeroInitResidualGamma = r.ZeroGamma,
            CheckpointPath = Path.Combine(OutputFolder, "checkpoint.ckpt"), Resume = resume,
            Precision = MixedPrecision.PrecisionExtensions.Parse(r.Precision), ChannelsLast = ChannelsLast,
        };
        using var classifier = new CnnClassifier(r.Model, options, device);
        classifier.OnStep = OnProgress;
        classifier.OnEpoch = rep => record(new EpochMetrics(rep.Epoch, rep.MeanLoss, 1 - rep.TrainAccuracy, null, null, rep.LearningRate, rep.Seconds, (int)rep.Images));
        classifier.Train(train);
        var error = 1 - classifier.Accuracy(test);
        File.WriteAllText(Path.Combine(OutputFolder, "test.json"), new JsonObject { ["recipe"] = r.Name, ["test_error"] = error, ["test_images"] = test.Count }.ToJsonString() + "\n");
        StateDict.Save(classifier.Network, Path.Combine(OutputFolder, "final.safetensors"), new Dictionary<string, string> { ["model"] = r.Model, ["recipe"] = r.Name });
    }

    private void RunImageFolder(Recipe r, string data, bool resume, Action<EpochMetrics> record)
    {
        var train = ImageFolder.FromClassFolders(Path.Combine(data, "train"));
        var valDir = Path.Combine(data, "val");
        var val = Directory.Exists(valDir) ? ImageFolder.FromClassFolders(valDir) : null;
        using var model = Architectures.Architectures.Create(r.Model, new ArchitectureOptions { Classes = train.Classes.Count, Device = device });
        var net = model.Network.SkipInputGradient();
        if (r.VirtualWorkers > 1) GoyalRecipe.SetVirtualWorkers(net, r.VirtualWorkers);
        if (r.NoBatchNormDecay) GoyalRecipe.NoWeightDecayOnBatchNorm(net);
        if (r.ZeroGamma) GoyalRecipe.ZeroInitLastBatchNormGamma(net);
        var precision = MixedPrecision.PrecisionExtensions.Parse(r.Precision);
        MixedPrecision.MixedPrecisionNetwork.Apply(net, precision);
        var scaler = MixedPrecision.LossScaler.For(precision);
        using var sgd = new Sgd(net.Parameters(), r.LearningRate, r.Momentum, r.WeightDecay);
        var schedule = r.Schedule();
        var size = r.ImageSize;
        var batch = Math.Min(r.Batch, train.Count);
        using var trainLoader = new ImageLoader(train.Samples, ImageNetTransforms.Train(size), size, size,
            new ImageLoaderOptions { BatchSize = batch, Seed = 1, DropLast = true, BatchAllocator = ImageRun.BatchAllocatorFor(device) });
        using var valLoader = val is null ? null : new ImageLoader(val.Samples, ImageNetTransforms.Eval(size, size * 8 / 7), size, size,
            new ImageLoaderOptions { BatchSize = Math.Min(batch, 256), Shuffle = false, BatchAllocator = ImageRun.BatchAllocatorFor(device) });
        var checkpoint = Path.Combine(OutputFolder, "checkpoint.ckpt");
        var fingerprint = $"{r.Name}, {r.Model}, {train.Count} images, batch {batch}" + (precision == MixedPrecision.Precision.Fp32 ? "" : $", {r.Precision}");
        var start = 0;
        if (resume && File.Exists(checkpoint)) start = Checkpoint.Load(checkpoint, net, sgd, fingerprint).Epoch;
        for (var epoch = start; epoch < r.Epochs; epoch++)
        {
            var t = ImageRun.TrainEpoch(net, trainLoader, sgd, schedule, epoch, device, progress: (d, n) => OnProgress?.Invoke(d, n), scaler: scaler,
                channelsLast: ChannelsLast);
            EvalResult? v = valLoader is null ? null : ImageRun.Evaluate(net, valLoader, device, channelsLast: ChannelsLast);
            record(new EpochMetrics(epoch + 1, t.MeanLoss, 1 - t.TrainTop1, v is null ? null : 1 - v.Top1, v is null ? null : 1 - v.Top5, t.LearningRate,
                t.Seconds + (v?.Seconds ?? 0), t.Images));
            Checkpoint.Save(checkpoint, net, sgd, new TrainingState { Epoch = epoch + 1, Step = (long)(epoch + 1) * (train.Count / batch), Rng = [], Fingerprint = fingerprint });
        }
        StateDict.Save(net, Path.Combine(OutputFolder, "final.safetensors"), new Dictionary<string, string> { ["model"] = r.Model, ["recipe"] = r.Name });
    }

    private void Append(EpochMetrics m)
    {
        static string D(double? v) => v is { } d ? d.ToString("R", CultureInfo.InvariantCulture) : "";
        var json = new JsonObject
        {
            ["epoch"] = m.Epoch, ["train_loss"] = m.TrainLoss, ["train_error"] = m.TrainError, ["val_error"] = m.ValError, ["val_top5_error"] = m.ValTop5Error,
            ["lr"] = m.LearningRate, ["seconds"] = m.Seconds, ["images"] = m.Images,
        };
        File.AppendAllText(Path.Combine(OutputFolder, "metrics.jsonl"), json.ToJsonString() + "\n");
        var csv = Path.Combine(OutputFolder, "metrics.csv");
        var line = new StringBuilder();
        if (!File.Exists(csv)) line.AppendLine("epoch,train_loss,train_error,val_error,val_top5_error,lr,seconds,images");
        line.AppendLine(string.Join(",", m.Epoch.ToString(CultureInfo.InvariantCulture), D(m.TrainLoss), D(m.TrainError), D(m.ValError), D(m.ValTop5Error),
            D(m.LearningRate), D(m.Seconds), m.Images.ToString(CultureInfo.InvariantCulture)));
        File.AppendAllText(csv, line.ToString());
    }
}

/// <summary>Error curves as a PNG (ScottPlot), one line per run, as the paper's Figure 2 draws training error against epochs.</summary>
internal static class Curves
{
    public static void Plot(string path, string title, IEnumerable<(string Label, IReadOnlyList<EpochMetrics> Epochs)> runs)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (label, epochs) in runs)
        {
            if (epochs.Count == 0) continue;
            var x = epochs.Select(e => (double)e.Epoch).ToArray();
            var train = plot.Add.Scatter(x, epochs.Select(e => 100 * e.TrainError).ToArray());
            train.LegendText = $"{label} training error";
            if (epochs.All(e => e.ValError is not null))
            {
                var val = plot.Add.Scatter(x, epochs.Select(e => 100 * e.ValError!.Value).ToArray());
                val.LegendText = $"{label} validation error";
            }
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("error (%)");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        // Through a temporary file: a half-written PNG never stands at the final path.
        var temp = path + ".tmp";
        plot.SavePng(temp, 900, 560);
        File.Move(temp, path, overwrite: true);
    }
}
