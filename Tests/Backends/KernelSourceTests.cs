using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace NativeNets.Tests.Backends;

/// <summary>
/// The CUDA kernel sources (runtime/kernels/*.cu) without a GPU: they compile as CUDA device code (clang-14, through
/// runtime/scripts/check-kernels.sh, standing in for NVRTC), and runtime/kernels/README.md's tables name exactly the
/// kernels the files define, each under the file that defines it.
/// </summary>
public partial class KernelSourceTests
{
    private static readonly string[] DTypes = ["f32", "f64", "f16", "bf16", "u8", "i32"];

    [Fact]
    public void EveryKernelFileCompilesAsCudaDeviceCode()
    {
        Assert.SkipUnless(OnPath("clang-14") is not null, "clang-14 is not installed: the kernels are only compiled by NVRTC at run time");
        Assert.SkipUnless(OnPath("bash") is not null, "bash is not installed");
        var root = Root();
        var (code, output) = Run(root, "bash", "-c", "bash runtime/scripts/check-kernels.sh 2>&1");
        if (output.StartsWith("skipped", StringComparison.Ordinal)) Assert.Skip(output.Trim());
        if (code != 0) Assert.Fail($"runtime/scripts/check-kernels.sh exited with {code}:\n{output}");
        var files = Directory.GetFiles(Path.Combine(root, "runtime", "kernels"), "*.cu").Select(f => Path.GetFileName(f)).ToArray();
        Assert.NotEmpty(files);
        foreach (var file in files)
            Assert.Contains($"ok      {file} ", output);
    }

    [Fact]
    public void TheReadmeTableAndTheSourcesNameTheSameKernels()
    {
        var root = Root();
        var folder = Path.Combine(root, "runtime", "kernels");
        var inSources = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(folder, "*.cu"))
        {
            var file = Path.GetFileName(path);
            var text = File.ReadAllText(path);
            var listed = KernelList(text);
            if (listed.Count == 0) Assert.Fail($"{file} has no '// kernels:' lines listing its kernels");
            var definitions = Definitions(text);
            foreach (var name in listed)
            {
                if (!IsDefined(name, definitions)) Assert.Fail($"{file} lists {name} under '// kernels:' but defines no kernel of that name or form");
                if (!inSources.Add($"{file}: {name}")) Assert.Fail($"{name} is listed twice in {file}");
            }
        }

        var inReadme = new SortedSet<string>(StringComparer.Ordinal);
        string? section = null;
        foreach (var line in File.ReadLines(Path.Combine(folder, "README.md")))
        {
            var heading = SectionHeading().Match(line);
            if (heading.Success) section = heading.Groups[1].Value;
            if (!line.StartsWith('|')) continue;
            var firstCell = line.Split('|')[1];
            foreach (Match m in KernelName().Matches(firstCell))
            {
                if (section is null) Assert.Fail($"README.md names {m.Groups[1].Value} outside a '### <file>.cu' section");
                if (!inReadme.Add($"{section}: {m.Groups[1].Value}")) Assert.Fail($"README.md lists {m.Groups[1].Value} twice");
            }
        }

        var missingFromReadme = inSources.Except(inReadme).ToList();
        var missingFromSources = inReadme.Except(inSources).ToList();
        if (missingFromReadme.Count > 0 || missingFromSources.Count > 0)
            Assert.Fail($"README.md and runtime/kernels/*.cu disagree.\nIn the sources, not in README.md: {string.Join(", ", missingFromReadme)}" +
                $"\nIn README.md, not in the sources: {string.Join(", ", missingFromSources)}");
        Assert.NotEmpty(inSources);
    }

    /// <summary>The names on a file's "// kernels:" lines.</summary>
    private static List<string> KernelList(string text) =>
        text.Split('\n')
            .Where(l => l.StartsWith("// kernels:", StringComparison.Ordinal))
            .SelectMany(l => l["// kernels:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToList();

    /// <summary>
    /// The kernel definitions of a file: literal names ("nn_sum_finish", no pasted parameter) and macro forms, a prefix
    /// pasted to dtype parameters ("nn_scale_##S": one, "nn_cast_##SN##_##DN": two).
    /// </summary>
    private static List<(string Prefix, int Pasted)> Definitions(string text) =>
        Definition().Matches(text)
            .Select(m => (Prefix: m.Groups[1].Value, Pasted: m.Groups[2].Value.Split("##", StringSplitOptions.RemoveEmptyEntries).Count(p => p != "_")))
            .ToList();

    private static bool IsDefined(string name, List<(string Prefix, int Pasted)> definitions)
    {
        foreach (var (prefix, pasted) in definitions)
        {
            if (pasted == 0)
            {
                if (name == prefix) return true;
                continue;
            }
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            // The pasted part is one dtype per macro parameter, joined by '_'.
            var rest = name[prefix.Length..].Split('_');
            if (rest.Length == pasted && rest.All(r => Array.IndexOf(DTypes, r) >= 0)) return true;
        }
        return false;
    }

    [GeneratedRegex(@"^###\s+(\S+\.cu)\s*$")]
    private static partial Regex SectionHeading();

    [GeneratedRegex(@"`(nn_[a-z0-9_]+)`")]
    private static partial Regex KernelName();

    [GeneratedRegex(@"extern ""C"" __global__ void (nn_[a-z0-9_]*?)((?:##\w+)*)\(")]
    private static partial Regex Definition();

    /// <summary>The repository root: the first folder above the test binaries that holds NativeNets.sln.</summary>
    private static string Root()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "NativeNets.sln")))
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException($"no NativeNets.sln in any folder above {AppContext.BaseDirectory}");
        return root;
    }

    private static string? OnPath(string program)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Runs a program in <paramref name="workingDirectory"/> and returns its exit code and standard output.</summary>
    private static (int Code, string Output) Run(string workingDirectory, string program, params string[] args)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in 5 minutes:\n{output}");
        }
        return (process.ExitCode, output);
    }
}
