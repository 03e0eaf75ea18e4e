using NativeNets.Losses;
using NativeNets.Modules;
using NativeNets.Tensors;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Modules;

/// <summary>The auxiliary classifier: its head's weighted loss reaches the head's and the trunk's gradients exactly.</summary>
public class AuxiliaryHeadTests
{
    [Fact]
    public void GradientsOfTheWholeTrainingLossMatchCentralDifferences()
    {
        var rng = new Rng(5);
        using var net = new Sequential()
            .Add("fc0", new Linear(6, 5, rng: rng, dtype: DType.F64))
            .Add("aux1", new AuxiliaryHead([("fc", new Linear(5, 3, rng: rng, dtype: DType.F64)), ("act", new Tanh())], 0.3))
            .Add("act", new Tanh())
            .Add("fc1", new Linear(5, 3, rng: rng, dtype: DType.F64));
        net.Training = true;
        using var x = GradientChecker.RandomTensor(rng, -1, 1, 4, 6);
        using var labels = Tensor.FromArray(new[] { 0, 2, 1, 2 }, 4);
        using var loss = new SoftmaxCrossEntropyLoss();

        net.ZeroGrad();
        var main = loss.Forward(net.Forward(x), labels);
        var aux = AuxiliaryLosses.Add(net, labels);
        Assert.True(aux > 0);
        var dx = net.Backward(loss.Backward())!.ToArray<double>();

        double Objective()
        {
            using var l = new SoftmaxCrossEntropyLoss();
            return l.Forward(net.Forward(x), labels) + AuxiliaryLosses.Add(net, labels);
        }
        Assert.Equal(main + aux, Objective(), 12);
        GradientChecker.CompareNumeric("input", dx, x, Objective);
        foreach (var (name, p) in net.NamedParameters())
            GradientChecker.CompareNumeric(name, p.Grad.ToArray<double>(), p.Value, Objective);
        Assert.Contains(net.NamedParameters(), p => p.Name == "aux1.fc.weight");
    }

    [Fact]
    public void InEvaluationTheHeadDoesNotRunAndAddsNoLoss()
    {
        var rng = new Rng(6);
        var head = new Linear(4, 2, rng: rng, dtype: DType.F64);
        using var net = new Sequential().Add("aux", new AuxiliaryHead([("fc", head)], 0.3));
        net.Training = false;
        using var x = GradientChecker.RandomTensor(rng, -1, 1, 3, 4);
        using var labels = Tensor.FromArray(new[] { 0, 1, 1 }, 3);
        var y = net.Forward(x);
        Assert.Same(x, y);
        Assert.Equal(0.0, AuxiliaryLosses.Add(net, labels));
    }

    [Fact]
    public void AnOutputGradientOfTheWrongShapeIsRefused()
    {
        var rng = new Rng(7);
        using var tap = new AuxiliaryHead([("fc", new Linear(4, 2, rng: rng, dtype: DType.F64))], 0.3) { Training = true };
        using var x = GradientChecker.RandomTensor(rng, -1, 1, 3, 4);
        tap.Forward(x);
        using var wrong = new Tensor([3, 5], DType.F64);
        var e = Assert.Throws<ArgumentException>(() => tap.SetOutputGradient(wrong));
        Assert.Contains("[3, 2]", e.Message);
    }
}
