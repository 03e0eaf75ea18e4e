using System.CommandLine;
using System.Text.Json.Nodes;
using NativeNets.Data.Datasets;
using NativeNets.Data.Formats;
using NativeNets.Data.Loading;
using NativeNets.Data.Transforms;
using NativeNets.Nets.Architectures;
using NativeNets.Nets.Experiments;

namespace NativeNets.Cli;

/// <summary>
/// `nativenets eval`: top-1 and top-5 of an architecture with given weights on an image folder, through torchvision's
/// evaluation transform (resize 256, centre crop 224, ImageNet normalisation). With weights exported by
/// Bench/anchors/export_torchvision.py and ImageNet's validation set, this reproduces torchvision's table.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Architecture (default: the one named in the weights file)" };
        var weights = new Option<string>("--weights") { Description = "Weights (safetensors with torchvision's keys)", Required = true };
        var data = new Option<string>("--data") { Description = "Image folder: DIR/<class>/*.jpg, or a flat folder with --labels", Required = true };
        var labels = new Option<string?>("--labels") { Description = "Labels file for a flat folder (FILE LABEL per line, or ImageNet's LOC_val_solution.csv)" };
        var classes = new Option<int>("--classes") { Description = "Classes the network was trained for", DefaultValueFactory = _ => 1000 };
        var batch = new Option<int>("--batch") { Description = "Images per batch", DefaultValueFactory = _ => 64 };
        var workers = new Option<int>("--workers") { Description = "Decode threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var size = new Option<int>("--size") { Description = "Centre crop side (resize to size * 8 / 7 first, as torchvision's 256/224)", DefaultValueFactory = _ => 224 };
        var bad = new Option<string>("--bad-images") { Description = "skip (count and list them) or fail", DefaultValueFactory = _ => "skip" };
        bad.AcceptOnlyFromAmong("skip", "fail");
        var device = Common.DeviceOption();
        var json = Common.Json();
        var channelsLast = Common.ChannelsLast();
        var cmd = new Command("eval", "Top-1 and top-5 accuracy of a model's weights on an image folder (torchvision's evaluation transform)")
            { model, weights, data, labels, classes, batch, workers, size, bad, device, json, channelsLast };
        cmd.SetAction(p => Common.Guard(() =>
        {
            var path = p.GetValue(weights)!;
            IReadOnlyDictionary<string, string> meta;
            using (var file = SafetensorsFile.Open(path)) meta = file.Metadata;
            var name = p.GetValue(model) ?? meta.GetValueOrDefault("model") ?? throw new ArgumentException($"{path} does not name its model: pass --model");
            var folder = p.GetValue(labels) is { } l ? ImageFolder.FromLabelsFile(p.GetValue(data)!, l) : ImageFolder.FromClassFolders(p.GetValue(data)!);
            var dev = Common.ParseDevice(p.GetValue(device)!);
            Common.CheckChannelsLast(p.GetValue(channelsLast), dev);
            using var m = Architectures.Create(name, new ArchitectureOptions { Classes = p.GetValue(classes), Device = dev });
            NativeNets.Nets.Weights.StateDict.Load(m.Network, path, strict: false);
            var side = p.GetValue(size);
            using var loader = new ImageLoader(folder.Samples, ImageNetTransforms.Eval(side, side * 8 / 7), side, side, new ImageLoaderOptions
            {
                BatchSize = p.GetValue(batch), Workers = Math.Max(1, p.GetValue(workers)), Shuffle = false,
                BadImages = p.GetValue(bad) == "fail" ? BadImagePolicy.Fail : BadImagePolicy.Skip,
                BatchAllocator = ImageRun.BatchAllocatorFor(dev),
            });
            var asJson = p.GetValue(json);
            var result = Common.WithProgress(asJson, $"eval {name}", progress => ImageRun.Evaluate(m.Network, loader, dev, progress: (d, t) => progress(d, t),
                channelsLast: p.GetValue(channelsLast)));
            var badCount = result.BadImages?.Count ?? 0;
            if (asJson)
                Console.WriteLine(new JsonObject
                {
                    ["model"] = name, ["weights"] = path, ["images"] = result.Images, ["top1"] = result.Top1, ["top5"] = result.Top5,
                    ["bad_images"] = badCount, ["seconds"] = result.Seconds, ["images_per_second"] = result.ImagesPerSecond, ["device"] = dev.ToString(),
                }.ToJsonString());
            else
                Console.WriteLine($"{name} on {folder.Count:N0} images ({folder.Classes.Count} classes): top-1 {result.Top1:P2}, top-5 {result.Top5:P2}; {result.ImagesPerSecond:N0} images/s");
            if (badCount > 0)
            {
                Console.Error.WriteLine($"skipped {badCount} bad image(s):");
                foreach (var b in result.BadImages!.Images) Console.Error.WriteLine($"  {b.Path}: {b.Reason}");
            }
            return 0;
        }));
        return cmd;
    }
}
