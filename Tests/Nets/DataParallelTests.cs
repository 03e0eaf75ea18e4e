using System.Diagnostics;
using NativeNets.Data.Formats;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Nets;

/// <summary>
/// Data-parallel training through `mpirun ... nativenets train`, against one process: k ranks of batch n reach the weights
/// of one process with batch kn (no BN), and with BN the weights of one process with k virtual workers. Needs Open MPI
/// (Debian's openmpi-bin, which .ci/run installs); skipped with the reason without it.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class DataParallelTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public DataParallelTests()
    {
        using var train = Synthetic.Blobs(2560, 10, 28, 1, noise: 90);
        using var test = Synthetic.Blobs(100, 10, 28, 2, noise: 90);
        Synthetic.WriteMnistFiles(_dir.Path, train, test);
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void RanksOfBatchNEqualOneProcessOfBatchKN(int ranks)
    {
        var single = Train(1, "two-layer", 64, []);
        var parallel = Train(ranks, "two-layer", 64 / ranks, []);
        AssertSameParameters(single, parallel, 1e-5);
    }

    [Fact]
    public void OneRankThroughTheRealCommunicatorEqualsNone()
    {
        var single = Train(1, "two-layer", 64, []);
        var oneRank = Train(1, "two-layer", 64, ["--distributed"], viaMpi: true);
        AssertSameParameters(single, oneRank, 1e-6);
    }

    /// <summary>
    /// ResNet-20's BN biases get gradients that are sums over a whole batch which nearly cancel at the start, so the
    /// order of float additions (the all-reduce's against one process's) changes them by ~1e-7 relative at step 2, and
    /// the deep net amplifies that about twentyfold per step: the same happens between 1 and 2 CPU threads in one
    /// process. The CLI comparison therefore stops at 3 steps; 20 steps with BN are compared on a shallow BN network
    /// under mpirun in Tests/Distributed (MpiProbeTests), within 1e-5. ResNet-20's 3x3 layers go through Winograd on the
    /// CPU, whose weight gradient sums tile products per chunk of images: a rank's chunks are not the virtual workers'
    /// ones, and Winograd's transforms round more than a direct sum: three steps ended 6.4e-5 apart (with 2 ranks), so 1e-4.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void WithBatchNormRanksEqualVirtualWorkers(int ranks)
    {
        string[] common = ["--steps", "3", "--lr", "0.01"];
        var virtualWorkers = Train(1, "resnet20", 32, [.. common, "--virtual-workers", ranks.ToString()]);
        var parallel = Train(ranks, "resnet20", 32 / ranks, common);
        AssertSameParameters(virtualWorkers, parallel, 1e-4, relativeToLargestParameter: true);
    }

    private string Train(int ranks, string model, int batch, string[] extra, bool viaMpi = false)
    {
        viaMpi |= ranks > 1;
        var mpirun = FindOnPath("mpirun");
        Assert.SkipWhen(viaMpi && mpirun is null, "Open MPI's mpirun is not installed (Debian: openmpi-bin libopenmpi-dev)");
        var output = Path.Combine(_dir.Path, $"{model}-{ranks}-{batch}-{viaMpi}-{string.Join("", extra)}.safetensors");
        var cli = Path.Combine(AppContext.BaseDirectory, "nativenets.dll");
        var psi = new ProcessStartInfo(viaMpi ? mpirun! : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (viaMpi) foreach (var a in new[] { "-np", ranks.ToString(), "--oversubscribe", "dotnet" }) psi.ArgumentList.Add(a);
        var steps = extra.Contains("--steps") ? [] : new[] { "--steps", "20" };
        foreach (var a in new[] { cli, "train", "--model", model, "--data", _dir.Path, "--batch", batch.ToString(),
                     "--epochs", "1", "--seed", "3", "--save", output, "--json" }.Concat(steps).Concat(extra))
            psi.ArgumentList.Add(a);
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(4)), "training did not finish in 4 minutes");
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {stderr.Result}{stdout.Result}");
        return output;
    }

    /// <summary>Every learned tensor within tolerance of its largest magnitude, or of the largest parameter of all.</summary>
    private static void AssertSameParameters(string expectedPath, string actualPath, double tolerance, bool relativeToLargestParameter = false)
    {
        using var expected = SafetensorsFile.Open(expectedPath);
        using var actual = SafetensorsFile.Open(actualPath);
        // Running statistics are per worker in the recipe (rank 0 saves its own); the learned parameters must agree.
        var names = expected.Entries.Select(e => e.Name)
            .Where(n => !n.Contains("running_", StringComparison.Ordinal) && !n.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList();
        var largest = names.Max(n => expected.ReadDoubles(n).Max(Math.Abs));
        foreach (var name in names)
        {
            var e = expected.ReadDoubles(name);
            var a = actual.ReadDoubles(name);
            if (!relativeToLargestParameter)
            {
                Fixtures.AssertClose(name, e, a, tolerance);
                continue;
            }
            var worst = e.Zip(a, (x, y) => Math.Abs(x - y)).Max();
            Assert.True(worst <= tolerance * largest, $"{name}: differs by {worst:E2}, allowed {tolerance:E0} of the largest parameter {largest:G4}");
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
