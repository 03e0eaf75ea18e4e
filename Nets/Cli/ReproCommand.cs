using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using NativeNets.Data.Datasets;
using NativeNets.Nets.Architectures;
using NativeNets.Nets.Recipes;

namespace NativeNets.Cli;

/// <summary>
/// `nativenets repro`: trains an architecture with its paper's recipe (runtime/recipes/*.json), or prints the plan with
/// --dry-run; `nativenets plot` draws several runs' error curves on one chart.
/// </summary>
internal static class ReproCommand
{
    public static Command Create()
    {
        var recipe = new Option<string?>("--recipe") { Description = $"A recipe name ({string.Join(", ", Recipe.Names)}) or a recipe file" };
        var data = new Option<string?>("--data") { Description = "Image folder (DIR/train/<class>, DIR/val/<class>) or, for Fashion-MNIST recipes, the IDX folder" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan (sizes, steps, the learning rate at each milestone) and stop" };
        var list = new Option<bool>("--list") { Description = "List the recipes" };
        var output = new Option<string?>("--out") { Description = "Output folder (default out/repro/<recipe>): metrics.jsonl, metrics.csv, curves.png, checkpoint.ckpt, final.safetensors" };
        var epochs = new Option<int?>("--epochs") { Description = "Train this many epochs instead of the recipe's (the schedule keeps the recipe's milestones)" };
        var resume = new Option<bool>("--resume") { Description = "Continue from the output folder's checkpoint" };
        var limit = Common.Limit("--train-limit", "Fashion-MNIST recipes: train on the first N images only (0: all)");
        var device = Common.DeviceOption();
        var precision = new Option<string?>("--precision") { Description = "fp32, fp16 or bf16 instead of the recipe's precision" };
        precision.AcceptOnlyFromAmong("fp32", "fp16", "bf16");
        var channelsLast = Common.ChannelsLast();
        var cmd = new Command("repro", "Train an architecture with its paper's recipe; --dry-run prints the plan")
            { recipe, data, dryRun, list, output, epochs, resume, limit, device, precision, channelsLast };
        cmd.SetAction(p => Common.Guard(() =>
        {
            if (p.GetValue(list))
            {
                foreach (var n in Recipe.Names) Console.WriteLine($"{n,-28} {Recipe.Load(n).Paper}");
                return 0;
            }
            var r = Recipe.Load(p.GetValue(recipe) ?? throw new ArgumentException("--recipe NAME or FILE is required (see --list)"));
            if (p.GetValue(precision) is { } chosen) r = r with { Precision = chosen };
            var dir = p.GetValue(data);
            int? images = null;
            if (dir is not null)
                images = r.Data == "fashion-mnist" ? 60000 : ImageFolder.FromClassFolders(Path.Combine(dir, "train")).Count;
            if (r.Data == "fashion-mnist" && p.GetValue(limit) > 0) images = Math.Min(p.GetValue(limit), images ?? r.TrainImages);
            if (p.GetValue(dryRun))
            {
                long parameters;
                using (var m = Architectures.Create(r.Model, new ArchitectureOptions { Classes = r.Classes, InChannels = r.Data == "fashion-mnist" ? 1 : 3 }))
                    parameters = m.ParameterCount();
                foreach (var line in RecipeRunner.Plan(p.GetValue(epochs) is { } e ? r with { Epochs = e } : r, images, parameters)) Console.WriteLine(line);
                return 0;
            }
            var outDir = p.GetValue(output) ?? Path.Combine("out", "repro", r.Name);
            var dev = Common.ParseDevice(p.GetValue(device)!);
            Common.CheckChannelsLast(p.GetValue(channelsLast), dev);
            var runner = new RecipeRunner(r, outDir, dev) { ChannelsLast = p.GetValue(channelsLast) };
            foreach (var line in RecipeRunner.Plan(p.GetValue(epochs) is { } e2 ? r with { Epochs = e2 } : r, images)) Console.Error.WriteLine(line);
            var metrics = Common.WithProgress(false, r.Name, progress =>
            {
                runner.OnProgress = (d, t) => progress(d, t);
                runner.OnEpoch = m => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  epoch {m.Epoch}: loss {m.TrainLoss:F4}, training error {100 * m.TrainError:F2}%{(m.ValError is { } v ? $", validation error {100 * v:F2}%" : "")}, lr {m.LearningRate:G3}, {m.Images / Math.Max(m.Seconds, 1e-9):N0} img/s"));
                return runner.Run(dir, p.GetValue(epochs), p.GetValue(resume), p.GetValue(limit));
            });
            Console.WriteLine($"{r.Name}: {metrics.Count} epochs; metrics, curves.png and final.safetensors in {outDir}");
            return 0;
        }));
        return cmd;
    }

    public static Command CreatePlot()
    {
        var runs = new Option<string[]>("--runs") { Description = "Output folders of repro runs (each with metrics.jsonl)", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--out") { Description = "The PNG to write", Required = true };
        var title = new Option<string>("--title") { Description = "Chart title", DefaultValueFactory = _ => "training error" };
        var cmd = new Command("plot", "Draw the error curves of several repro runs on one chart (PNG)") { runs, output, title };
        cmd.SetAction(p => Common.Guard(() =>
        {
            var series = new List<(string, IReadOnlyList<EpochMetrics>)>();
            foreach (var folder in p.GetValue(runs)!)
            {
                var file = Path.Combine(folder, "metrics.jsonl");
                if (!File.Exists(file)) throw new FileNotFoundException($"{file}: no metrics (run nativenets repro first)");
                var epochs = File.ReadLines(file).Where(l => l.Length > 0).Select(l =>
                {
                    using var d = JsonDocument.Parse(l);
                    var e = d.RootElement;
                    double? Opt(string k) => e.GetProperty(k).ValueKind == JsonValueKind.Number ? e.GetProperty(k).GetDouble() : null;
                    return new EpochMetrics(e.GetProperty("epoch").GetInt32(), e.GetProperty("train_loss").GetDouble(), e.GetProperty("train_error").GetDouble(),
                        Opt("val_error"), Opt("val_top5_error"), e.GetProperty("lr").GetDouble(), e.GetProperty("seconds").GetDouble(), e.GetProperty("images").GetInt32());
                }).ToList();
                series.Add((Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), epochs));
            }
            Curves.Plot(p.GetValue(output)!, p.GetValue(title)!, series);
            Console.WriteLine($"wrote {p.GetValue(output)}");
            return 0;
        }));
        return cmd;
    }
}
