using System.Text.RegularExpressions;
using NativeNets.Backends;
using NativeNets.Data.Images;
using NativeNets.Data.Transforms;
using NativeNets.Native;
using NativeNets.Nets.Architectures;
using NativeNets.Nets.Weights;
using NativeNets.Tensors;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Embedding;

/// <summary>Runs the worked examples of docs/embedding.md, and checks that the document shows the code that runs.</summary>
public partial class EmbeddingExampleTests
{
    private static string RepositoryRoot => Path.GetFullPath(Path.Combine(Fixtures.Directory, "..", ".."));

    [Fact]
    public void TheDocumentShowsTheCodeTheTestsRun()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot, "docs", "embedding.md"));
        var source = Normalise(File.ReadAllText(Path.Combine(RepositoryRoot, "Tests", "Embedding", "Examples.cs")));
        var blocks = CSharpBlock().Matches(doc).Select(m => m.Groups[1].Value).ToList();
        Assert.True(blocks.Count >= 3, $"docs/embedding.md has {blocks.Count} C# code blocks; expected one or more per example");
        foreach (var block in blocks)
        {
            var text = Normalise(block);
            Assert.True(source.Contains(text, StringComparison.Ordinal),
                $"this code block of docs/embedding.md is not in Tests/Embedding/Examples.cs (change both together):\n{block}");
        }
        foreach (var name in new[] { "CudnnConvolution", "class ScaledTanh", "TrainCustomNetwork", "ClassifyImage" })
            Assert.Contains(blocks, b => b.Contains(name, StringComparison.Ordinal));
    }

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    private static string Normalise(string text) => Whitespace().Replace(text.Replace("\r", ""), " ").Trim();

    // ---- Example 1 ----

    [Fact]
    public void CudnnConvolutionMatchesASimpleLoop()
    {
        var count = CudaDevices.TryCount(out var reason);
        Assert.SkipWhen(count == 0, reason ?? "no CUDA device");
        var cudnn = CudaLibraries.Status(NativeLibraries.Cudnn);
        Assert.SkipUnless(cudnn.Usable, $"cuDNN is not usable here: {cudnn.Detail}");

        int[] xDims = [2, 3, 7, 6], wDims = [4, 3, 3, 3];
        const int pad = 1, stride = 2;
        var rng = new Rng(5);
        var x = new float[xDims.Aggregate(1, (a, d) => a * d)];
        var w = new float[wDims.Aggregate(1, (a, d) => a * d)];
        for (var i = 0; i < x.Length; i++) x[i] = (float)rng.Uniform(-1, 1);
        for (var i = 0; i < w.Length; i++) w[i] = (float)rng.Uniform(-1, 1);

        var y = Examples.CudnnConvolution(x, xDims, w, wDims, pad, stride, out var yDims);

        var expected = ConvolveOnHost(x, xDims, w, wDims, pad, stride, out var expectedDims);
        Assert.Equal(expectedDims, yDims);
        Assert.Equal(expected.Length, y.Length);
        for (var i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])), $"y[{i}] = {y[i]}, the loop gives {expected[i]}");
    }

    /// <summary>Cross-correlation as PyTorch's conv2d, in float64, one output at a time.</summary>
    private static double[] ConvolveOnHost(float[] x, int[] xd, float[] w, int[] wd, int pad, int stride, out int[] yd)
    {
        int n = xd[0], c = xd[1], h = xd[2], wi = xd[3], k = wd[0], r = wd[2], s = wd[3];
        int oh = (h + 2 * pad - r) / stride + 1, ow = (wi + 2 * pad - s) / stride + 1;
        yd = [n, k, oh, ow];
        var y = new double[n * k * oh * ow];
        for (var b = 0; b < n; b++)
            for (var o = 0; o < k; o++)
                for (var i = 0; i < oh; i++)
                    for (var j = 0; j < ow; j++)
                    {
                        double sum = 0;
                        for (var ch = 0; ch < c; ch++)
                            for (var u = 0; u < r; u++)
                                for (var v = 0; v < s; v++)
                                {
                                    int row = i * stride - pad + u, col = j * stride - pad + v;
                                    if (row < 0 || row >= h || col < 0 || col >= wi) continue;
                                    sum += (double)x[((b * c + ch) * h + row) * wi + col] * w[((o * c + ch) * r + u) * s + v];
                                }
                        y[((b * k + o) * oh + i) * ow + j] = sum;
                    }
        return y;
    }

    // ---- Example 2 ----

    [Fact]
    public void TheCustomNetworkLearnsOnTheCpu()
    {
        var (first, last, accuracy) = Examples.TrainCustomNetwork(Device.Cpu);
        Assert.True(last < first / 4, $"the loss went from {first:F4} to {last:F4}");
        Assert.True(accuracy > 0.85, $"training accuracy {accuracy:P1}");
    }

    [Fact]
    public void TheCustomNetworkLearnsOnTheGpu()
    {
        var count = CudaDevices.TryCount(out var reason);
        Assert.SkipWhen(count == 0, reason ?? "no CUDA device");
        var (first, last, accuracy) = Examples.TrainCustomNetwork(Device.Cuda(0));
        Assert.True(last < first / 4, $"the loss went from {first:F4} to {last:F4}");
        Assert.True(accuracy > 0.85, $"training accuracy {accuracy:P1}");
    }

    [Fact]
    public void TheCustomLayersBackwardMatchesCentralDifferences()
    {
        var rng = new Rng(11);
        using var layer = new Examples.ScaledTanh(amplitude: 1.3, dtype: DType.F64);
        using var x = GradientChecker.RandomTensor(rng, -2, 2, 3, 5);
        GradientChecker.CheckLayer(layer, x);
        Assert.Equal("amplitude", Assert.Single(layer.NamedParameters()).Name);
    }

    // ---- Example 3 ----

    [Fact]
    public void Resnet18WeightsFromSafetensorsClassifyAnImage()
    {
        using var dir = new TempDirectory();
        var weights = dir.File("resnet18.safetensors");
        var image = Path.Combine(Fixtures.Directory, "photos", "chelsea.jpg");
        // No PyTorch here: a seeded model (not the default seed, so a load that did nothing would show) stands in for torchvision's.
        using var saved = Architectures.Create("resnet18", new ArchitectureOptions { Seed = 20260 });
        StateDict.Save(saved.Network, weights);

        var logits = Examples.ClassifyImage(weights, image, out var top5);

        Assert.Equal(1000, logits.Length);
        Assert.Equal(5, top5.Length);
        Assert.Equal(5, top5.Distinct().Count());
        Assert.All(top5, i => Assert.InRange(i, 0, 999));
        Assert.Equal(logits.Max(), logits[top5[0]]);

        saved.Network.Training = false;
        var cropped = ImageNetTransforms.Eval().Apply(ImageDecoder.DecodeFile(image), new Rng(0));
        using var input = Tensor.FromArray(Normalize.ImageNet.Apply(cropped), 1, 3, 224, 224);
        var output = saved.Network.Forward(input);
        Assert.Equal(new[] { 1, 1000 }, output.Shape);
        var expected = output.ToArray<float>();
        Fixtures.AssertClose("logits", expected.Select(v => (double)v).ToArray(), logits.Select(v => (double)v).ToArray(), 1e-6);
    }
}
