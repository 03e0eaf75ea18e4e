using NativeNets.Backends;
using NativeNets.Modules;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Gpu;

/// <summary>What the GPU tests share: the skip rule, twin tensors (the same values on the CPU and on the GPU) and comparisons.</summary>
public static class GpuSupport
{
    public static readonly Device GpuDevice = Device.Cuda(0);

    /// <summary>Skips the calling test, with the reason, where there is no usable GPU; otherwise the CUDA backend with TF32 off.</summary>
    public static CudaBackend Require()
    {
        var count = CudaDevices.TryCount(out var reason);
        Assert.SkipWhen(count == 0, $"no GPU: {reason}");
        var backend = (CudaBackend)Backend.For(GpuDevice);
        backend.AllowTf32 = false;
        return backend;
    }

    /// <summary>The largest |cpu - gpu| relative to the largest |cpu| (absolute where everything is below 1).</summary>
    public static void AssertClose(string what, Tensor cpu, Tensor gpu, double tolerance)
    {
        Assert.Equal(cpu.Shape, gpu.Shape);
        Assert.Equal(cpu.DType, gpu.DType);
        var e = Values(cpu);
        var g = Values(gpu);
        var scale = Math.Max(1.0, e.Length == 0 ? 0 : e.Max(Math.Abs));
        for (var i = 0; i < e.Length; i++)
        {
            var err = Math.Abs(e[i] - g[i]) / scale;
            if (!(err <= tolerance) && !(double.IsNaN(e[i]) && double.IsNaN(g[i])))
                Assert.Fail($"{what}: element {i} is {g[i]:R} on the GPU and {e[i]:R} on the CPU (error {err:E2} relative to {scale:G3}, tolerance {tolerance:E0})");
        }
    }

    public static double[] Values(Tensor t) => t.DType switch
    {
        DType.F32 => t.ToArray<float>().Select(v => (double)v).ToArray(),
        DType.F64 => t.ToArray<double>(),
        DType.I32 => t.ToArray<int>().Select(v => (double)v).ToArray(),
        DType.U8 => t.ToArray<byte>().Select(v => (double)v).ToArray(),
        DType.F16 => t.ToArray<Half>().Select(v => (double)v).ToArray(),
        DType.BF16 => t.ToArray<ushort>().Select(v => (double)BFloat16.ToSingle(v)).ToArray(),
        _ => throw new NotSupportedException(t.DType.ToString()),
    };

    /// <summary>Copies every parameter and buffer of <paramref name="from"/> into the same-named one of <paramref name="to"/>, across devices.</summary>
    public static void CopyState(Layer from, Layer to)
    {
        var targets = to.NamedParameters().Select(p => (p.Name, p.Parameter.Value)).Concat(to.NamedBuffers()).ToDictionary(p => p.Item1, p => p.Item2);
        foreach (var (name, source) in from.NamedParameters().Select(p => (p.Name, p.Parameter.Value)).Concat(from.NamedBuffers()))
            CopyAcross(source, targets[name]);
    }

    /// <summary>
    /// Three SGD steps (lr 0.01, momentum 0.9, weight decay 5e-4) of the same architecture on the CPU and on the GPU from
    /// the same weights, with <paramref name="gpuInput"/> holding <paramref name="cpuInput"/>'s values (in any layout):
    /// each step's loss, and the first three and last two parameters after them, within <paramref name="tolerance"/>.
    /// </summary>
    public static void AssertTrainingStepsMatch(string what, NativeNets.Nets.Architectures.Model cpuModel, NativeNets.Nets.Architectures.Model gpuModel,
        Tensor cpuInput, Tensor gpuInput, Twin labels, double tolerance)
    {
        CopyState(cpuModel.Network, gpuModel.Network);
        using var cpuLoss = new NativeNets.Losses.SoftmaxCrossEntropyLoss();
        using var gpuLoss = new NativeNets.Losses.SoftmaxCrossEntropyLoss();
        using var cpuSgd = new NativeNets.Optim.Sgd(cpuModel.Network.Parameters(), 0.01, 0.9, 5e-4);
        using var gpuSgd = new NativeNets.Optim.Sgd(gpuModel.Network.Parameters(), 0.01, 0.9, 5e-4);
        cpuModel.Network.Training = gpuModel.Network.Training = true;
        for (var step = 0; step < 3; step++)
        {
            var lc = Step(cpuModel, cpuLoss, cpuSgd, cpuInput, labels.Cpu);
            var lg = Step(gpuModel, gpuLoss, gpuSgd, gpuInput, labels.Gpu);
            Assert.True(Math.Abs(lc - lg) <= tolerance * Math.Max(1, Math.Abs(lc)), $"{what} step {step}: loss {lg:R} on the GPU, {lc:R} on the CPU");
        }
        var gpuParams = gpuModel.Network.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Value);
        foreach (var (name, p) in cpuModel.Network.NamedParameters().Take(3).Concat(cpuModel.Network.NamedParameters().TakeLast(2)))
            AssertClose($"{what} {name} after 3 steps", p.Value, gpuParams[name], Math.Max(tolerance, 1e-4));

        static double Step(NativeNets.Nets.Architectures.Model model, NativeNets.Losses.Loss loss, NativeNets.Optim.Sgd sgd, Tensor input, Tensor y)
        {
            sgd.ZeroGrad();
            var value = loss.Forward(model.Network.Forward(input), y);
            model.Network.Backward(loss.Backward());
            sgd.Step();
            return value;
        }
    }

    public static void CopyAcross(Tensor source, Tensor destination)
    {
        var bytes = new byte[source.Bytes];
        unsafe
        {
            fixed (byte* p = bytes)
            {
                source.Backend.CopyToHost(source, (nint)p);
                destination.Backend.CopyFromHost((nint)p, destination);
            }
        }
    }
}

/// <summary>One tensor's values on the CPU and on the GPU.</summary>
public sealed class Twin : IDisposable
{
    public Tensor Cpu { get; }
    public Tensor Gpu { get; }

    private Twin(Tensor cpu)
    {
        Cpu = cpu;
        Gpu = new Tensor(cpu.Shape, cpu.DType, GpuSupport.GpuDevice);
        GpuSupport.CopyAcross(cpu, Gpu);
    }

    public static Twin Zeros(DType dtype, params int[] dims) => new(new Tensor(dims, dtype));

    /// <summary>Uniform in [low, high) for floats, integers in [low, high] for I32 and U8.</summary>
    public static Twin Random(Rng rng, DType dtype, double low, double high, params int[] dims)
    {
        var t = new Tensor(dims, dtype);
        var n = (int)t.Count;
        switch (dtype)
        {
            case DType.F32: { var s = t.Span<float>(); for (var i = 0; i < n; i++) s[i] = (float)rng.Uniform(low, high); break; }
            case DType.F64: { var s = t.Span<double>(); for (var i = 0; i < n; i++) s[i] = rng.Uniform(low, high); break; }
            case DType.I32: { var s = t.Span<int>(); for (var i = 0; i < n; i++) s[i] = (int)Math.Floor(rng.Uniform(low, high + 1)); break; }
            case DType.U8: { var s = t.Span<byte>(); for (var i = 0; i < n; i++) s[i] = (byte)Math.Floor(rng.Uniform(low, high + 1)); break; }
            default: throw new NotSupportedException(dtype.ToString());
        }
        return new Twin(t);
    }

    public static Twin Of(Tensor cpu) => new(cpu);

    public void AssertSame(string what, double tolerance) => GpuSupport.AssertClose(what, Cpu, Gpu, tolerance);

    public void Dispose()
    {
        Cpu.Dispose();
        Gpu.Dispose();
    }
}
