using NativeNets.Nets.Architectures;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Nets;

[Collection(nameof(NativeNets.Tests.Parity.LargeModelCollection))]
public class ArchitectureTests
{
    [Theory]
    [InlineData("alexnet", 61_100_840)]
    [InlineData("vgg16", 138_357_544)]
    [InlineData("googlenet", 6_624_904)]
    [InlineData("googlenet-aux", 13_004_888)]
    [InlineData("resnet18", 11_689_512)]
    [InlineData("resnet50", 25_557_032)]
    [InlineData("resnet152", 60_192_808)]
    public void ParameterCountsEqualTorchvisions(string name, long expected)
    {
        using var model = Architectures.Create(name);
        Assert.Equal(expected, model.ParameterCount());
    }

    [Fact]
    public void EveryNamedArchitectureBuildsAndRunsASmallBatch()
    {
        foreach (var name in Architectures.Names)
        {
            using var model = Architectures.Create(name, new ArchitectureOptions { Classes = 10 });
            var side = name == "lenet5" ? 28 : model.InputSize == 32 ? 32 : 64;
            using var x = new Tensor([1, model.InChannels, side, side]);
            model.Network.Training = false;
            var y = model.Network.Forward(x);
            Assert.Equal(new[] { 1, 10 }, y.Shape);
        }
    }

    [Fact]
    public void ParameterNamesAreTorchvisionsStateDictKeys()
    {
        using var resnet = Architectures.Create("resnet50", new ArchitectureOptions { Classes = 10 });
        var names = resnet.Network.NamedParameters().Select(p => p.Name).ToList();
        Assert.Equal("conv1.weight", names[0]);
        Assert.Contains("layer1.0.downsample.0.weight", names);
        Assert.Contains("layer4.2.bn3.bias", names);
        Assert.Equal("fc.bias", names[^1]);
        Assert.Contains(resnet.Network.NamedBuffers(), b => b.Name == "layer2.1.bn2.running_var");
        using var googlenet = Architectures.Create("googlenet", new ArchitectureOptions { Classes = 10 });
        Assert.Contains(googlenet.Network.NamedParameters(), p => p.Name == "inception4e.branch4.1.conv.weight");
        using var vgg = Architectures.Create("vgg16-bn", new ArchitectureOptions { Classes = 10 });
        Assert.Contains(vgg.Network.NamedParameters(), p => p.Name == "features.1.weight");
        Assert.Contains(vgg.Network.NamedParameters(), p => p.Name == "classifier.6.weight");
    }

    [Fact]
    public void UnknownNamesListTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => Architectures.Create("resnet19"));
        Assert.Contains("resnet152", e.Message);
    }
}
