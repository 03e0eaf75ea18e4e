using NativeNets.Backends;
using NativeNets.Modules;
using NativeNets.Tensors;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Parity;

/// <summary>Every layer type against PyTorch 1.13 (Tests/Fixtures/layers.safetensors), in float32: output, input gradient, parameter gradients, running statistics.</summary>
public class LayerParityTests
{
    private const double Tolerance = 1e-4;

    private static readonly Dictionary<string, Func<Layer>> Cases = new()
    {
        ["conv_basic"] = () => new Conv2d(3, 4, 3),
        ["conv_stride_pad"] = () => new Conv2d(3, 5, 3, 2, 1),
        ["conv_dilation"] = () => new Conv2d(2, 3, 3, 1, 2, 2),
        ["conv_groups"] = () => new Conv2d(4, 6, 3, 1, 1, 1, 2),
        ["conv_depthwise"] = () => new Conv2d(4, 4, 3, 1, 1, 1, 4, bias: false),
        ["conv_1x1_stride2"] = () => new Conv2d(6, 8, 1, 2, bias: false),
        ["conv_7x7_s2"] = () => new Conv2d(3, 4, 7, 2, 3),
        ["maxpool"] = () => new MaxPool2d(2),
        ["maxpool_ceil"] = () => new MaxPool2d(3, 2, ceilMode: true),
        ["maxpool_pad"] = () => new MaxPool2d(3, 2, 1),
        ["avgpool"] = () => new AvgPool2d(2),
        ["avgpool_pad"] = () => new AvgPool2d(3, 2, 1),
        ["adaptive_avgpool"] = () => new AdaptiveAvgPool2d(6, 6),
        ["adaptive_avgpool_down"] = () => new AdaptiveAvgPool2d(2, 3),
        ["adaptive_avgpool_1"] = () => new AdaptiveAvgPool2d(1),
        ["lrn"] = () => new LocalResponseNorm(5, 1e-4, 0.75, 2.0),
        ["lrn_big_alpha"] = () => new LocalResponseNorm(3, 0.5, 0.75, 1.0),
        ["batchnorm_train"] = () => new BatchNorm2d(5),
        ["batchnorm_eval"] = () => new BatchNorm2d(5) { Training = false },
        ["batchnorm_eps"] = () => new BatchNorm2d(5, 0.001),
        ["relu"] = () => new ReLU(),
        ["tanh"] = () => new Tanh(),
        ["linear"] = () => new Linear(6, 4),
        ["flatten"] = () => new Flatten(),
    };

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    [Fact]
    public void EveryCaseInTheFixtureIsCovered()
    {
        using var file = Fixtures.Open("layers");
        Assert.Equal(file.Metadata["cases"].Split(',').Order(), Cases.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        using var file = Fixtures.Open("layers");
        using var layer = Cases[name]();
        foreach (var (p, param) in layer.NamedParameters())
        {
            ParamGen.Set(param.Value, $"{name}.{p}");
            // Our generator must give PyTorch's parameters bit for bit (after rounding to float32).
            Fixtures.AssertClose($"{name}.param.{p}", file.ReadDoubles($"{name}.param.{p}"), Fixtures.Doubles(param.Value), 0);
        }
        foreach (var (b, buffer) in layer.NamedBuffers()) ParamGen.Set(buffer, $"{name}.{b}");
        using var x = Fixtures.Load(file, $"{name}.input", DType.F32);
        Fixtures.AssertClose($"{name}.input", Fixtures.Doubles(x), ParamGen.Values($"{name}.input", x.Shape, data: true).Select(v => (double)(float)v).ToArray(), 0);

        var y = layer.Forward(x);
        Fixtures.AssertClose($"{name}.output", file.ReadDoubles($"{name}.output"), Fixtures.Doubles(y), Tolerance);
        using var dy = ParamGen.Data($"{name}.grad_output", y.Shape, DType.F32);
        layer.ZeroGrad();
        var dx = layer.Backward(dy);
        Assert.NotNull(dx);
        Fixtures.AssertClose($"{name}.grad_input", file.ReadDoubles($"{name}.grad_input"), Fixtures.Doubles(dx!), Tolerance);
        foreach (var (p, param) in layer.NamedParameters())
            Fixtures.AssertClose($"{name}.grad.{p}", file.ReadDoubles($"{name}.grad.{p}"), Fixtures.Doubles(param.Grad), Tolerance);
        if (layer is BatchNorm2d bn)
        {
            Fixtures.AssertClose($"{name}.running_mean", file.ReadDoubles($"{name}.running_mean"), Fixtures.Doubles(bn.RunningMean), Tolerance);
            Fixtures.AssertClose($"{name}.running_var", file.ReadDoubles($"{name}.running_var"), Fixtures.Doubles(bn.RunningVar), Tolerance);
        }
    }
}
