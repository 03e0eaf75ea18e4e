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
        var cmd = new Command("train", "Train a classifier (linear, two- or three-layer net, or any CNN architecture that fits 28 px input) on Fashion-MNIST and test it")
            { model, data, epochs, batch, lr, wd, momentum, lrStep, seed, hidden, trainLimit, testLimit, stem, save, json, device, profile, checkpoint, resume };
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
            };
            if (options.Resume && options.CheckpointPath is null) throw new ArgumentException("--resume needs --checkpoint FILE");
            var (train, test) = Common.LoadFashionMnist(p.GetValue(data), p.GetValue(trainLimit), p.GetValue(testLimit), asJson);
            using (train)
            using (test)
            {
                var result = TrainOne(name, train, test, options, Common.ParseDevice(p.GetValue(device)!), p.GetValue(hidden), asJson,
                    p.GetValue(stem) == "small", p.GetValue(save));
                if (asJson) Console.WriteLine(result.ToJson());
                else Common.PrintTable([result]);
            }
            return 0;
        }));
        return cmd;
    }

    public static TrainResult TrainOne(string name, Data.LabeledImages train, Data.LabeledImages test, TrainOptions options,
        Tensors.Device device, int[]? hidden, bool json, bool smallStem = false, string? save = null)
    {
        return Common.WithProgress(json, $"{name}", progress =>
            Runner.Train(name, train, test, options, device, hidden, smallStem, save,
                onEpoch: r => Common.Info(json, $"  {name} epoch {r.Epoch}/{r.Epochs}: loss {r.MeanLoss:F4}, train accuracy {r.TrainAccuracy:F4}, lr {r.LearningRate:G3}, {r.Images / r.Seconds:N0} img/s"),
                onStep: (done, perEpoch) => progress(done, perEpoch)));
    }
}
