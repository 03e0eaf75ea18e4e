using NativeNets.Modules;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Support;

/// <summary>
/// Caffe's gradient checker, in float64: the layer's output is reduced to a scalar L = sum(y * r) with a
/// fixed random r, so dL/dy = r; Backward(r) gives the analytic gradients of the input and of every
/// parameter, and each is compared element by element with the central difference (L(x+h) - L(x-h)) / 2h.
/// </summary>
public static class GradientChecker
{
    public const double Step = 1e-3;
    /// <summary>
    /// Relative error allowed. The truncation error of a 1e-3 central difference reaches 1e-5 on curved composites
    /// (train-mode BN on 18 values per channel); a wrong backward is off by 1e-2 or more.
    /// </summary>
    public const double Tolerance = 1e-4;

    public static void CheckLayer(Layer layer, Tensor x, ulong seed = 7, bool checkInput = true)
    {
        Assert.Equal(DType.F64, x.DType);
        var y0 = layer.Forward(x);
        var rng = new Rng(seed);
        var r = new double[y0.Count];
        for (var i = 0; i < r.Length; i++) r[i] = rng.Uniform(-1, 1);
        using var dy = Tensor.FromArray(r, y0.Shape);

        layer.ZeroGrad();
        layer.Forward(x);
        var dxTensor = layer.Backward(dy);
        double Objective()
        {
            var y = layer.Forward(x).ToArray<double>();
            double s = 0;
            for (var i = 0; i < y.Length; i++) s += y[i] * r[i];
            return s;
        }

        if (checkInput)
        {
            Assert.NotNull(dxTensor);
            CompareNumeric("input", dxTensor!.ToArray<double>(), x, Objective);
        }
        foreach (var (name, p) in layer.NamedParameters())
            CompareNumeric(name, p.Grad.ToArray<double>(), p.Value, Objective);
    }

    /// <summary>Compares an analytic gradient with central differences of <paramref name="objective"/> over every element of <paramref name="variable"/>.</summary>
    public static void CompareNumeric(string what, double[] analytic, Tensor variable, Func<double> objective)
    {
        var values = variable.Span<double>();
        Assert.Equal(values.Length, analytic.Length);
        for (var i = 0; i < values.Length; i++)
        {
            var saved = values[i];
            values[i] = saved + Step;
            var plus = objective();
            values = variable.Span<double>();
            values[i] = saved - Step;
            var minus = objective();
            values = variable.Span<double>();
            values[i] = saved;
            var numeric = (plus - minus) / (2 * Step);
            var scale = Math.Max(1.0, Math.Max(Math.Abs(numeric), Math.Abs(analytic[i])));
            var error = Math.Abs(numeric - analytic[i]) / scale;
            Assert.True(error <= Tolerance, $"{what}[{i}]: analytic {analytic[i]:G10}, numeric {numeric:G10}, relative error {error:E2} > {Tolerance:E0}");
        }
    }

    public static Tensor RandomTensor(Rng rng, double low, double high, params int[] dims)
    {
        var count = dims.Aggregate(1, (a, d) => a * d);
        var v = new double[count];
        for (var i = 0; i < count; i++) v[i] = rng.Uniform(low, high);
        return Tensor.FromArray(v, dims);
    }

    /// <summary>Random values kept at least <paramref name="gap"/> away from zero, so a ReLU kink never falls inside a difference step.</summary>
    public static Tensor AwayFromZero(Rng rng, double gap, params int[] dims)
    {
        var count = dims.Aggregate(1, (a, d) => a * d);
        var v = new double[count];
        for (var i = 0; i < count; i++)
        {
            var m = rng.Uniform(gap, 1);
            v[i] = rng.NextDouble() < 0.5 ? -m : m;
        }
        return Tensor.FromArray(v, dims);
    }
}
