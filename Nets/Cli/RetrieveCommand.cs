using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using NativeNets.Data.Formats;
using NativeNets.Nets.Architectures;
using NativeNets.Nets.Retrieval;
using NativeNets.Tensors;

namespace NativeNets.Cli;

/// <summary>
/// `nativenets retrieve`: the nearest images of a query by a trained network's penultimate-layer features. The index is
/// the training split of a Fashion-MNIST-format folder; queries come from its test split (by number), and without a
/// query every test image (or the first --limit) is a query and precision@k is reported.
/// </summary>
internal static class RetrieveCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Architecture (default: the one named in the weights file)" };
        var weights = new Option<string>("--weights") { Description = "Trained weights (safetensors, e.g. from train --save)", Required = true };
        var index = new Option<string?>("--index") { Description = "Folder of the images to search (Fashion-MNIST IDX files; the training split is indexed)" };
        var query = new Option<string?>("--query") { Description = "An image file (PNG, JPEG, ...) or the number of a test image to search for (default: every test image, reporting precision@k)" };
        var k = new Option<int>("-k", "--k") { Description = "Neighbours returned", DefaultValueFactory = _ => 5 };
        var limit = Common.Limit("--limit", "Use only the first N test images as queries (0: all)");
        var classes = new Option<int>("--classes") { Description = "Classes the network was trained for", DefaultValueFactory = _ => 10 };
        var device = Common.DeviceOption();
        var json = Common.Json();
        var cmd = new Command("retrieve", "Find the nearest images by a trained network's penultimate-layer features; precision@k over the test set")
            { model, weights, index, query, k, limit, classes, device, json };
        cmd.SetAction(p => Common.Guard(() =>
        {
            var asJson = p.GetValue(json);
            var path = p.GetValue(weights)!;
            IReadOnlyDictionary<string, string> meta;
            using (var file = SafetensorsFile.Open(path)) meta = file.Metadata;
            var name = p.GetValue(model) ?? meta.GetValueOrDefault("model")
                ?? throw new ArgumentException($"{path} does not name its model: pass --model");
            var dev = Common.ParseDevice(p.GetValue(device)!);
            var (train, test) = Common.LoadFashionMnist(p.GetValue(index), 0, p.GetValue(limit), asJson);
            using (train)
            using (test)
            {
                using var m = Architectures.Create(name, new ArchitectureOptions
                {
                    Classes = p.GetValue(classes), InChannels = train.Images[1], SmallStem = meta.GetValueOrDefault("small_stem") == "true", Device = dev,
                });
                NativeNets.Nets.Weights.StateDict.Load(m.Network, path);
                double Stat(string key, double fallback) =>
                    meta.TryGetValue(key, out var v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : fallback;
                using var feature = new FeatureIndex(m.Network, Stat("pixel_mean", 0.5), Stat("pixel_std", 0.25), dev);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                feature.Build(train.Images, train.Labels);
                var kk = p.GetValue(k);
                if (p.GetValue(query) is { } q)
                {
                    string what;
                    int? queryLabel = null;
                    Tensor single;
                    if (int.TryParse(q, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
                    {
                        if ((uint)number >= (uint)test.Count) throw new ArgumentException($"--query {number}: the test split has images 0 to {test.Count - 1}");
                        single = Slice(test.Images, number);
                        queryLabel = test.Labels[number];
                        what = $"test image {number} ({test.ClassNames[test.Labels[number]]})";
                    }
                    else
                    {
                        single = FromFile(q, train.Images[1], train.Images[2], train.Images[3]);
                        what = q;
                    }
                    using (single)
                    {
                        var nearest = feature.Nearest(single, kk)[0];
                        var rows = nearest.Select((j, rank) => new JsonObject
                        {
                            ["rank"] = rank + 1, ["index"] = j, ["label"] = train.Labels[j], ["class"] = train.ClassNames[train.Labels[j]],
                        }).ToArray();
                        if (asJson) Console.WriteLine(new JsonObject { ["query"] = q, ["query_label"] = queryLabel, ["neighbours"] = new JsonArray(rows) }.ToJsonString());
                        else
                        {
                            Console.WriteLine($"query: {what}; nearest of {train.Count:N0} by {name}'s {feature.Width} penultimate features:");
                            foreach (var r in rows) Console.WriteLine($"  {r["rank"]}. training image {r["index"]} ({r["class"]})");
                        }
                    }
                    return 0;
                }
                var all = feature.Nearest(test.Images, kk);
                var precision = FeatureIndex.PrecisionAtK(all, test.Labels, train.Labels);
                var seconds = clock.Elapsed.TotalSeconds;
                if (asJson)
                    Console.WriteLine(new JsonObject
                    {
                        ["model"] = name, ["k"] = kk, ["queries"] = test.Count, ["index"] = train.Count, ["features"] = feature.Width,
                        ["precision_at_k"] = precision, ["seconds"] = seconds, ["device"] = dev.ToString(),
                    }.ToJsonString());
                else Console.WriteLine($"{name}: precision@{kk} {precision:F4} over {test.Count:N0} queries against {train.Count:N0} images ({feature.Width} features, {seconds:F1} s)");
            }
            return 0;
        }));
        return cmd;
    }

    /// <summary>
    /// An image file as the index's images are: decoded to RGB, to grey by Pillow's "L" conversion (ITU-R 601-2 luma,
    /// rounded) when the index is grey, and resized to the index's size with Pillow's bilinear filter.
    /// </summary>
    private static Tensor FromFile(string path, int channels, int height, int width)
    {
        var image = NativeNets.Data.Images.ImageDecoder.DecodeFile(path);
        var resized = image.Width == width && image.Height == height ? image : NativeNets.Data.Transforms.PillowResize.Bilinear(image, width, height);
        var t = new Tensor([1, channels, height, width], DType.U8);
        var dst = t.Span<byte>();
        var src = resized.Span;
        var plane = height * width;
        for (var i = 0; i < plane; i++)
        {
            int r = src[3 * i], g = src[3 * i + 1], b = src[3 * i + 2];
            if (channels == 1) dst[i] = (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
            else
                for (var c = 0; c < channels; c++) dst[c * plane + i] = src[3 * i + Math.Min(c, 2)];
        }
        return t;
    }

    /// <summary>Image <paramref name="i"/> of a CPU U8 [N, C, H, W] tensor as its own [1, C, H, W] tensor.</summary>
    private static Tensor Slice(Tensor images, int i)
    {
        var per = images[1] * images[2] * images[3];
        var t = new Tensor([1, images[1], images[2], images[3]], DType.U8);
        t.CopyFrom<byte>(images.Span<byte>().Slice(i * per, per));
        return t;
    }
}
