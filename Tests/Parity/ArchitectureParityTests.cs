using System.Globalization;
using NativeNets.Losses;
using NativeNets.Modules;
using NativeNets.Nets.Architectures;
using NativeNets.Tensors;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Parity;

/// <summary>
/// Every architecture against PyTorch/torchvision (Tests/Fixtures/&lt;arch&gt;.safetensors): logits, loss, and the
/// gradients of the first and last weights after one backward of the mean cross-entropy, in train mode
/// (batch statistics, dropout off) and eval mode. The fixtures are float64 because train-mode deep nets at these
/// sizes are too ill-conditioned for float32 to mean anything; a float32 run is compared as well wherever the
/// fixture says float32 itself is accurate (fp32_error &lt;= 1e-5, ten times inside the tolerance).
/// </summary>
[Collection(nameof(LargeModelCollection))]
public class ArchitectureParityTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var arch in NativeNets.Nets.Architectures.Architectures.Names)
            foreach (var mode in new[] { "train", "eval" })
                data.Add(arch, mode);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorchInFloat64(string arch, string mode)
    {
        using var file = Fixtures.Open(arch);
        Run(file, arch, mode, DType.F64, tensor => 1e-6);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorchInFloat32WhereFloat32IsAccurate(string arch, string mode)
    {
        using var file = Fixtures.Open(arch);
        // Float32 gradients far from the loss swing with the last bit of near-zero activations (a ReLU or a max-pool
        // choosing another element when a value rounds the other way), which PyTorch's float32 run shares or not by the
        // order of its sums: those are compared in float64 above. In float32: logits, loss and running statistics in
        // both modes, and the last layer's gradient in eval mode.
        var first = file.Metadata["first"];
        var accurate = new Func<string, double?>(tensor =>
            (!tensor.Contains(".grad.", StringComparison.Ordinal) || (mode == "eval" && !tensor.EndsWith("." + first, StringComparison.Ordinal)))
            && file.Metadata.TryGetValue($"fp32_error.{tensor}", out var e) && double.Parse(e, CultureInfo.InvariantCulture) <= 1e-5 ? 1e-4 : null);
        Assert.SkipWhen(accurate($"{mode}.logits") is null, $"{arch} {mode}: float32 itself is off by more than 1e-5 here");
        Run(file, arch, mode, DType.F32, accurate);
    }

    internal static void Run(NativeNets.Data.Formats.SafetensorsFile file, string arch, string mode, DType dtype, Func<string, double?> tolerance,
        Device? device = null)
    {
        var input = file.Entry("input");
        var options = new ArchitectureOptions { Classes = 10, InChannels = input.Shape[1], DType = dtype };
        using var model = Architectures.Create(arch, options);
        ParamGen.Fill(model.Network);
        // On another device: the same model there, given the CPU model's values.
        using var deviceModel = device is { Kind: not DeviceKind.Cpu } d ? Architectures.Create(arch, options with { Device = d }) : null;
        if (deviceModel is not null) Gpu.GpuSupport.CopyState(model.Network, deviceModel.Network);
        var net = (deviceModel ?? model).Network;
        net.Training = mode == "train";
        foreach (var (_, layer) in net.NamedLayers())
            if (layer is Dropout dropout) dropout.Training = false;
        using var xCpu = Fixtures.Load(file, "input", dtype);
        using var x = new Tensor(xCpu.Shape, dtype, device ?? Device.Cpu);
        Gpu.GpuSupport.CopyAcross(xCpu, x);
        using var labelsCpu = Tensor.FromArray(file.ReadDoubles("labels").Select(v => (int)v).ToArray(), input.Shape[0]);
        using var labels = new Tensor(labelsCpu.Shape, DType.I32, device ?? Device.Cpu);
        Gpu.GpuSupport.CopyAcross(labelsCpu, labels);

        var logits = net.Forward(x);
        using var loss = new SoftmaxCrossEntropyLoss();
        var value = loss.Forward(logits, labels) + AuxiliaryLosses.Add(net, labels);
        net.ZeroGrad();
        net.Backward(loss.Backward());

        void Compare(string tensor, double[] ours)
        {
            if (tolerance(tensor) is { } tol) Fixtures.AssertClose($"{arch} {dtype} {tensor}", file.ReadDoubles(tensor), ours, tol);
        }
        Compare($"{mode}.logits", Fixtures.Doubles(logits));
        Compare($"{mode}.loss", [value]);
        var parameters = net.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var key in new[] { file.Metadata["first"], file.Metadata["last"] })
            Compare($"{mode}.grad.{key}", Fixtures.Doubles(parameters[key].Grad));
        if (mode == "train" && file.Metadata.TryGetValue("extra_train_grads", out var extras))
            foreach (var key in extras.Split(',', StringSplitOptions.RemoveEmptyEntries))
                Compare($"train.grad.{key}", Fixtures.Doubles(parameters[key].Grad));
        if (mode == "train" && file.Metadata.TryGetValue("first_bn", out var bn))
        {
            var buffers = net.NamedBuffers().ToDictionary(b => b.Name, b => b.Buffer);
            Compare($"train.running_mean.{bn}", Fixtures.Doubles(buffers[$"{bn}.running_mean"]));
            Compare($"train.running_var.{bn}", Fixtures.Doubles(buffers[$"{bn}.running_var"]));
        }
    }

    [Fact]
    public void EveryArchitectureHasAFixture()
    {
        foreach (var arch in NativeNets.Nets.Architectures.Architectures.Names)
            Assert.True(File.Exists(Path.Combine(Fixtures.Directory, arch + ".safetensors")), $"no fixture for {arch}: run make fixtures");
    }

    [Fact]
    public void ParameterCountsInTheFixturesAreOurs()
    {
        foreach (var arch in new[] { "alexnet", "alexnet-2012", "vgg16", "googlenet", "googlenet-aux", "resnet50", "resnet20" })
        {
            using var file = Fixtures.Open(arch);
            using var model = Architectures.Create(arch, new ArchitectureOptions { Classes = 10, InChannels = file.Entry("input").Shape[1] });
            Assert.Equal(long.Parse(file.Metadata["parameters"], CultureInfo.InvariantCulture), model.ParameterCount());
        }
    }
}

/// <summary>Tests that build VGG- and ResNet-152-sized models run one at a time, so that their gigabytes do not add up.</summary>
[CollectionDefinition(nameof(LargeModelCollection))]
public sealed class LargeModelCollection;
