using NativeNets.Losses;
using NativeNets.Modules;
using NativeNets.Tensors;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Modules;

/// <summary>Every layer's and loss's backward against central differences in float64.</summary>
public class GradientTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Linear(bool bias)
    {
        var rng = new Rng(1);
        using var layer = new Linear(5, 4, bias, rng, DType.F64);
        using var x = GradientChecker.RandomTensor(rng, -1, 1, 3, 5);
        GradientChecker.CheckLayer(layer, x);
    }

    [Fact]
    public void LinearReadsHigherRankInputsAsRows()
    {
        var rng = new Rng(2);
        using var layer = new Linear(12, 3, true, rng, DType.F64);
        using var x = GradientChecker.RandomTensor(rng, -1, 1, 2, 1, 3, 4);
        GradientChecker.CheckLayer(layer, x);
    }

    [Fact]
    public void ReLU()
    {
        using var layer = new ReLU();
        using var x = GradientChecker.AwayFromZero(new Rng(3), 0.01, 4, 6);
        GradientChecker.CheckLayer(layer, x);
    }

    /// <summary>In place, the ReLU writes over the previous layer's output; the net's gradients are those of the plain one.</summary>
    [Fact]
    public void TwoLayerNetWithAnInPlaceReLU()
    {
        var rng = new Rng(15);
        using var net = new Sequential(new Linear(6, 8, true, rng, DType.F64), new ReLU(inPlace: true), new Linear(8, 3, true, rng, DType.F64));
        using var x = GradientChecker.RandomTensor(rng, -1, 1, 4, 6);
        GradientChecker.CheckLayer(net, x);
    }

    [Fact]
    public void AnInPlaceReLURectifiesItsInputAndBacksUpAsThePlainOne()
    {
        var rng = new Rng(16);
        using var x = GradientChecker.AwayFromZero(rng, 0.01, 4, 6);
        using var xCopy = Tensor.FromArray(x.ToArray<double>(), 4, 6);
        using var dy = GradientChecker.RandomTensor(rng, -1, 1, 4, 6);
        using var plain = new ReLU();
        using var inPlace = new ReLU(inPlace: true);
        var expected = plain.Forward(xCopy).ToArray<double>();
        var y = inPlace.Forward(x);
        Assert.Same(x, y);
        Assert.Equal(expected, x.ToArray<double>());
        Assert.Equal(plain.Backward(dy)!.ToArray<double>(), inPlace.Backward(dy)!.ToArray<double>());
    }

    [Fact]
    public void Tanh()
    {
        using var layer = new Tanh();
        using var x = GradientChecker.RandomTensor(new Rng(4), -2, 2, 4, 6);
        GradientChecker.CheckLayer(layer, x);
    }

    [Fact]
    public void TwoLayerNet()
    {
        var rng = new Rng(5);
        using var net = new Sequential(new Linear(6, 8, true, rng, DType.F64), new ReLU(), new Linear(8, 3, true, rng, DType.F64));
        using var x = GradientChecker.RandomTensor(rng, -1, 1, 4, 6);
        GradientChecker.CheckLayer(net, x);
    }

    [Fact]
    public void ThreeLayerNet()
    {
        var rng = new Rng(6);
        using var net = new Sequential(new Linear(6, 8, true, rng, DType.F64), new ReLU(), new Linear(8, 5, true, rng, DType.F64),
            new Tanh(), new Linear(5, 3, true, rng, DType.F64));
        using var x = GradientChecker.RandomTensor(rng, -1, 1, 4, 6);
        GradientChecker.CheckLayer(net, x);
    }

    [Fact]
    public void FirstLayerWithoutInputGradientStillGetsParameterGradients()
    {
        var rng = new Rng(8);
        using var net = new Sequential(new Linear(4, 3, true, rng, DType.F64), new Tanh()).SkipInputGradient();
        using var x = GradientChecker.RandomTensor(rng, -1, 1, 2, 4);
        GradientChecker.CheckLayer(net, x, checkInput: false);
        Assert.Null(net.Backward(Tensor.FromArray(new double[6], 2, 3)));
    }

    [Fact]
    public void SoftmaxCrossEntropyLoss() => CheckLoss(new SoftmaxCrossEntropyLoss(), 9);

    [Fact]
    public void MulticlassSvmLoss() => CheckLoss(new MulticlassSvmLoss(), 10);

    [Fact]
    public void L2RegularizationGradientIsLambdaTimesTheWeights()
    {
        var rng = new Rng(11);
        using var layer = new Linear(4, 3, true, rng, DType.F64);
        const double lambda = 0.3;
        layer.ZeroGrad();
        L2Regularization.AddGradient(layer.Parameters(), lambda);
        GradientChecker.CompareNumeric("weight", layer.Weight.Grad.ToArray<double>(), layer.Weight.Value,
            () => L2Regularization.Penalty(layer.Parameters(), lambda));
        Assert.All(layer.Bias!.Grad.ToArray<double>(), g => Assert.Equal(0, g)); // biases take no decay
    }

    private static void CheckLoss(Loss loss, ulong seed)
    {
        using (loss)
        {
            var rng = new Rng(seed);
            using var scores = GradientChecker.RandomTensor(rng, -2, 2, 5, 4);
            using var labels = Tensor.FromArray(new[] { 0, 3, 1, 2, 3 }, 5);
            loss.Forward(scores, labels);
            var analytic = loss.Backward().ToArray<double>();
            GradientChecker.CompareNumeric(loss.GetType().Name, analytic, scores, () => loss.Evaluate(scores, labels));
        }
    }
}
