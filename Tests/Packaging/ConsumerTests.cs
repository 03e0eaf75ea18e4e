using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace NativeNets.Tests.Packaging;

/// <summary>
/// Issue 8, item 5: a program that is not NativeNets compiles against the packed packages and trains on them. The test
/// packs NativeNets.Native, .Layers, .Data and .Nets at a unique version into a temporary folder feed, creates a console
/// project that takes NativeNets.Nets (and through it the others) by PackageReference, writes a Program.cs that builds
/// a small network from NativeNets layers (Sequential of Linear, ReLU, Linear), trains it with SGD on random data on
/// the CPU and prints the loss, runs it with `dotnet run -c Release`, and checks the exit code and that the loss fell.
/// </summary>
/// <remarks>
/// The version is 0.0.0-test.TICKS, so no NuGet cache can ever serve a stale package; the build of the packed
/// projects goes to a temporary artifacts folder, so the repository's bin/ and obj/ are not touched; the consumer's
/// restore uses a private NUGET_PACKAGES folder, so the test packages never reach the user's cache, and finds the
/// third-party packages (System.Numerics.Tensors, StbImageSharp, ScottPlot, ...) in the machine's package cache,
/// added as a local feed, or on the machine's configured feeds. Needs the .NET SDK (not just the runtime, as on the
/// GPU host) and the sources; skipped otherwise.
/// </remarks>
[Collection(nameof(PackagingCollection))]
public sealed class ConsumerTests
{
    private static readonly string[] Libraries =
    [
        // Nets first: its build builds the other three, whose packs are then up to date.
        "Nets/NativeNets.Nets.csproj",
        "Native/NativeNets.Native.csproj",
        "Layers/NativeNets.Layers.csproj",
        "Data/NativeNets.Data.csproj",
    ];

    [Fact]
    public void ConsumerProjectTrainsAgainstThePackedPackages()
    {
        var root = RepositoryRoot();
        Assert.SkipWhen(root is null, $"no NativeNets.sln above {AppContext.BaseDirectory}: the sources are needed to pack");
        var dotnet = FindOnPath("dotnet");
        Assert.SkipWhen(dotnet is null, "the dotnet command is not on PATH: packing needs the .NET SDK");
        var sdks = Run(dotnet!, ["--list-sdks"], root!, TimeSpan.FromSeconds(60));
        Assert.SkipWhen(sdks.ExitCode != 0 || string.IsNullOrWhiteSpace(sdks.Output),
            "only the .NET runtime is installed (dotnet --list-sdks lists no SDK): packing needs the .NET SDK");

        var work = Path.Combine(Path.GetTempPath(), "nativenets-consumer-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        try
        {
            var version = "0.0.0-test." + DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture);
            var feed = Path.Combine(work, "feed");
            var artifacts = Path.Combine(work, "artifacts");
            var clock = Stopwatch.StartNew();

            foreach (var project in Libraries)
            {
                var pack = Run(dotnet!, ["pack", Path.Combine(root!, project), "-c", "Release", "-o", feed,
                    "--artifacts-path", artifacts, "-nologo", "-v", "quiet", "-clp:ErrorsOnly",
                    $"-p:Version={version}", "-p:IncludeSymbols=false"], root!, TimeSpan.FromMinutes(4));
                Assert.True(pack.ExitCode == 0, $"dotnet pack {project} exited {pack.ExitCode}:\n{pack.Output}");
            }
            foreach (var id in new[] { "NativeNets.Native", "NativeNets.Layers", "NativeNets.Data", "NativeNets.Nets" })
                Assert.True(File.Exists(Path.Combine(feed, $"{id}.{version}.nupkg")), $"{id}.{version}.nupkg was not packed");
            var packSeconds = clock.Elapsed.TotalSeconds;

            var app = Path.Combine(work, "consumer");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "Consumer.csproj"), ConsumerProject(version));
            File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram);
            File.WriteAllText(Path.Combine(app, "nuget.config"), NuGetConfig(feed));
            // Keep the consumer out of any Directory.Build.props or global.json of the folders above the temp folder.
            File.WriteAllText(Path.Combine(work, "Directory.Build.props"), "<Project />\n");
            File.WriteAllText(Path.Combine(work, "Directory.Build.targets"), "<Project />\n");

            var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(work, "nuget-packages") };
            var run = Run(dotnet!, ["run", "-c", "Release", "--project", app], app, TimeSpan.FromMinutes(4), env);
            Assert.True(run.ExitCode == 0, $"dotnet run of the consumer exited {run.ExitCode}:\n{run.Output}");

            // The program prints "loss STEP VALUE" at a few steps; each must be below the one before.
            var losses = Regex.Matches(run.Output, @"^loss (\d+) ([0-9.eE+-]+)\s*$", RegexOptions.Multiline)
                .Select(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)).ToArray();
            Assert.True(losses.Length >= 3, $"the consumer printed {losses.Length} losses:\n{run.Output}");
            for (var i = 1; i < losses.Length; i++)
                Assert.True(losses[i] < losses[i - 1], $"the loss did not fall: {string.Join(", ", losses)}\n{run.Output}");
            Assert.True(losses[^1] < 0.8 * losses[0], $"the loss fell too little: {string.Join(", ", losses)}");
            Assert.Contains("consumer: ok", run.Output);
            TestContext.Current.SendDiagnosticMessage(
                $"consumer test: packed in {packSeconds:F0} s, whole test {clock.Elapsed.TotalSeconds:F0} s; losses {string.Join(", ", losses)}");
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string ConsumerProject(string version) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
            <NuGetAudit>false</NuGetAudit>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="NativeNets.Nets" Version="{version}" />
          </ItemGroup>
        </Project>
        """;

    /// <summary>
    /// The test feed, then the machine's package cache as a local feed (it holds the third-party packages the build
    /// restored); the feeds of the machine's own NuGet configuration are inherited, as there is no &lt;clear/&gt;.
    /// </summary>
    private static string NuGetConfig(string feed)
    {
        var sb = new StringBuilder();
        sb.AppendLine("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        sb.AppendLine("<configuration>");
        sb.AppendLine("  <packageSources>");
        sb.AppendLine($"    <add key=\"nativenets-test\" value=\"{feed}\" />");
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(cache))
            cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        if (Directory.Exists(cache)) sb.AppendLine($"    <add key=\"machine-cache\" value=\"{cache}\" />");
        sb.AppendLine("  </packageSources>");
        sb.AppendLine("</configuration>");
        return sb.ToString();
    }

    /// <summary>A custom network from NativeNets layers, trained on the CPU by full-batch SGD; prints its loss.</summary>
    private const string ConsumerProgram = """
        using System.Globalization;
        using NativeNets.Losses;
        using NativeNets.Modules;
        using NativeNets.Optim;
        using NativeNets.Tensors;

        const int n = 128, features = 8, classes = 3, steps = 60;
        var rng = new Rng(42);
        // Random inputs; the label is the class whose fixed random direction scores highest, so the data is learnable.
        var x = new float[n * features];
        for (var i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var directions = new float[classes * features];
        for (var i = 0; i < directions.Length; i++) directions[i] = (float)rng.NextGaussian();
        var y = new int[n];
        for (var s = 0; s < n; s++)
        {
            var best = float.NegativeInfinity;
            for (var c = 0; c < classes; c++)
            {
                float score = 0;
                for (var f = 0; f < features; f++) score += x[s * features + f] * directions[c * features + f];
                if (score > best) (best, y[s]) = (score, c);
            }
        }

        using var inputs = Tensor.FromArray(x, n, features);
        using var labels = Tensor.FromArray(y, n);
        using var net = new Sequential(
            new Linear(features, 32, rng: rng, device: Device.Cpu),
            new ReLU(),
            new Linear(32, classes, rng: rng, device: Device.Cpu));
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new Sgd(net.Parameters(), learningRate: 0.1, momentum: 0);
        for (var step = 0; step <= steps; step++)
        {
            sgd.ZeroGrad();
            var value = loss.Forward(net.Forward(inputs), labels);
            net.Backward(loss.Backward());
            sgd.Step();
            if (step % 10 == 0) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"loss {step} {value:R}"));
        }
        Console.WriteLine($"consumer: ok ({net.ParameterCount()} parameters)");
        """;

    private static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NativeNets.sln"))) return dir.FullName;
        return null;
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private sealed record Result(int ExitCode, string Output);

    /// <summary>
    /// Runs a command to its end, stdout and stderr together. MSBuild's node reuse, its server and the shared compiler
    /// are off, so that no process outlives the command holding its output open (or the machine's two cores).
    /// </summary>
    private static Result Run(string file, string[] args, string workingDirectory, TimeSpan timeout, Dictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";
        foreach (var (k, v) in env ?? []) info.Environment[k] = v;

        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit();
            lock (output) return new Result(-1, $"timed out after {timeout.TotalSeconds:F0} s\n{output}");
        }
        process.WaitForExit();
        lock (output) return new Result(process.ExitCode, output.ToString());
    }
}

/// <summary>The consumer test packs and builds with MSBuild: it runs alone, not beside other tests.</summary>
[CollectionDefinition(nameof(PackagingCollection), DisableParallelization = true)]
public sealed class PackagingCollection;
