using System.Text;
using NativeNets.Modules;
using NativeNets.Tensors;

namespace NativeNets.Tests.Support;

/// <summary>
/// paramgen-v1 (Tests/Fixtures/README.md): deterministic values for any state_dict key, the same in the fixture
/// generator (Python) and here, so that fixtures store inputs and results but no weights.
/// </summary>
public static class ParamGen
{
    public static ulong Fnv1a64(string key)
    {
        var h = 0xcbf29ce484222325UL;
        foreach (var b in Encoding.UTF8.GetBytes(key))
        {
            h ^= b;
            h *= 0x100000001b3UL;
        }
        return h;
    }

    /// <summary>
    /// The values for <paramref name="key"/> with <paramref name="shape"/>, in float64, by the rules of paramgen-v1.
    /// Inputs and upstream gradients (<paramref name="data"/>) are plain 2u - 1 whatever their rank.
    /// </summary>
    public static double[] Values(string key, int[] shape, bool data = false)
    {
        var v = new double[shape.Aggregate(1L, (a, d) => a * d)];
        Generate(key, shape, data, default, v);
        return v;
    }

    private static void Generate(string key, int[] shape, bool data, Span<float> f32, Span<double> f64)
    {
        var count = shape.Aggregate(1L, (a, d) => a * d);
        var state = Fnv1a64(key);
        var fanIn = shape.Skip(1).Aggregate(1L, (a, d) => a * d);
        var bound = shape.Length >= 2 ? Math.Sqrt(3.0 / fanIn) : 0;
        var rule = data ? 0
            : shape.Length >= 2 ? 1
            : shape.Length == 1 && key.EndsWith(".running_mean", StringComparison.Ordinal) ? 2
            : shape.Length == 1 && key.EndsWith(".running_var", StringComparison.Ordinal) ? 3
            : shape.Length == 1 && key.EndsWith(".weight", StringComparison.Ordinal) ? 4
            : shape.Length == 1 && key.EndsWith(".bias", StringComparison.Ordinal) ? 5
            : 0;
        for (var i = 0; i < count; i++)
        {
            var u = (Rng.SplitMix64(ref state) >> 11) * (1.0 / (1UL << 53));
            var v = rule switch
            {
                1 => (2 * u - 1) * bound,
                2 => 0.1 * (2 * u - 1),
                3 => 0.5 + u,
                4 => 1 + 0.1 * (2 * u - 1),
                5 => 0.1 * (2 * u - 1),
                _ => 2 * u - 1,
            };
            if (f64.Length > 0) f64[i] = v;
            else f32[i] = (float)v;
        }
    }

    /// <summary>Fills every parameter and buffer of <paramref name="network"/> (with <paramref name="prefix"/> before each name).</summary>
    public static void Fill(Layer network, string prefix = "")
    {
        foreach (var (name, p) in network.NamedParameters()) Set(p.Value, prefix + name);
        foreach (var (name, b) in network.NamedBuffers()) Set(b, prefix + name);
    }

    public static void Set(Tensor t, string key, bool data = false)
    {
        // F32 and F64 host tensors are written in place (VGG's 100M-value layers make copies expensive).
        if (t.Device.Kind == DeviceKind.Cpu && t.DType is DType.F32 or DType.F64)
        {
            Generate(key, t.Shape, data, t.DType == DType.F32 ? t.Span<float>() : default, t.DType == DType.F64 ? t.Span<double>() : default);
            return;
        }
        using var host = Tensor.FromArray(Values(key, t.Shape, data), t.Shape);
        t.Backend.Cast(host, t);
    }

    /// <summary>An input or upstream gradient: 2u - 1 per element.</summary>
    public static Tensor Data(string key, int[] shape, DType dtype)
    {
        var t = new Tensor(shape, dtype);
        Set(t, key, data: true);
        return t;
    }
}
