using System.Text.Json;
using System.Text.Json.Serialization;
using NativeNets.Data;
using NativeNets.Optim;

namespace NativeNets.Nets.Recipes;

/// <summary>
/// A reproduction recipe (runtime/recipes/*.json): an architecture with its paper's training hyperparameters. The
/// learning rate is Goyal et al.'s general form: lr (times batch / reference_batch with linear scaling), warmup from lr
/// over warmup_epochs, then step decay by gamma at each milestone, or cosine.
/// </summary>
public sealed record Recipe
{
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("paper")] public string Paper { get; init; } = "";
    [JsonPropertyName("notes")] public string Notes { get; init; } = "";
    [JsonPropertyName("model")] public string Model { get; init; } = "";
    /// <summary>"imagefolder" (DIR/train/&lt;class&gt;, DIR/val/&lt;class&gt;) or "fashion-mnist" (the IDX files).</summary>
    [JsonPropertyName("data")] public string Data { get; init; } = "imagefolder";
    /// <summary>The dataset's size, for --dry-run without data (ImageNet: 1,281,167).</summary>
    [JsonPropertyName("train_images")] public int TrainImages { get; init; }
    [JsonPropertyName("classes")] public int Classes { get; init; } = 1000;
    [JsonPropertyName("image_size")] public int ImageSize { get; init; } = 224;
    /// <summary>The global minibatch (all workers together).</summary>
    [JsonPropertyName("batch")] public int Batch { get; init; } = 256;
    [JsonPropertyName("virtual_workers")] public int VirtualWorkers { get; init; } = 1;
    [JsonPropertyName("epochs")] public int Epochs { get; init; } = 90;
    [JsonPropertyName("lr")] public double LearningRate { get; init; } = 0.1;
    [JsonPropertyName("reference_batch")] public int ReferenceBatch { get; init; } = 256;
    [JsonPropertyName("linear_scaling")] public bool LinearScaling { get; init; }
    [JsonPropertyName("warmup_epochs")] public double WarmupEpochs { get; init; }
    [JsonPropertyName("momentum")] public double Momentum { get; init; } = 0.9;
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = 1e-4;
    [JsonPropertyName("no_bn_decay")] public bool NoBatchNormDecay { get; init; }
    [JsonPropertyName("zero_gamma")] public bool ZeroGamma { get; init; }
    [JsonPropertyName("decay")] public string Decay { get; init; } = "step";
    [JsonPropertyName("milestones")] public double[] Milestones { get; init; } = [];
    [JsonPropertyName("gamma")] public double Gamma { get; init; } = 0.1;
    /// <summary>fp32, fp16 or bf16 (mixed precision with F32 masters; fp16 with a dynamic loss scale).</summary>
    [JsonPropertyName("precision")] public string Precision { get; init; } = "fp32";

    public GoyalSchedule Schedule() => new(Batch)
    {
        ReferenceRate = LearningRate, ReferenceBatch = ReferenceBatch, LinearScaling = LinearScaling, WarmupEpochs = WarmupEpochs,
        Decay = Decay == "cosine" ? GoyalDecay.Cosine : GoyalDecay.Step, Milestones = Milestones, Gamma = Gamma, TotalEpochs = Epochs,
    };

    /// <summary>The recipes shipped with NativeNets, by name.</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(Recipe).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("NativeNets.Recipes.", StringComparison.Ordinal))
        .Select(n => n["NativeNets.Recipes.".Length..^".json".Length]).Order(StringComparer.Ordinal).ToList();

    /// <summary>A shipped recipe by name, or a recipe file by path; a clear error for anything else.</summary>
    public static Recipe Load(string nameOrPath)
    {
        string json, where;
        if (File.Exists(nameOrPath))
        {
            json = File.ReadAllText(nameOrPath);
            where = nameOrPath;
        }
        else
        {
            using var stream = typeof(Recipe).Assembly.GetManifestResourceStream($"NativeNets.Recipes.{nameOrPath}.json")
                ?? throw new ArgumentException($"no recipe '{nameOrPath}': expected a file or one of {string.Join(", ", Names)}");
            using var reader = new StreamReader(stream);
            json = reader.ReadToEnd();
            where = $"runtime/recipes/{nameOrPath}.json";
        }
        Recipe recipe;
        try
        {
            recipe = JsonSerializer.Deserialize<Recipe>(json, new JsonSerializerOptions { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow })
                ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new DataFormatException(where, $"not a valid recipe: {e.Message}");
        }
        if (recipe.Model.Length == 0 || recipe.Batch < 1 || recipe.Epochs < 1 || recipe.VirtualWorkers < 1 || recipe.Batch % recipe.VirtualWorkers != 0
            || recipe.Data is not ("imagefolder" or "fashion-mnist"))
            throw new DataFormatException(where, "a recipe needs a model, batch >= 1 divisible by virtual_workers, epochs >= 1, and data 'imagefolder' or 'fashion-mnist'");
        if (recipe.Precision is not ("fp32" or "fp16" or "bf16"))
            throw new DataFormatException(where, $"precision '{recipe.Precision}': expected fp32, fp16 or bf16");
        return recipe;
    }
}
