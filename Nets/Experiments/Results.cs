using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NativeNets.Nets.Experiments;

/// <summary>One measured result; <see cref="ToJson"/> gives the one-line JSON object the command line prints with --json.</summary>
internal abstract record Result(string Model)
{
    public abstract JsonObject ToJsonObject();

    public string ToJson() => ToJsonObject().ToJsonString(new JsonSerializerOptions { WriteIndented = false });

    protected static double Round(double v, int digits) => Math.Round(v, digits);
}

internal sealed record KnnResult(string Model, int K, string Distance, int TrainCount, int TestCount, double Accuracy,
    double Seconds, double QueriesPerSecond, string Device) : Result(Model)
{
    /// <summary>SHA-256 of the predicted labels (little-endian int32s), so two devices' answers compare label by label.</summary>
    public string PredictionsSha256 { get; init; } = "";

    public override JsonObject ToJsonObject() => new()
    {
        ["model"] = Model,
        ["k"] = K,
        ["distance"] = Distance,
        ["train_count"] = TrainCount,
        ["test_count"] = TestCount,
        ["accuracy"] = Round(Accuracy, 6),
        ["seconds"] = Round(Seconds, 4),
        ["queries_per_second"] = Round(QueriesPerSecond, 1),
        ["device"] = Device,
        ["predictions_sha256"] = PredictionsSha256,
    };
}

internal sealed record TrainResult(string Model, int Epochs, int Batch, double LearningRate, double WeightDecay, int TrainCount, int TestCount,
    double TestAccuracy, double FinalLoss, double TrainSeconds, double Seconds, double TrainImagesPerSecond, long Parameters, string Device) : Result(Model)
{
    /// <summary>fp32, fp16 or bf16.</summary>
    public string Precision { get; init; } = "fp32";

    /// <summary>Optimizer steps an fp16 loss-scale overflow skipped.</summary>
    public long SkippedSteps { get; init; }

    public override JsonObject ToJsonObject() => new()
    {
        ["model"] = Model,
        ["epochs"] = Epochs,
        ["batch"] = Batch,
        ["lr"] = LearningRate,
        ["weight_decay"] = WeightDecay,
        ["train_count"] = TrainCount,
        ["test_count"] = TestCount,
        ["test_accuracy"] = Round(TestAccuracy, 6),
        ["final_loss"] = Round(FinalLoss, 6),
        ["parameters"] = Parameters,
        ["train_seconds"] = Round(TrainSeconds, 4),
        ["seconds"] = Round(Seconds, 4),
        ["train_images_per_second"] = Round(TrainImagesPerSecond, 1),
        ["device"] = Device,
        ["precision"] = Precision,
        ["skipped_steps"] = SkippedSteps,
    };
}

internal static class Format
{
    public static string Int(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
