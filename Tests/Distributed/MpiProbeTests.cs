using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using NativeNets.Native;
using Xunit;

namespace NativeNets.Tests.Distributed;

/// <summary>Runs the mpirun tests by themselves: 4 processes on a 2-core machine are enough load.</summary>
[CollectionDefinition("mpirun", DisableParallelization = true)]
public sealed class MpirunCollection;

/// <summary>
/// The MPI communicator under a real mpirun: Tests/MpiProbe (built with the tests) runs as 2 or 4 processes and checks
/// itself from every rank. Skipped, with the reason, where mpirun or the built probe is missing
/// (Debian: apt-get install openmpi-bin libopenmpi-dev).
/// </summary>
[Collection("mpirun")]
public class MpiProbeTests
{
    [Theory]
    [InlineData("collectives", 4)]
    [InlineData("collectives", 2)]
    [InlineData("buckets", 4)]
    [InlineData("error", 2)]
    public void CollectivesAndErrorsAcrossProcesses(string mode, int processes)
    {
        var run = Probe.Run(mode, processes, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, $"mpirun {mode} exited {run.ExitCode}:\n{run.Output}");
        Assert.Contains($"RESULT {mode} ok", run.Output);
        if (mode == "error") Assert.Contains("MPI_ERR_ROOT", run.Output);
    }

    [Theory]
    [InlineData("train", 2)]
    [InlineData("train", 4)]
    [InlineData("train-bn", 2)]
    [InlineData("train-bn", 4)]
    public void RanksWithBatchNReachTheSingleProcessWeights(string mode, int processes)
    {
        // k processes x batch n for 20 steps against one process x batch kn (with BN: k ghost batches), within 1e-5.
        var run = Probe.Run(mode, processes, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, $"mpirun {mode} exited {run.ExitCode}:\n{run.Output}");
        Assert.Contains($"RESULT {mode} ok", run.Output);
        Assert.Contains("max |w - w_single|", run.Output);
    }

    [Fact]
    public void ARankKilledWithSigkillEndsTheJobNonZeroNamingIt()
    {
        // Open MPI's mpirun ends the job when a rank dies: the others, blocked in an all-reduce, do not hang.
        var run = Probe.Run("die", 4, TimeSpan.FromMinutes(2));
        Assert.False(run.TimedOut, $"the job hung:\n{run.Output}");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("rank 1: killing myself with SIGKILL", run.Output);
        Assert.Contains("process rank 1", run.Output);
        Assert.DoesNotContain("the all-reduce returned", run.Output);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(60), $"the job took {run.Elapsed.TotalSeconds:0.0} s to end");
    }

    [Fact]
    public void ARankThatHangsMakesTheOthersAbortAfterTheTimeout()
    {
        // Rank 1 sleeps for 5 minutes; the others' 3-second timeout prints the collective and the rank, then MPI_Abort.
        var run = Probe.Run("hang", 4, TimeSpan.FromMinutes(2), ("NATIVENETS_PROBE_TIMEOUT", "3"));
        Assert.False(run.TimedOut, $"the job hung:\n{run.Output}");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Matches(@"rank [023] of 4: MPI_Allreduce #\d+ \(1 x f32\) did not complete within 3 s", run.Output);
        Assert.Contains("MPI_Abort", run.Output);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(60), $"the job took {run.Elapsed.TotalSeconds:0.0} s to end");
    }

    /// <summary>Finds mpirun and the probe, and runs it.</summary>
    private static class Probe
    {
        public sealed record Result(int ExitCode, string Output, TimeSpan Elapsed, bool TimedOut);

        public static Result Run(string mode, int processes, TimeSpan limit, params (string Name, string Value)[] environment)
        {
            var mpirun = FindOnPath("mpirun");
            Assert.SkipWhen(mpirun is null, "mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)");
            var root = RepositoryRoot();
            Assert.SkipWhen(root is null, $"no NativeNets.sln above {AppContext.BaseDirectory}");
            var probe = Path.Combine(root!, "Tests", "MpiProbe", "bin", "Release", "net10.0", "MpiProbe.dll");
            Assert.SkipUnless(File.Exists(probe), $"{probe} is not built (dotnet build Tests/NativeNets.Tests.csproj -c Release builds it)");
            var start = new ProcessStartInfo(mpirun!)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = root!,
            };
            foreach (var a in new[] { "--oversubscribe", "-np", processes.ToString(System.Globalization.CultureInfo.InvariantCulture), DotnetHost(), probe, mode })
                start.ArgumentList.Add(a);
            // Root is refused by mpirun unless it is confirmed twice (CI containers run as root).
            start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
            start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
            start.Environment["TERM"] = "dumb";
            foreach (var (name, value) in environment) start.Environment[name] = value;
            var output = new StringBuilder();
            var clock = Stopwatch.StartNew();
            using var process = new Process { StartInfo = start };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var finished = process.WaitForExit(limit);
            if (!finished) process.Kill(entireProcessTree: true);
            process.WaitForExit();
            clock.Stop();
            lock (output) return new Result(finished ? process.ExitCode : -1, output.ToString(), clock.Elapsed, !finished);
        }

        private static string? FindOnPath(string name) =>
            (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

        private static string? RepositoryRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "NativeNets.sln"))) return dir.FullName;
            return null;
        }

        /// <summary>The dotnet host of the runtime running the tests (…/dotnet/shared/Microsoft.NETCore.App/10.x/ → …/dotnet/dotnet).</summary>
        private static string DotnetHost()
        {
            var runtime = RuntimeEnvironment.GetRuntimeDirectory();
            var host = Path.GetFullPath(Path.Combine(runtime, "..", "..", "..", "dotnet"));
            return File.Exists(host) ? host : FindOnPath("dotnet") ?? "dotnet";
        }
    }
}
