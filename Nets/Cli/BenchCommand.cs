using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using NativeNets.Backends;
using NativeNets.Losses;
using NativeNets.MixedPrecision;
using NativeNets.Modules;
using NativeNets.Nets.Architectures;
using NativeNets.Optim;
using NativeNets.Tensors;

namespace NativeNets.Cli;

/// <summary>
/// `nativenets bench`: training and inference throughput of one architecture on synthetic data (random images and
/// labels, no loader), as Bench/anchors/torch_train.py measures PyTorch: warm-up steps, then timed ones, images/s end
/// to end of each step (forward, loss, backward, SGD with momentum).
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Architecture", Required = true };
        model.AcceptOnlyFromAmong([.. Architectures.Names]);
        var batch = new Option<int>("--batch") { Description = "Minibatch size", DefaultValueFactory = _ => 64 };
        var precision = Common.PrecisionOption();
        var steps = new Option<int>("--steps") { Description = "Timed steps", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first (cuDNN algorithm search, kernel compiles)", DefaultValueFactory = _ => 8 };
        var size = new Option<int?>("--size") { Description = "Input side in pixels (default: the architecture's, 224 for ImageNet nets)" };
        var classes = new Option<int>("--classes") { Description = "Output classes", DefaultValueFactory = _ => 1000 };
        var stem = new Option<string>("--stem") { Description = "ResNet-18..152 first layers: imagenet, or small (3x3, no max-pool, for 28-32 px)", DefaultValueFactory = _ => "imagenet" };
        stem.AcceptOnlyFromAmong("imagenet", "small");
        var channels = new Option<int?>("--channels") { Description = "Input channels (default: the architecture's)" };
        var tf32 = new Option<bool>("--tf32") { Description = "Let F32 GEMMs and convolutions use TF32 tensor cores (as PyTorch's cuDNN does by default)" };
        var device = Common.DeviceOption();
        var json = Common.Json();
        var profile = Common.ProfileSteps();
        var channelsLast = Common.ChannelsLast();
        var layerTimes = new Option<int?>("--layer-times")
        {
            Description = "Then time every layer, forward and backward, over a few more steps (synchronising around each layer) and print the layers down to this depth (1: conv1, layer1, ...; 2: layer1.0, ...)",
        };
        var cmd = new Command("bench", "Training and inference images/s of an architecture on synthetic data")
            { model, batch, precision, steps, warmup, size, classes, tf32, device, json, profile, stem, channels, layerTimes, channelsLast };
        cmd.SetAction(p => Common.Guard(() =>
        {
            Common.ApplyProfileSteps(p.GetValue(profile));
            var dev = Common.ParseDevice(p.GetValue(device)!);
            var result = Run(p.GetValue(model)!, p.GetValue(batch), p.GetValue(steps), p.GetValue(warmup), p.GetValue(size), p.GetValue(classes),
                dev, p.GetValue(tf32), p.GetValue(stem) == "small", p.GetValue(channels), PrecisionExtensions.Parse(p.GetValue(precision)!), p.GetValue(layerTimes),
                p.GetValue(channelsLast));
            if (p.GetValue(json)) Console.WriteLine(result.ToJsonString());
            else
            {
                Console.WriteLine($"{result["model"]} batch {result["batch"]} {result["precision"]} on {result["device"]}: train {result["train_images_per_second"]} img/s, " +
                                  $"inference {result["infer_images_per_second"]} img/s, peak {result["peak_gpu_bytes"]?.ToString() ?? "-"} bytes, mfu {result["mfu"]?.ToString() ?? "-"}");
                if (result["layer_times"] is JsonArray rows) PrintLayerTimes(rows);
            }
            return 0;
        }));
        return cmd;
    }

    public static JsonObject Run(string name, int batch, int steps, int warmup, int? size, int classes, Device device, bool tf32,
        bool smallStem = false, int? inChannels = null, Precision precision = Precision.Fp32, int? layerDepth = null, bool channelsLast = false)
    {
        Common.CheckChannelsLast(channelsLast, device);
        var backend = Backend.For(device);
        if (backend is CudaBackend cuda) cuda.AllowTf32 = tf32;
        using var model = Architectures.Create(name, new ArchitectureOptions { Classes = classes, Device = device, SmallStem = smallStem, InChannels = inChannels });
        var side = size ?? model.InputSize;
        var net = model.Network.SkipInputGradient();
        MixedPrecisionNetwork.Apply(net, precision);
        var rng = new Rng(1);
        using var x = new Tensor([batch, model.InChannels, side, side], precision.ComputeDType(), device);
        using (var x32 = new Tensor(x.Shape, DType.F32, device))
        {
            x32.CopyFrom<float>(Enumerable.Range(0, (int)x.Count).Select(_ => (float)rng.Uniform(-1, 1)).ToArray());
            backend.Cast(x32, x);
        }
        // Channels last: the batch reordered once; every layer then makes its output in its input's layout.
        using var xNhwc = channelsLast ? new Tensor(x.Shape, x.DType, device, Layout.NHWC) : null;
        if (xNhwc is not null) backend.ConvertLayout(x, xNhwc);
        var input = xNhwc ?? x;
        using var y = new Tensor([batch], DType.I32, device);
        y.CopyFrom<int>(Enumerable.Range(0, batch).Select(i => i % classes).ToArray());
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new Sgd(net.Parameters(), 0.01, 0.9, 1e-4);
        var scaler = LossScaler.For(precision);

        var stepNumber = 0;
        void Step()
        {
            Diagnostics.Profiling.BeginStep(++stepNumber, backend);
            sgd.ZeroGrad();
            loss.GradientScale = scaler?.Scale ?? 1;
            var logits = net.Forward(input);
            loss.Forward(logits, y);
            AuxiliaryLosses.Add(net, y, loss.GradientScale);
            net.Backward(loss.Backward());
            if (scaler is null) sgd.Step();
            else scaler.Step(sgd);
            Diagnostics.Profiling.EndStep(stepNumber, backend);
        }

        net.Training = true;
        for (var i = 0; i < warmup; i++) Step();
        backend.Synchronize();
        (backend as CudaBackend)?.ResetPeakMemory();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < steps; i++) Step();
        backend.Synchronize();
        var train = batch * steps / clock.Elapsed.TotalSeconds;
        var peak = (backend as CudaBackend)?.PeakMemoryBytes();
        var flopsPerImage = Diagnostics.Flops.TrainingPerImage(net, batch);
        var peakFlops = backend is CudaBackend gpu
            ? Diagnostics.Flops.GpuPeak(gpu.Info.Name, precision.ComputeDType(), tf32)
            : Diagnostics.Flops.CpuPeak(CpuBackend.Threads, System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? 16 : 8);

        net.Training = false;
        for (var i = 0; i < Math.Max(1, warmup / 2); i++) net.Forward(input);
        backend.Synchronize();
        clock.Restart();
        for (var i = 0; i < steps; i++) net.Forward(input);
        backend.Synchronize();
        var infer = batch * steps / clock.Elapsed.TotalSeconds;

        JsonArray? layerRows = null;
        if (layerDepth is { } depth)
        {
            // Separate steps: the synchronisations around every layer would lower the throughput measured above.
            net.Training = true;
            var timedSteps = Math.Clamp(steps, 1, 5);
            var timing = new Diagnostics.LayerTimes();
            Diagnostics.Profiling.Timing = timing;
            try
            {
                for (var i = 0; i < timedSteps; i++) Step();
            }
            finally
            {
                Diagnostics.Profiling.Timing = null;
            }
            layerRows = [.. timing.Results.Where(r => r.Depth <= depth).Select(r => (JsonNode)new JsonObject
            {
                ["layer"] = r.Path, ["forward_ms"] = Math.Round(1e3 * r.ForwardSeconds / timedSteps, 3),
                ["backward_ms"] = Math.Round(1e3 * r.BackwardSeconds / timedSteps, 3),
            })];
        }
        return new JsonObject
        {
            ["model"] = name, ["batch"] = batch, ["precision"] = precision.Name(), ["tf32"] = tf32, ["channels_last"] = channelsLast, ["device"] = backend.Name, ["size"] = side,
            ["steps"] = steps, ["train_images_per_second"] = Math.Round(train, 1), ["infer_images_per_second"] = Math.Round(infer, 1),
            ["peak_gpu_bytes"] = peak, ["mfu"] = peakFlops is { } pf ? Math.Round(train * flopsPerImage / pf, 4) : null,
            ["train_gflop_per_image"] = Math.Round(flopsPerImage / 1e9, 3), ["peak_tflops"] = peakFlops is { } pt ? Math.Round(pt / 1e12, 1) : null, ["skipped_steps"] = scaler?.SkippedSteps ?? 0,
            ["layer_times"] = layerRows,
        };
    }

    /// <summary>The per-layer table: milliseconds per step, forward and backward, and each layer's share of the step.</summary>
    private static void PrintLayerTimes(JsonArray rows)
    {
        var total = rows.Where(r => !r!["layer"]!.GetValue<string>().Contains('.'))
            .Sum(r => r!["forward_ms"]!.GetValue<double>() + r["backward_ms"]!.GetValue<double>());
        Console.WriteLine($"{"layer",-28} {"forward ms",11} {"backward ms",12} {"share",7}");
        foreach (var r in rows)
        {
            var (name, f, b) = (r!["layer"]!.GetValue<string>(), r["forward_ms"]!.GetValue<double>(), r["backward_ms"]!.GetValue<double>());
            var indent = new string(' ', 2 * name.Count(c => c == '.'));
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{indent + name,-28} {f,11:F3} {b,12:F3} {(total > 0 ? (f + b) / total : 0),7:P1}"));
        }
    }
}
