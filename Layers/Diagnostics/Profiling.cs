using NativeNets.Backends;
using NativeNets.Native;
using NativeNets.Tensors;

namespace NativeNets.Diagnostics;

/// <summary>
/// What Nsight sees of a run. Every layer's forward and backward is an NVTX range named after the layer ("conv1.forward",
/// nested inside its parents' ranges), and every training step is a range "step N". With <see cref="CaptureSteps"/> set,
/// the profiler's capture range (cuProfilerStart/Stop) covers exactly those steps, so
/// <c>nsys profile --capture-range=cudaProfilerApi</c> or <c>ncu --profile-from-start off</c> record only them.
/// Without a profiler attached, NVTX is off and each check costs one flag read.
/// </summary>
public static class Profiling
{
    /// <summary>Whether ranges reach a profiler (NVTX_INJECTION64_PATH set by nsys/ncu, or libnvToolsExt).</summary>
    public static bool Ranges => Nvtx.Enabled;

    [ThreadStatic] private static LayerTimes? _timing;

    /// <summary>
    /// While set, every child layer's forward and backward run by this thread is timed into it (bench --layer-times).
    /// Per thread, so that a timed run does not collect the layers of another thread's network.
    /// </summary>
    internal static LayerTimes? Timing
    {
        get => _timing;
        set => _timing = value;
    }

    /// <summary>Whether layers report to a profiler or a timer at all: one check on the fast path.</summary>
    public static bool Active => Nvtx.Enabled || _timing is not null;

    /// <summary>The first and last step (counted from 1) to capture, inclusive; null captures nothing.</summary>
    public static (int First, int Last)? CaptureSteps { get; set; }

    private static bool _capturing;

    /// <summary>Parses "A:B" (steps A to B) or "A" (that step only), both counted from 1.</summary>
    internal static (int First, int Last) ParseSteps(string text)
    {
        var parts = text.Split(':');
        if (parts.Length is 1 or 2 && int.TryParse(parts[0], out var first) && first >= 1)
        {
            var last = first;
            if (parts.Length == 1 || int.TryParse(parts[1], out last) && last >= first)
                return (first, last);
        }
        throw new ArgumentException($"--profile-steps '{text}': expected A:B with 1 <= A <= B (steps counted from 1), or a single step A");
    }

    public static void Push(string name)
    {
        if (Nvtx.Enabled) Nvtx.Push(name);
    }

    public static void Pop()
    {
        if (Nvtx.Enabled) Nvtx.Pop();
    }

    /// <summary>Opens step <paramref name="step"/> (from 1): an NVTX range, and the capture range if this is the first step to capture.</summary>
    public static void BeginStep(int step, Backend backend)
    {
        if (CaptureSteps is { } range && step == range.First && backend is CudaBackend)
        {
            backend.Synchronize(); // earlier steps' kernels stay outside the capture
            Cuda.Check(Cuda.cuProfilerStart());
            _capturing = true;
        }
        Push($"step {step}");
    }

    /// <summary>Closes step <paramref name="step"/>, and the capture range after the last step to capture.</summary>
    public static void EndStep(int step, Backend backend)
    {
        Pop();
        if (_capturing && CaptureSteps is { } range && step == range.Last)
        {
            backend.Synchronize(); // the captured steps' kernels finish inside the capture
            Cuda.Check(Cuda.cuProfilerStop());
            _capturing = false;
        }
    }
}
