using Xunit;

namespace NativeNets.Tests.Packaging;

/// <summary>
/// The public surface of every package is recorded (PublicAPI.*.txt beside each project), and PublicApiAnalyzers makes
/// the build fail (RS0016, RS0017 as errors under TreatWarningsAsErrors) when a public symbol is added or removed without
/// the record changing with it, so every change to the surface shows in review.
/// </summary>
public class PublicApiTests
{
    public static TheoryData<string, string> Projects() => new()
    {
        { "Native/NativeNets.Native.csproj", "NativeNets.Native.Cudnn.cudnnConvolutionForward(" },
        { "Layers/NativeNets.Layers.csproj", "NativeNets.Tensors.Tensor.Dispose() -> void" },
        { "Data/NativeNets.Data.csproj", "NativeNets.Data.Images.ImageDecoder" },
        { "Nets/NativeNets.Nets.csproj", "NativeNets.Nets.Architectures.Architectures.Create(" },
    };

    [Theory]
    [MemberData(nameof(Projects))]
    public void EveryPackageTracksItsPublicApi(string project, string expectedEntry)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "NativeNets.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no repository above the tests");
        var csproj = File.ReadAllText(Path.Combine(root, project));
        Assert.Contains("Microsoft.CodeAnalysis.PublicApiAnalyzers", csproj);
        var folder = Path.GetDirectoryName(Path.Combine(root, project))!;
        var recorded = File.ReadAllLines(Path.Combine(folder, "PublicAPI.Shipped.txt")).Concat(File.ReadAllLines(Path.Combine(folder, "PublicAPI.Unshipped.txt"))).ToList();
        Assert.Equal("#nullable enable", recorded[0]);
        Assert.Contains(recorded, l => l.Contains(expectedEntry, StringComparison.Ordinal));
    }
}
