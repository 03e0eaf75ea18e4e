using System.Diagnostics;
using NativeNets.Data;
using NativeNets.Nets.Classifiers;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Nets;

/// <summary>Checkpoints: a run stopped at any moment and resumed ends exactly where an uninterrupted run ends.</summary>
public class CheckpointTests
{
    private static float[][] Weights(NeuralClassifier c) => c.Network.NamedParameters().Select(p => p.Parameter.Value.ToArray<float>()).ToArray();

    [Fact]
    public void ResumingAfterTwoEpochsGivesTheWeightsOfFourUninterruptedEpochs()
    {
        using var dir = new TempDirectory();
        using var data = Synthetic.Blobs(600, 10, 12, 5, noise: 90);
        var options = new TrainOptions { Epochs = 4, BatchSize = 50, LearningRate = 0.05, LrStepEpochs = 3, Seed = 9 };

        using var whole = new ThreeLayerNet(32, 16, options);
        whole.Train(data.Images, data.Labels);

        var path = Path.Combine(dir.Path, "run.ckpt");
        using (var first = new ThreeLayerNet(32, 16, options with { Epochs = 2, CheckpointPath = path }))
            first.Train(data.Images, data.Labels);
        using var resumed = new ThreeLayerNet(32, 16, options with { CheckpointPath = path, Resume = true });
        resumed.Train(data.Images, data.Labels);

        Assert.Equal(2, resumed.ResumedFromEpoch);
        Assert.Equal(Weights(whole), Weights(resumed)); // bit for bit
    }

    [Fact]
    public void MomentumBuffersAndDropoutGeneratorsTravelThroughTheCheckpoint()
    {
        using var dir = new TempDirectory();
        var rng = new NativeNets.Tensors.Rng(3);
        using var net = new NativeNets.Modules.Sequential()
            .Add("fc1", new NativeNets.Modules.Linear(4, 3, rng: rng))
            .Add("drop", new NativeNets.Modules.Dropout(0.5, seed: 11))
            .Add("fc2", new NativeNets.Modules.Linear(3, 2, rng: rng));
        using var sgd = new NativeNets.Optim.Sgd(net.Parameters(), 0.1);
        foreach (var (_, v) in sgd.State) v.Backend.Fill(v, 0.25);
        var drop = (NativeNets.Modules.Dropout)net[1];
        drop.Generator.NextUInt64();
        var saved = drop.Generator.State;
        var path = Path.Combine(dir.Path, "small.ckpt");
        NativeNets.Nets.Weights.Checkpoint.Save(path, net, sgd, new NativeNets.Nets.Weights.TrainingState
        {
            Epoch = 3, Step = 42, Rng = rng.State, Dropout = NativeNets.Nets.Weights.Checkpoint.DropoutStates(net), Fingerprint = "small",
        });
        drop.Generator.NextUInt64();
        foreach (var (_, v) in sgd.State) v.Backend.Fill(v, 0);
        var state = NativeNets.Nets.Weights.Checkpoint.Load(path, net, sgd, "small");
        Assert.Equal((3, 42L), (state.Epoch, state.Step));
        Assert.Equal(saved, drop.Generator.State);
        Assert.All(sgd.State, s => Assert.All(s.Velocity.ToArray<float>(), v => Assert.Equal(0.25f, v)));
        // The checkpoint is also a weights file: the state_dict keys load on their own.
        NativeNets.Nets.Weights.StateDict.Load(net, path, strict: false);
    }

    [Fact]
    public void ACheckpointOfAnotherRunIsRefusedByName()
    {
        using var dir = new TempDirectory();
        using var data = Synthetic.Blobs(200, 10, 12, 7);
        var path = Path.Combine(dir.Path, "a.ckpt");
        using (var a = new ThreeLayerNet(32, 16, new TrainOptions { Epochs = 1, BatchSize = 50, CheckpointPath = path }))
            a.Train(data.Images, data.Labels);
        using var b = new ThreeLayerNet(32, 16, new TrainOptions { Epochs = 2, BatchSize = 40, CheckpointPath = path, Resume = true });
        var e = Assert.Throws<DataFormatException>(() => b.Train(data.Images, data.Labels));
        Assert.Contains("a.ckpt", e.Message);
        Assert.Contains("batch 50", e.Message);
        Assert.Contains("batch 40", e.Message);
    }

    [Fact]
    public void ARunKilledWithSigkillAndResumedEndsWithTheUninterruptedWeights()
    {
        using var dir = new TempDirectory();
        using (var train = Synthetic.Blobs(3000, 10, 28, 1, noise: 90))
        using (var test = Synthetic.Blobs(100, 10, 28, 2, noise: 90))
            Synthetic.WriteMnistFiles(dir.Path, train, test);
        var cli = Path.Combine(AppContext.BaseDirectory, "nativenets.dll");
        string[] Args(string save, string? checkpoint) =>
        [
            cli, "train", "--model", "three-layer", "--data", dir.Path, "--epochs", "40", "--batch", "100", "--seed", "5",
            "--save", save, "--json", .. checkpoint is null ? Array.Empty<string>() : ["--checkpoint", checkpoint, "--resume"],
        ];
        var uninterrupted = Path.Combine(dir.Path, "uninterrupted.safetensors");
        var resumed = Path.Combine(dir.Path, "resumed.safetensors");
        var checkpoint = Path.Combine(dir.Path, "run.ckpt");
        Assert.Equal(0, RunToEnd(Args(uninterrupted, null)));

        // Kill the run (SIGKILL) once it has written a few checkpoints, then resume it.
        using (var victim = Start(Args(resumed, checkpoint)))
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(checkpoint) && !victim.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(20);
            Thread.Sleep(300);
            Assert.False(victim.HasExited, "the run finished before it could be killed; give it more epochs");
            victim.Kill(); // SIGKILL on Linux: no handler, no flush
            victim.WaitForExit();
        }
        Assert.False(File.Exists(resumed));
        Assert.Equal(0, RunToEnd(Args(resumed, checkpoint)));
        Assert.Equal(File.ReadAllBytes(uninterrupted), File.ReadAllBytes(resumed));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp*")); // nothing half-written left behind
    }

    private static Process Start(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static int RunToEnd(string[] args)
    {
        using var p = Start(args);
        if (!p.WaitForExit(TimeSpan.FromMinutes(3))) { p.Kill(); return -1; }
        return p.ExitCode;
    }
}
