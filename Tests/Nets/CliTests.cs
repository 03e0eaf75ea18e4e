using System.Text.Json;
using NativeNets.Cli;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Nets;

/// <summary>The command line on generated Fashion-MNIST-format files. Console output is process-wide, so these run one at a time.</summary>
[Collection(nameof(ConsoleCollection))]
public class CliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public CliTests()
    {
        using var train = Synthetic.Blobs(400, 10, 28, 1, noise: 90);
        using var test = Synthetic.Blobs(100, 10, 28, 2, noise: 90);
        Synthetic.WriteMnistFiles(_dir.Path, train, test);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void KnnJsonHasTheDocumentedKeys()
    {
        var (code, stdout, _) = Run("knn", "--data", _dir.Path, "--k", "3", "--distance", "l2", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(Assert.Single(Lines(stdout)));
        var root = doc.RootElement;
        Assert.Equal(3, root.GetProperty("k").GetInt32());
        Assert.Equal("l2", root.GetProperty("distance").GetString());
        Assert.Equal(100, root.GetProperty("test_count").GetInt32());
        Assert.InRange(root.GetProperty("accuracy").GetDouble(), 0.9, 1.0);
        Assert.True(root.GetProperty("queries_per_second").GetDouble() > 0);
        Assert.StartsWith("knn", root.GetProperty("model").GetString());
        // The fingerprint of the predicted labels: a SHA-256 in hex, and another set of predictions (99 of them) gives another.
        var sha = root.GetProperty("predictions_sha256").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", sha);
        var (_, again, _) = Run("knn", "--data", _dir.Path, "--k", "3", "--distance", "l2", "--json", "--limit", "99");
        using var fewer = JsonDocument.Parse(Assert.Single(Lines(again)));
        Assert.NotEqual(sha, fewer.RootElement.GetProperty("predictions_sha256").GetString());
    }

    [Fact]
    public void ChannelsLastOnTheCpuIsRefusedWithTheReason()
    {
        var (code, _, stderr) = Run("train", "--model", "lenet5", "--data", _dir.Path, "--epochs", "1", "--channels-last");
        Assert.NotEqual(0, code);
        Assert.Contains("channels last runs on the GPU only", stderr);
        var (benchCode, _, benchErr) = Run("bench", "--model", "resnet18", "--batch", "2", "--steps", "1", "--warmup", "0", "--size", "32", "--channels-last");
        Assert.NotEqual(0, benchCode);
        Assert.Contains("--channels-last runs on the GPU only", benchErr);
    }

    [Fact]
    public void TrainJsonHasTheDocumentedKeys()
    {
        var (code, stdout, _) = Run("train", "--model", "two-layer", "--data", _dir.Path, "--epochs", "3", "--batch", "50", "--hidden", "32", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(Assert.Single(Lines(stdout)));
        var root = doc.RootElement;
        Assert.Equal("two-layer", root.GetProperty("model").GetString());
        Assert.Equal(3, root.GetProperty("epochs").GetInt32());
        Assert.InRange(root.GetProperty("test_accuracy").GetDouble(), 0.8, 1.0);
        Assert.True(root.GetProperty("train_images_per_second").GetDouble() > 0);
        Assert.True(root.GetProperty("seconds").GetDouble() > 0);
    }

    [Fact]
    public void SeedRunsEveryClassifierAndPrintsOneLineEach()
    {
        var (code, stdout, _) = Run("seed", "--data", _dir.Path, "--json");
        Assert.Equal(0, code);
        var models = Lines(stdout).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("model").GetString()).ToArray();
        Assert.Equal(new[] { "knn-l1-k1", "knn-l2-k1", "knn-l1-k5", "linear-svm", "linear-softmax", "two-layer", "three-layer", "lenet5" }, models);
    }

    [Fact]
    public void ParamsPrintsTorchvisionsCount()
    {
        var (code, stdout, _) = Run("params", "--model", "resnet18", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("resnet18", doc.RootElement.GetProperty("model").GetString());
        Assert.Equal(11_689_512, doc.RootElement.GetProperty("parameters").GetInt64());
    }

    [Fact]
    public void TrainsACnnAndSavesItsWeights()
    {
        var weights = Path.Combine(_dir.Path, "resnet20.safetensors");
        var (code, stdout, _) = Run("train", "--model", "resnet20", "--data", _dir.Path, "--epochs", "1", "--batch", "50", "--save", weights, "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(Assert.Single(Lines(stdout)));
        Assert.Equal("resnet20", doc.RootElement.GetProperty("model").GetString());
        Assert.True(File.Exists(weights));
        using var model = NativeNets.Nets.Architectures.Architectures.Create("resnet20", new() { Classes = 10, InChannels = 1 });
        NativeNets.Nets.Weights.StateDict.Load(model.Network, weights);
    }

    [Fact]
    public void RetrieveReportsPrecisionAtKForSavedWeights()
    {
        var weights = Path.Combine(_dir.Path, "lenet5.safetensors");
        Assert.Equal(0, Run("train", "--model", "lenet5", "--data", _dir.Path, "--epochs", "2", "--batch", "50", "--save", weights, "--json").Code);
        var (code, stdout, stderr) = Run("retrieve", "--weights", weights, "--index", _dir.Path, "-k", "5", "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(Assert.Single(Lines(stdout)));
        Assert.Equal("lenet5", doc.RootElement.GetProperty("model").GetString());
        Assert.Equal(100, doc.RootElement.GetProperty("queries").GetInt32());
        Assert.InRange(doc.RootElement.GetProperty("precision_at_k").GetDouble(), 0.5, 1.0);
        var (one, single, _) = Run("retrieve", "--weights", weights, "--index", _dir.Path, "--query", "7", "-k", "3", "--json");
        Assert.Equal(0, one);
        using var q = JsonDocument.Parse(Assert.Single(Lines(single)));
        Assert.Equal(3, q.RootElement.GetProperty("neighbours").GetArrayLength());
        // A query image from a file: decoded, made grey and resized to the index's 28 x 28.
        var (fromFile, fileOut, fileErr) = Run("retrieve", "--weights", weights, "--index", _dir.Path, "--query", Path.Combine(Fixtures.Directory, "images", "rgb.png"), "-k", "2", "--json");
        Assert.True(fromFile == 0, fileErr);
        using var f = JsonDocument.Parse(Assert.Single(Lines(fileOut)));
        Assert.Equal(2, f.RootElement.GetProperty("neighbours").GetArrayLength());
    }

    [Fact]
    public void AskingForCudaWithoutAGpuIsAClearError()
    {
        Assert.SkipWhen(NativeNets.Backends.CudaDevices.TryCount(out _) > 0, "this machine has a GPU");
        var (code, _, stderr) = Run("train", "--model", "linear-svm", "--data", _dir.Path, "--device", "cuda");
        Assert.Equal(1, code);
        Assert.StartsWith("nativenets: error:", stderr.Trim());
        Assert.Contains("cuda", stderr);
        Assert.DoesNotContain("   at ", stderr); // a message, not a stack trace
    }

    [Fact]
    public void DoctorWithoutAGpuSaysSoAndExitsNonZero()
    {
        Assert.SkipWhen(NativeNets.Backends.CudaDevices.TryCount(out _) > 0, "this machine has a GPU: see the GPU tests");
        var (code, stdout, _) = Run("doctor");
        Assert.NotEqual(0, code);
        Assert.Contains("GPU: none usable", stdout);
        Assert.Contains("cannot run here", stdout);
        var (jsonCode, json, _) = Run("doctor", "--json");
        Assert.Equal(code, jsonCode);
        using var doc = JsonDocument.Parse(json);
        Assert.False(doc.RootElement.GetProperty("healthy").GetBoolean());
        var cudnn = doc.RootElement.GetProperty("libraries").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "cudnn");
        if (!cudnn.GetProperty("usable").GetBoolean() && cudnn.GetProperty("path").ValueKind == JsonValueKind.Null)
            Assert.Contains(cudnn.GetProperty("tried").EnumerateArray(), t => t.GetString()!.Contains("libcudnn.so.9"));
    }

    [Fact]
    public void BadDataGivesOneClearErrorAndExitCodeOne()
    {
        File.WriteAllBytes(Path.Combine(_dir.Path, "train-labels-idx1-ubyte.gz"), [0x1F, 0x8B, 8, 0, 0, 0]);
        var (code, _, stderr) = Run("train", "--model", "linear-svm", "--data", _dir.Path);
        Assert.Equal(1, code);
        Assert.Contains("train-labels-idx1-ubyte.gz", stderr);
        Assert.StartsWith("nativenets: error:", stderr.Trim());
        var (code2, _, stderr2) = Run("knn", "--data", "/nonexistent/dir");
        Assert.Equal(1, code2);
        Assert.Contains("/nonexistent/dir", stderr2);
    }

    [Fact]
    public void BenchJsonReportsPrecisionFlopsAndLayerTimes()
    {
        var (code, stdout, stderr) = Run("bench", "--model", "lenet5", "--batch", "8", "--steps", "2", "--warmup", "1", "--size", "28",
            "--classes", "10", "--precision", "bf16", "--layer-times", "1", "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(Assert.Single(Lines(stdout)));
        var root = doc.RootElement;
        Assert.Equal("bf16", root.GetProperty("precision").GetString());
        Assert.True(root.GetProperty("train_images_per_second").GetDouble() > 0);
        Assert.True(root.GetProperty("infer_images_per_second").GetDouble() > 0);
        // LeNet-5 on 28 px: 3 x 833,040 FLOPs per training image.
        Assert.Equal(0.002, root.GetProperty("train_gflop_per_image").GetDouble(), 3);
        Assert.True(root.TryGetProperty("mfu", out _));
        var layers = root.GetProperty("layer_times").EnumerateArray().Select(l => l.GetProperty("layer").GetString()).ToList();
        Assert.Equal(["features", "flatten", "classifier"], layers); // depth 1 only
        Assert.All(root.GetProperty("layer_times").EnumerateArray(), l => Assert.True(l.GetProperty("forward_ms").GetDouble() >= 0));
    }

    [Fact]
    public void TrainTakesAPrecisionAndReportsIt()
    {
        var (code, stdout, stderr) = Run("train", "--model", "two-layer", "--data", _dir.Path, "--epochs", "2", "--batch", "50",
            "--precision", "fp16", "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(Assert.Single(Lines(stdout)));
        Assert.Equal("fp16", doc.RootElement.GetProperty("precision").GetString());
        Assert.True(doc.RootElement.GetProperty("skipped_steps").GetInt64() >= 0);
        Assert.InRange(doc.RootElement.GetProperty("test_accuracy").GetDouble(), 0.8, 1.0);
        var (bad, _, error) = Run("train", "--model", "two-layer", "--data", _dir.Path, "--precision", "fp8");
        Assert.NotEqual(0, bad);
        Assert.Contains("fp8", error);
    }

    private static string[] Lines(string s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Runs the command line in this process, capturing its output (callers must be in the console collection).</summary>
    internal static (int Code, string Stdout, string Stderr) RunCli(params string[] args) => Run(args);

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var oldOut = Console.Out;
        var oldErr = Console.Error;
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            var code = NativeNetsCli.Run(args);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }
}

[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public sealed class ConsoleCollection;
