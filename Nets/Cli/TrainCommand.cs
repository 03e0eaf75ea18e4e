using System.CommandLine;
using NativeNets.Nets.Classifiers;
using NativeNets.Nets.Experiments;

namespace NativeNets.Cli;

internal static class TrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The classifier to train", Required = true };
        model.AcceptOnlyFromAmong([.. Zoo.TrainableModels]);
        var data = Common.Data();
        var epochs = new Option<int?>("--epochs") { Description = "Passes over the training set (default: the model's)" };
        var batch = new Option<int?>("--batch") { Description = "Minibatch size (default 256)" };
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default: the model's)" };
        var wd = new Option<double?>("--weight-decay") { Description = "L2 weight decay on weights, not biases (default: the model's)" };
        var momentum = new Option<double?>("--momentum") { Description = "SGD momentum (default 0.9)" };
        var lrStep = new Option<int?>("--lr-step") { Description = "Divide the learning rate by 10 every N epochs (0: never; default: the model's)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed for initialisation and shuffling", DefaultValueFactory = _ => 1 };
        var hidden = new Option<int[]>("--hidden") { Description = "Hidden sizes: one for two-layer (100), two for three-layer (256 128)", AllowMultipleArgumentsPerToken = true };
        var trainLimit = Common.Limit("--train-limit", "Use only the first N training images (0: all)");
        var testLimit = Common.Limit("--test-limit", "Test on only the first N test images (0: all)");
        var stem = new Option<string>("--stem") { Description = "ResNet-18..152 first layers: imagenet (7x7 stride 2 + max-pool) or small (3x3, no max-pool, for 28-32 px)", DefaultValueFactory = _ => "imagenet" };
        stem.AcceptOnlyFromAmong("imagenet", "small");
        var save = new Option<string?>("--save") { Description = "Write the trained weights to this safetensors file (torchvision's keys)" };
        var json = Common.Json();
        var device = Common.DeviceOption();
        var profile = Common.ProfileSteps();
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Write a checkpoint to this file after every epoch (atomically: a kill leaves the last one whole)" };
        var resume = new Option<bool>("--resume") { Description = "Continue from --checkpoint if it exists, as if never stopped" };
        var steps = new Option<long>("--steps") { Description = "Stop after N optimizer steps (0: all epochs)", DefaultValueFactory = _ => 0 };
        var virtualWorkers = new Option<int>("--virtual-workers") { Description = "BN statistics per sub-batch of batch/k, as k workers would compute them (Goyal et al.)", DefaultValueFactory = _ => 1 };
        var warmup = new Option<double?>("--warmup-epochs") { Description = "Goyal et al.'s gradual warmup: the rate rises linearly per iteration from --lr to the scaled rate over W epochs" };
        var scaling = new Option<bool>("--lr-scaling") { Description = "Linear scaling rule: rate = --lr x global batch / --reference-batch" };
        var referenceBatch = new Option<int>("--reference-batch") { Description = "The batch --lr is meant for (Goyal: 256)", DefaultValueFactory = _ => 256 };
        var milestones = new Option<double[]>("--milestones") { Description = "Epochs at which the rate is divided by 10 (Goyal: 30 60 80); with --decay cosine, ignored", AllowMultipleArgumentsPerToken = true };
        var decay = new Option<string>("--decay") { Description = "step (at --milestones) or cosine", DefaultValueFactory = _ => "step" };
        decay.AcceptOnlyFromAmong("step", "cosine");
        var noBnDecay = new Option<bool>("--no-bn-decay") { Description = "No weight decay on BN gamma and beta, nor on biases (Goyal et al.)" };
        var zeroGamma = new Option<bool>("--zero-gamma") { Description = "gamma = 0 for the last BN of every residual block (Goyal et al.)" };
        var precision = Common.PrecisionOption();
        var channelsLast = Common.ChannelsLast();
        var distributed = new Option<bool>("--distributed") { Description = "Under a launcher, use the real communicator (MPI, NCCL) even with one rank, to exercise and time it" };
        var cmd = new Command("train", "Train a classifier (linear, two- or three-layer net, or any CNN architecture that fits 28 px input) on Fashion-MNIST and test it")
            { model, data, epochs, batch, lr, wd, momentum, lrStep, seed, hidden, trainLimit, testLimit, stem, save, json, device, profile, checkpoint, resume, steps, virtualWorkers, warmup, scaling, referenceBatch, milestones, decay, noBnDecay, zeroGamma, distributed, precision, channelsLast };
        cmd.SetAction(p => Common.Guard(() =>
        {
            Common.ApplyProfileSteps(p.GetValue(profile));
            var asJson = p.GetValue(json);
            var name = p.GetValue(model)!;
            var defaults = Zoo.DefaultOptions(name);
            var options = defaults with
            {
                Epochs = p.GetValue(epochs) ?? defaults.Epochs,
                BatchSize = p.GetValue(batch) ?? defaults.BatchSize,
                LearningRate = p.GetValue(lr) ?? defaults.LearningRate,
                WeightDecay = p.GetValue(wd) ?? defaults.WeightDecay,
                Momentum = p.GetValue(momentum) ?? defaults.Momentum,
                LrStepEpochs = p.GetValue(lrStep) ?? defaults.LrStepEpochs,
                Seed = p.GetValue(seed),
                CheckpointPath = p.GetValue(checkpoint),
                Resume = p.GetValue(resume),
                MaxSteps = p.GetValue(steps),
                VirtualWorkers = p.GetValue(virtualWorkers),
                NoDecayOnBatchNorm = p.GetValue(noBnDecay),
                ZeroInitResidualGamma = p.GetValue(zeroGamma),
                Precision = MixedPrecision.PrecisionExtensions.Parse(p.GetValue(precision)!),
                ChannelsLast = p.GetValue(channelsLast),
            };
            var launch = Distributed.Launch.FromEnvironment();
            var dev = Common.ParseDevice(p.GetValue(device)!);
            if (launch.IsDistributed && dev.Kind == Tensors.DeviceKind.Cuda) dev = launch.CudaDevice; // one GPU per local rank
            if (p.GetValue(warmup) is not null || p.GetValue(scaling) || p.GetValue(milestones) is { Length: > 0 } || p.GetValue(decay) == "cosine")
            {
                // Goyal et al.'s schedule, per iteration; the global batch is what the linear scaling rule scales by.
                options = options with
                {
                    Schedule = new Optim.GoyalSchedule(options.BatchSize * launch.Size)
                    {
                        ReferenceRate = options.LearningRate, ReferenceBatch = p.GetValue(referenceBatch), LinearScaling = p.GetValue(scaling),
                        WarmupEpochs = p.GetValue(warmup) ?? 0, Milestones = p.GetValue(milestones) ?? [], TotalEpochs = options.Epochs,
                        Decay = p.GetValue(decay) == "cosine" ? Optim.GoyalDecay.Cosine : Optim.GoyalDecay.Step,
                    },
                };
            }
            if (options.Resume && options.CheckpointPath is null) throw new ArgumentException("--resume needs --checkpoint FILE");
            using var communicator = Distributed.Launch.CreateCommunicator(launch, dev, evenForOneRank: p.GetValue(distributed));
            var lead = communicator.Rank == 0; // only rank 0 prints and saves
            var quiet = asJson || !lead;
            var (train, test) = lead
                ? Common.LoadFashionMnist(p.GetValue(data), p.GetValue(trainLimit), p.GetValue(testLimit), quiet)
                : Common.LoadFashionMnistSilently(p.GetValue(data), p.GetValue(trainLimit), p.GetValue(testLimit));
            using (train)
            using (test)
            {
                var result = TrainOne(name, train, test, options, dev, p.GetValue(hidden), quiet,
                    p.GetValue(stem) == "small", lead ? p.GetValue(save) : null, communicator, silent: !lead);
                if (!lead) return 0;
                if (asJson) Console.WriteLine(result.ToJson());
                else Common.PrintTable([result]);
            }
            return 0;
        }));
        return cmd;
    }

    public static TrainResult TrainOne(string name, Data.LabeledImages train, Data.LabeledImages test, TrainOptions options,
        Tensors.Device device, int[]? hidden, bool json, bool smallStem = false, string? save = null, Distributed.Communicator? communicator = null,
        bool silent = false)
    {
        return Common.WithProgress(json || silent, $"{name}", progress =>
            Runner.Train(name, train, test, options, device, hidden, smallStem, save, communicator,
                onEpoch: r => { if (!silent) Common.Info(json, $"  {name} epoch {r.Epoch}/{r.Epochs}: loss {r.MeanLoss:F4}, train accuracy {r.TrainAccuracy:F4}, lr {r.LearningRate:G3}, {r.Images / r.Seconds:N0} img/s"); },
                onStep: (done, perEpoch) => progress(done, perEpoch),
                onOverflow: e => { if (!silent) Common.Info(json, $"  {name} step {e.Step}: fp16 gradients overflowed, step skipped, loss scale {e.OldScale:G} -> {e.NewScale:G} ({e.SkippedSteps} skipped so far)"); }));
    }
}
