using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>Layers in a row: forward is a plain loop, backward the same loop reversed. Children are named "0", "1", ... as in torch.nn.Sequential unless names are given.</summary>
public sealed class Sequential : Layer
{
    private readonly List<(string Name, Layer Layer)> _layers = [];

    public Sequential(params Layer[] layers)
    {
        foreach (var l in layers) Add(l);
    }

    public Sequential Add(Layer layer) => Add(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);

    public Sequential Add(string name, Layer layer)
    {
        if (_layers.Any(l => l.Name == name)) throw new ArgumentException($"Sequential already has a layer named '{name}'");
        _layers.Add((name, layer));
        return this;
    }

    public int Count => _layers.Count;

    public Layer this[int index] => _layers[index].Layer;

    public override IEnumerable<(string Name, Layer Layer)> Children() => _layers;

    public override Tensor Forward(Tensor x)
    {
        var h = x;
        foreach (var (name, layer) in _layers) h = ForwardChild(name, layer, h);
        return h;
    }

    public override Tensor? Backward(Tensor dy)
    {
        Tensor? g = dy;
        for (var i = _layers.Count - 1; i >= 0; i--)
        {
            var (name, layer) = _layers[i];
            var next = BackwardChild(name, layer, g!);
            ReleaseUsedGradient(g, keep: dy, next);
            g = next;
            if (g is null)
            {
                if (i > 0) throw new InvalidOperationException($"layer '{_layers[i].Name}' returned no input gradient but {i} layer(s) before it need one");
                break;
            }
        }
        return PropagateDown ? g : null;
    }

    /// <summary>
    /// Marks the first layer (and, inside nested Sequentials, the first leaf) as needing no input gradient:
    /// a net's input has none to receive, and the first convolution's is as costly as its weight gradient.
    /// </summary>
    public Sequential SkipInputGradient()
    {
        PropagateDown = false;
        if (_layers.Count == 0) return this;
        var first = _layers[0].Layer;
        if (first is Sequential inner) inner.SkipInputGradient();
        else first.PropagateDown = false;
        return this;
    }
}
