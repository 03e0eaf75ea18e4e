using NativeNets.Backends;
using NativeNets.Losses;
using NativeNets.Optim;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Modules;

public class LossTests
{
    [Fact]
    public void SoftmaxOfEqualScoresCostsLogOfTheClassCount()
    {
        using var loss = new SoftmaxCrossEntropyLoss();
        using var scores = Tensor.Zeros(2, 10);
        using var labels = Tensor.FromArray(new[] { 3, 7 }, 2);
        Assert.Equal(Math.Log(10), loss.Forward(scores, labels), 6);
    }

    [Fact]
    public void SoftmaxStaysFiniteForHugeLogits()
    {
        using var loss = new SoftmaxCrossEntropyLoss();
        using var scores = Tensor.FromArray(new float[] { 1000, 0, -1000 }, 1, 3);
        using var labels = Tensor.FromArray(new[] { 1 }, 1);
        Assert.Equal(1000, loss.Forward(scores, labels), 3);
        Assert.All(loss.Backward().ToArray<float>(), g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void HingeLossMatchesTheCs231nExample()
    {
        // CS231n's worked example: scores (cat, car, frog) for three images, margin 1: losses 2.9, 0, 12.9.
        using var loss = new MulticlassSvmLoss();
        using var scores = Tensor.FromArray(new float[] { 3.2f, 5.1f, -1.7f, 1.3f, 4.9f, 2.0f, 2.2f, 2.5f, -3.1f }, 3, 3);
        using var labels = Tensor.FromArray(new[] { 0, 1, 2 }, 3);
        Assert.Equal((2.9 + 0 + 12.9) / 3, loss.Forward(scores, labels), 5);
    }

    [Fact]
    public void LabelsOutsideTheClassesAreRefused()
    {
        using var scores = Tensor.Zeros(2, 3);
        using var labels = Tensor.FromArray(new[] { 0, 3 }, 2);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CpuBackend.Instance.SoftmaxCrossEntropy(scores, labels, null));
        Assert.Contains("label 3 at row 1", e.Message);
    }

    [Fact]
    public void StepDecayDividesEveryStepEpochs()
    {
        var s = new StepLearningRate(0.1, 5, 0.1);
        Assert.Equal(0.1, s.At(0), 12);
        Assert.Equal(0.1, s.At(4.99), 12);
        Assert.Equal(0.01, s.At(5), 12);
        Assert.Equal(0.001, s.At(10), 12);
        var m = new MultiStepLearningRate(0.4, [30, 60, 80]);
        Assert.Equal(0.4, m.At(29), 12);
        Assert.Equal(0.04, m.At(30), 12);
        Assert.Equal(0.0004, m.At(85), 12);
    }

    [Fact]
    public void SgdDecaysWeightsButNotBiases()
    {
        using var layer = new NativeNets.Modules.Linear(2, 1, true, new Rng(1));
        var w0 = layer.Weight.Value.ToArray<float>();
        var b0 = layer.Bias!.Value.ToArray<float>();
        using var sgd = new Sgd(layer.Parameters(), learningRate: 0.5, momentum: 0, weightDecay: 0.1);
        sgd.ZeroGrad();
        sgd.Step();
        Assert.Equal(w0.Select(w => w - 0.5f * 0.1f * w).ToArray(), layer.Weight.Value.ToArray<float>());
        Assert.Equal(b0, layer.Bias.Value.ToArray<float>());
    }
}
