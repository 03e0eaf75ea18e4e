using NativeNets.Data.Formats;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Support;

/// <summary>Access to the committed PyTorch fixtures (Tests/Fixtures) and comparison against them.</summary>
public static class Fixtures
{
    public static string Directory
    {
        get
        {
            // NATIVENETS_FIXTURES, else walk up from the test binary to the committed Tests/Fixtures.
            if (Environment.GetEnvironmentVariable("NATIVENETS_FIXTURES") is { Length: > 0 } env) return env;
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null)
            {
                var candidate = Path.Combine(dir.FullName, "Tests", "Fixtures");
                if (File.Exists(Path.Combine(candidate, "layers.safetensors"))) return candidate;
                dir = dir.Parent;
            }
            throw new DirectoryNotFoundException($"Tests/Fixtures not found above {AppContext.BaseDirectory}");
        }
    }

    public static SafetensorsFile Open(string name) => SafetensorsFile.Open(Path.Combine(Directory, name + ".safetensors"));

    /// <summary>Asserts max |actual - expected| &lt;= tolerance * max |expected| (the "relative to the largest magnitude").</summary>
    public static void AssertClose(string what, double[] expected, double[] actual, double tolerance)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, PyTorch has {expected.Length}");
        var scale = Math.Max(expected.Max(Math.Abs), 1e-30);
        double worst = 0;
        var at = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var d = Math.Abs(expected[i] - actual[i]);
            if (double.IsNaN(actual[i])) d = double.PositiveInfinity;
            if (d > worst) { worst = d; at = i; }
        }
        Assert.True(worst <= tolerance * scale,
            $"{what}: max difference {worst:E3} at [{at}] (ours {actual[at]:G9}, PyTorch {expected[at]:G9}) is {worst / scale:E2} of the largest magnitude {scale:G6}; allowed {tolerance:E0}");
    }

    public static double[] Doubles(Tensor t) => t.DType switch
    {
        DType.F64 => t.ToArray<double>(),
        DType.F32 => t.ToArray<float>().Select(v => (double)v).ToArray(),
        _ => throw new NotSupportedException(t.DType.ToString()),
    };

    public static Tensor Load(SafetensorsFile file, string name, DType dtype)
    {
        var e = file.Entry(name);
        var t = new Tensor(e.Shape, dtype);
        file.ReadInto(name, t);
        return t;
    }
}
