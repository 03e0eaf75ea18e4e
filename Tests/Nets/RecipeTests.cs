using System.Text.Json;
using NativeNets.Nets.Recipes;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Nets;

/// <summary>The reproduction recipes: every plan, the paper's learning-rate formulas, and a tiny image folder end to end.</summary>
[Collection(nameof(ConsoleCollection))]
public class RecipeTests
{
    [Fact]
    public void EveryShippedRecipeLoadsAndHasADryRun()
    {
        Assert.Contains("resnet50", Recipe.Names);
        Assert.True(Recipe.Names.Count >= 11);
        foreach (var name in Recipe.Names)
        {
            var recipe = Recipe.Load(name);
            var plan = RecipeRunner.Plan(recipe);
            Assert.Contains(plan, l => l.Contains("steps per epoch", StringComparison.Ordinal));
            Assert.Contains(plan, l => l.StartsWith("  last step:", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void TheGoyalPlanFollowsThePapersFormulas()
    {
        var r = Recipe.Load("resnet50-goyal-8k");
        var plan = string.Join("\n", RecipeRunner.Plan(r));
        // kn = 8192: lr = 0.1 x 8192 / 256 = 3.2 reached at the end of a 5-epoch warmup, / 10 at 30, 60, 80.
        Assert.Contains("156 steps per epoch", plan);
        Assert.Contains("0.1 at step 0", plan);
        Assert.Contains("to 3.2 at epoch 5 (step 780)", plan);
        Assert.Contains("epoch 30 (step 4,680): 3.2 -> 0.32", plan);
        Assert.Contains("epoch 80 (step 12,480): 0.032 -> 0.0032", plan);
        var schedule = r.Schedule();
        Assert.Equal(0.1 + (3.2 - 0.1) * 2.5 / 5, schedule.At(2.5), 12); // halfway through warmup, per iteration
    }

    [Fact]
    public void ABadRecipeFileIsAClearError()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "bad.json");
        File.WriteAllText(path, """{ "name": "x", "model": "resnet18", "batch": 10, "virtual_workers": 3, "epochs": 1 }""");
        var e = Assert.Throws<NativeNets.Data.DataFormatException>(() => Recipe.Load(path));
        Assert.Contains("bad.json", e.Message);
        File.WriteAllText(path, """{ "name": "x", "model": "resnet18", "learning_rate": 0.1 }""");
        Assert.Contains("learning_rate", Assert.Throws<NativeNets.Data.DataFormatException>(() => Recipe.Load(path)).Message);
        File.WriteAllText(path, """{ "name": "x", "model": "resnet18", "precision": "fp8" }""");
        Assert.Contains("fp8", Assert.Throws<NativeNets.Data.DataFormatException>(() => Recipe.Load(path)).Message);
        Assert.Throws<ArgumentException>(() => Recipe.Load("no-such-recipe"));
    }

    [Fact]
    public void ATinyImageFolderTrainsAndEvaluatesEndToEnd()
    {
        using var dir = new TempDirectory();
        var photos = Path.Combine(Fixtures.Directory, "photos");
        // An ImageNet-layout folder of real photos, two classes (and, in validation, one truncated JPEG that must be
        // skipped and counted, not fatal). Each photo appears twice per split under two names, for four per class.
        string[] a = ["astronaut.jpg", "rocket.jpg"], b = ["chelsea.jpg", "coffee.jpg"];
        foreach (var split in new[] { "train", "val" })
            foreach (var (cls, files) in new[] { ("alpha", a), ("beta", b) })
            {
                var folder = Directory.CreateDirectory(Path.Combine(dir.Path, "data", split, cls)).FullName;
                foreach (var f in files)
                    foreach (var copy in new[] { "1", "2" })
                        File.Copy(Path.Combine(photos, f), Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(f)}-{copy}.jpg"));
            }
        File.Copy(Path.Combine(Fixtures.Directory, "images", "truncated.jpg"), Path.Combine(dir.Path, "data", "val", "alpha", "truncated.jpg"));
        var recipePath = Path.Combine(dir.Path, "tiny.json");
        File.WriteAllText(recipePath, """
            { "name": "tiny", "paper": "test", "model": "resnet18", "data": "imagefolder", "train_images": 8, "classes": 2,
              "image_size": 64, "batch": 4, "epochs": 2, "lr": 0.01, "momentum": 0.9, "weight_decay": 0.0001, "milestones": [1], "gamma": 0.1 }
            """);
        var outDir = Path.Combine(dir.Path, "run");
        var runner = new RecipeRunner(Recipe.Load(recipePath), outDir, NativeNets.Tensors.Device.Cpu);
        var metrics = runner.Run(Path.Combine(dir.Path, "data"));
        Assert.Equal(2, metrics.Count);
        Assert.All(metrics, m => Assert.InRange(m.ValError!.Value, 0, 1));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(outDir, "metrics.csv")).Length); // header + 2 epochs
        Assert.Equal(2, File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Length);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(outDir, "curves.png")).Take(4));
        Assert.True(File.Exists(Path.Combine(outDir, "checkpoint.ckpt")));

        // The final weights evaluate through `nativenets eval`, skipping (and counting) the truncated file.
        var weights = Path.Combine(outDir, "final.safetensors");
        var (code, stdout, stderr) = CliTests.RunCli("eval", "--weights", weights, "--data", Path.Combine(dir.Path, "data", "val"), "--classes", "2",
            "--size", "64", "--batch", "4", "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout.Trim());
        Assert.Equal(8, doc.RootElement.GetProperty("images").GetInt32());
        Assert.Equal(1, doc.RootElement.GetProperty("bad_images").GetInt32());
        Assert.Contains("truncated.jpg", stderr);
        Assert.InRange(doc.RootElement.GetProperty("top1").GetDouble(), 0, 1);
        Assert.Equal(1.0, doc.RootElement.GetProperty("top5").GetDouble()); // two classes: always in the top five

        var (dryCode, plan, _) = CliTests.RunCli("repro", "--recipe", recipePath, "--data", Path.Combine(dir.Path, "data"), "--dry-run");
        Assert.Equal(0, dryCode);
        Assert.Contains("8 training images", plan);
        Assert.Contains("fp32", plan);

        // The same recipe in bf16: the image-folder trainer with F16/BF16 activations and F32 masters, saved in F32.
        var bf16Dir = Path.Combine(dir.Path, "run-bf16");
        var bf16 = new RecipeRunner(Recipe.Load(recipePath) with { Precision = "bf16" }, bf16Dir, NativeNets.Tensors.Device.Cpu);
        Assert.Equal(2, bf16.Run(Path.Combine(dir.Path, "data")).Count);
        using (var saved = NativeNets.Data.Formats.SafetensorsFile.Open(Path.Combine(bf16Dir, "final.safetensors")))
            Assert.Contains(saved.Entries, e => e.Name == "conv1.weight" && e.DType == "F32");
        var (bf16Code, bf16Plan, _) = CliTests.RunCli("repro", "--recipe", recipePath, "--precision", "bf16", "--dry-run");
        Assert.Equal(0, bf16Code);
        Assert.Contains("bf16", bf16Plan);
    }
}
