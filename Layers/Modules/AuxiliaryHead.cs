using NativeNets.Losses;
using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>
/// An auxiliary classifier (Szegedy et al. 2014, GoogLeNet's aux1 and aux2): in the main path it is the identity;
/// in training it also runs its head on its input and keeps the head's logits. The trainer adds the head's weighted
/// loss (<see cref="AuxiliaryLosses.Add"/>), which hands the head its output gradient; Backward then runs the head
/// backward and adds the head's input gradient to the main path's. In evaluation the head is not run, as in torchvision.
/// Children are the head's layers, so parameter names are torchvision's ("aux1.conv.conv.weight", "aux1.fc1.bias").
/// </summary>
public sealed class AuxiliaryHead : Layer
{
    private readonly List<(string Name, Layer Layer)> _head;
    private Tensor? _output;
    private Tensor? _outputGrad;
    private Tensor? _dx;
    private SoftmaxCrossEntropyLoss? _loss;

    public AuxiliaryHead(IEnumerable<(string Name, Layer Layer)> head, double lossWeight)
    {
        _head = head.ToList();
        if (_head.Count == 0) throw new ArgumentException("an auxiliary head needs at least one layer", nameof(head));
        LossWeight = lossWeight;
    }

    /// <summary>The weight of this head's loss in the training loss (0.3 in the GoogLeNet paper).</summary>
    public double LossWeight { get; }

    /// <summary>The head's logits from the last training forward; null in evaluation.</summary>
    public Tensor? Output => _output;

    public override IEnumerable<(string Name, Layer Layer)> Children() => _head;

    public override Tensor Forward(Tensor x)
    {
        _outputGrad = null;
        _output = null;
        if (!Training) return x;
        var h = x;
        foreach (var (name, layer) in _head) h = ForwardChild(name, layer, h);
        _output = h;
        return x;
    }

    /// <summary>Gives the head the gradient of the training loss with respect to its logits, for the next Backward.</summary>
    public void SetOutputGradient(Tensor dOutput)
    {
        var output = _output ?? throw new InvalidOperationException("AuxiliaryHead: an output gradient without a training forward");
        if (!dOutput.SameShape(output))
            throw new ArgumentException($"AuxiliaryHead: the output gradient is {dOutput.ShapeText} but the head's logits are {output.ShapeText}");
        _outputGrad = dOutput;
    }

    /// <summary>The head's mean cross-entropy times <see cref="LossWeight"/>; sets the head's output gradient.</summary>
    internal double AddLoss(Tensor labels, double gradientScale)
    {
        var output = _output ?? throw new InvalidOperationException("AuxiliaryHead: a loss without a training forward");
        _loss ??= new SoftmaxCrossEntropyLoss();
        _loss.GradientScale = gradientScale;
        var value = _loss.Forward(output, labels);
        var grad = _loss.Backward();
        grad.Backend.Scale(grad, LossWeight);
        SetOutputGradient(grad);
        return LossWeight * value;
    }

    public override Tensor? Backward(Tensor dy)
    {
        var dOutput = _outputGrad;
        _outputGrad = null;
        if (dOutput is null) return PropagateDown ? dy : null;
        Tensor? g = dOutput;
        for (var i = _head.Count - 1; i >= 0 && g is not null; i--) g = BackwardChild(_head[i].Name, _head[i].Layer, g);
        if (!PropagateDown) return null;
        if (g is null) throw new InvalidOperationException("AuxiliaryHead: the head returned no input gradient");
        var dx = ReuseLike(ref _dx, dy);
        dy.Backend.Add(dy, g, dx);
        return dx;
    }

    protected override void DisposeBuffers()
    {
        _dx?.Dispose();
        _loss?.Dispose();
    }
}

/// <summary>The auxiliary heads' part of a training loss.</summary>
public static class AuxiliaryLosses
{
    /// <summary>
    /// Sums the weighted losses of every auxiliary head of <paramref name="network"/> that ran in the last forward and
    /// hands each its output gradient; call between the forward and the backward of a training step. Zero without heads.
    /// The gradients are multiplied by <paramref name="gradientScale"/> (the main loss's <see cref="Loss.GradientScale"/>).
    /// </summary>
    public static double Add(Layer network, Tensor labels, double gradientScale = 1)
    {
        double total = 0;
        foreach (var (_, layer) in network.NamedLayers())
            if (layer is AuxiliaryHead { Output: not null } head)
                total += head.AddLoss(labels, gradientScale);
        return total;
    }
}
