using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>Weight initialisers, drawn on the host from a seeded <see cref="Rng"/> and copied to the device.</summary>
public static class Init
{
    public static Tensor Uniform(int[] dims, double low, double high, Rng rng, DType dtype, Device device)
    {
        var count = dims.Aggregate(1L, (a, d) => a * d);
        var values = new double[count];
        for (var i = 0; i < values.Length; i++) values[i] = rng.Uniform(low, high);
        return FromDoubles(values, dims, dtype, device);
    }

    public static Tensor FromDoubles(double[] values, int[] dims, DType dtype, Device device)
    {
        var t = new Tensor(dims, dtype, device);
        switch (dtype)
        {
            case DType.F64: t.CopyFrom<double>(values); break;
            case DType.F32: t.CopyFrom<float>(values.Select(v => (float)v).ToArray()); break;
            default:
                using (var host = Tensor.FromArray(values, dims))
                {
                    if (device.Kind != DeviceKind.Cpu) throw new NotSupportedException($"initialising {dtype.Name()} on {device}");
                    t.Backend.Cast(host, t);
                }
                break;
        }
        return t;
    }
}
