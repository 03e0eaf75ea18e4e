using NativeNets.Modules;

namespace NativeNets.Optim;

/// <summary>
/// The model-side parts of Goyal et al.'s recipe, each a call the trainer makes (or not) once the model is built:
/// weight decay only on weights, gamma = 0 for the last BN of every residual block, and BN statistics per worker of n
/// images when one process simulates k workers.
/// </summary>
public static class GoyalRecipe
{
    /// <summary>
    /// Goyal et al.: no weight decay on BN's gamma and beta. Biases (of convolutions and linear layers) get none either,
    /// as in CS231n and most reproductions: the paper's ResNet-50 has one bias (the classifier's), and decaying a bias
    /// does not regularise the function's slope. (Our layers already start with this policy; this makes it explicit.)
    /// Returns the names of the parameters that take no decay.
    /// </summary>
    public static IReadOnlyList<string> NoWeightDecayOnBatchNorm(Layer model) => SetWeightDecayPolicy(model, batchNorm: false, biases: false);

    /// <summary>
    /// Sets every parameter's Decay flag: weights always decay; BN gamma/beta when <paramref name="batchNorm"/>; biases
    /// when <paramref name="biases"/> (true, true is PyTorch's default of decaying everything). Returns the names of the
    /// parameters that take no decay.
    /// </summary>
    public static IReadOnlyList<string> SetWeightDecayPolicy(Layer model, bool batchNorm, bool biases)
    {
        ArgumentNullException.ThrowIfNull(model);
        var batchNormParameters = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var (_, layer) in model.NamedLayers())
            if (layer is BatchNorm2d bn)
            {
                batchNormParameters.Add(bn.Weight);
                batchNormParameters.Add(bn.Bias);
            }
        var without = new List<string>();
        foreach (var (name, p) in model.NamedParameters())
        {
            var isBias = name == "bias" || name.EndsWith(".bias", StringComparison.Ordinal);
            p.Decay = batchNormParameters.Contains(p) ? batchNorm : !isBias || biases;
            if (!p.Decay) without.Add(name);
        }
        return without;
    }

    /// <summary>
    /// Goyal et al. section 5.1: the last BN of every residual block starts with gamma = 0, so each block starts as
    /// the identity (its shortcut). Returns the names of the BN layers changed; blocks whose branch does not end in a
    /// BN are left alone.
    /// </summary>
    public static IReadOnlyList<string> ZeroInitLastBatchNormGamma(Layer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var changed = new List<string>();
        foreach (var (path, layer) in model.NamedLayers())
        {
            if (layer is not Residual { LastOfBranch: BatchNorm2d bn }) continue;
            bn.Weight.Value.Backend.Fill(bn.Weight.Value, 0);
            var bnPath = layer.NamedLayers().First(l => ReferenceEquals(l.Layer, bn)).Path;
            changed.Add(path.Length == 0 ? bnPath : $"{path}.{bnPath}");
        }
        return changed;
    }

    /// <summary>
    /// --virtual-workers k: every BatchNorm2d of <paramref name="model"/> computes its training statistics per slice of
    /// batch / k images (<see cref="BatchNorm2d.GhostBatches"/>), as k workers of n would. The loss needs nothing: its mean
    /// over the whole batch kn is already the normalisation by kn that k workers' averaged gradients give.
    /// Returns the number of BN layers set.
    /// </summary>
    public static int SetVirtualWorkers(Layer model, int workers)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(workers);
        var count = 0;
        foreach (var (_, layer) in model.NamedLayers())
            if (layer is BatchNorm2d bn)
            {
                bn.GhostBatches = workers;
                count++;
            }
        return count;
    }
}
