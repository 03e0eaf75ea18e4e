using NativeNets.Modules;

namespace NativeNets.Losses;

/// <summary>
/// L2 regularisation R = (lambda / 2) * sum of w^2 over the parameters that take decay, with gradient
/// lambda * w. Adding it to the loss is the same as SGD's weight decay lambda; this form reports the
/// regularised loss and lets a loss be regularised without the optimizer's help.
/// </summary>
public static class L2Regularization
{
    public static double Penalty(IEnumerable<Parameter> parameters, double lambda)
    {
        if (lambda == 0) return 0;
        double sum = 0;
        foreach (var p in parameters)
            if (p.Decay) sum += p.Master.Backend.SumOfSquares(p.Master);
        return 0.5 * lambda * sum;
    }

    /// <summary>grad += lambda * w for every parameter that takes decay.</summary>
    public static void AddGradient(IEnumerable<Parameter> parameters, double lambda)
    {
        if (lambda == 0) return;
        foreach (var p in parameters)
            if (p.Decay) p.Value.Backend.Axpy(lambda, p.Value, p.Grad);
    }
}
