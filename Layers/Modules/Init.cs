using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>Weight initialisers, drawn on the host from a seeded <see cref="Rng"/> and copied to the device.</summary>
public static class Init
{
    public static Tensor Uniform(int[] dims, double low, double high, Rng rng, DType dtype, Device device)
    {
        // Drawn straight into a host tensor of the target dtype: no intermediate arrays for 100M-parameter layers.
        var host = new Tensor(dims, dtype is DType.F32 or DType.F64 ? dtype : DType.F64);
        if (host.DType == DType.F32)
        {
            var span = host.Span<float>();
            for (var i = 0; i < span.Length; i++) span[i] = (float)rng.Uniform(low, high);
        }
        else
        {
            var span = host.Span<double>();
            for (var i = 0; i < span.Length; i++) span[i] = rng.Uniform(low, high);
        }
        if (host.DType == dtype && device.Kind == DeviceKind.Cpu) return host;
        using (host)
        {
            var t = new Tensor(dims, dtype, device);
            if (device.Kind == DeviceKind.Cpu) t.Backend.Cast(host, t);
            else if (host.DType == dtype) t.Backend.CopyFromHost(host.Pointer, t);
            else throw new NotSupportedException($"initialising {dtype.Name()} on {device}");
            return t;
        }
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
