using System.Diagnostics;
using NativeNets.Losses;
using NativeNets.Modules;
using NativeNets.Tensors;

namespace NativeNets.Bench;

/// <summary>
/// Per-layer forward and backward times of a network, leaf by leaf through nested Sequentials (a Residual or
/// Inception block counts as one layer). Each layer is timed alone on the input it sees in the real forward pass.
/// </summary>
public static class LayerProfiler
{
    public sealed record Row(string Layer, string Kind, string Output, double ForwardMicroseconds, double BackwardMicroseconds);

    public static List<Row> Profile(Sequential net, Tensor x, Tensor labels, int iterations = 20)
    {
        var leaves = new List<(string Name, Layer Layer)>();
        Collect(net, "", leaves);
        // One real pass to put every layer in its state, then time each layer on its own input.
        var inputs = new List<Tensor>();
        var h = x;
        foreach (var (_, layer) in leaves)
        {
            inputs.Add(h);
            h = layer.Forward(h);
        }
        using var loss = new SoftmaxCrossEntropyLoss();
        loss.Forward(h, labels);
        var grads = new Tensor[leaves.Count];
        Tensor g = loss.Backward();
        for (var i = leaves.Count - 1; i >= 0; i--)
        {
            grads[i] = g;
            g = leaves[i].Layer.Backward(g) ?? g;
        }
        var rows = new List<Row>();
        for (var i = 0; i < leaves.Count; i++)
        {
            var (name, layer) = leaves[i];
            var output = layer.Forward(inputs[i]).ShapeText;
            var fwd = Time(() => layer.Forward(inputs[i]), iterations);
            // Backward needs this layer's forward state for this input: run forward once more first.
            layer.Forward(inputs[i]);
            var bwd = Time(() => layer.Backward(grads[i]), iterations);
            rows.Add(new Row(name, layer.GetType().Name, output, fwd, bwd));
        }
        return rows;
    }

    private static void Collect(Layer layer, string prefix, List<(string, Layer)> leaves)
    {
        if (layer is Sequential seq)
        {
            foreach (var (name, child) in seq.Children()) Collect(child, prefix.Length == 0 ? name : $"{prefix}.{name}", leaves);
            return;
        }
        leaves.Add((prefix, layer));
    }

    private static double Time(Action action, int iterations)
    {
        // Enough calls for the JIT's tiering to reach fully optimised code (30 calls, then a background recompile).
        for (var i = 0; i < 40; i++) action();
        Thread.Sleep(150);
        action();
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++) action();
        return sw.Elapsed.TotalMicroseconds / iterations;
    }
}
