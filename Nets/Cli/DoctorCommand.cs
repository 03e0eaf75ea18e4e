using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using NativeNets.Backends;
using NativeNets.Tensors;

namespace NativeNets.Cli;

/// <summary>
/// `nativenets doctor`: what this machine offers NativeNets. The GPUs and the driver; each CUDA library with its path and
/// version, or every path tried and why it failed; then a quick comparison of a few CUDA ops with the CPU backend.
/// Exits 0 only when a GPU, the required libraries and the comparison are all fine.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var json = Common.Json();
        var device = new Option<int>("--gpu") { Description = "Which GPU to check", DefaultValueFactory = _ => 0 };
        var cmd = new Command("doctor", "Check the GPUs, the driver and the CUDA libraries (cuBLAS, cuDNN, NCCL, NVRTC), then run a quick GPU-vs-CPU check") { json, device };
        cmd.SetAction(p => Run(p.GetValue(json), p.GetValue(device)));
        return cmd;
    }

    private static int Run(bool json, int gpu)
    {
        var report = new JsonObject
        {
            ["os"] = RuntimeInformation.OSDescription,
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
        };
        var lines = new List<string> { $"machine: {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}" };
        var healthy = true;

        var libraries = new JsonArray();
        foreach (var s in CudaLibraries.Report())
        {
            var required = CudaLibraries.Expected.First(e => e.Name == s.Name).Required;
            if (required && !s.Usable) healthy = false;
            libraries.Add(new JsonObject
            {
                ["name"] = s.Name, ["path"] = s.Path, ["version"] = s.Version, ["usable"] = s.Usable, ["required"] = required,
                ["detail"] = s.Detail, ["tried"] = new JsonArray(s.Attempts.Select(a => (JsonNode)a).ToArray()),
            });
            lines.Add(s.Path is not null
                ? $"{s.Name,-10} {(s.Usable ? "ok  " : "BAD ")} {s.Version} at {s.Path}{(s.Usable ? "" : ": " + s.Detail)}"
                : $"{s.Name,-10} {(required ? "MISSING" : "absent (optional)")}: {s.Detail}; tried:" + string.Concat(s.Attempts.Select(a => Environment.NewLine + "             " + a)));
        }
        report["libraries"] = libraries;

        var count = CudaDevices.TryCount(out var reason);
        var gpus = new JsonArray();
        if (count == 0)
        {
            healthy = false;
            lines.Add($"GPU: none usable: {reason}");
            report["gpu_error"] = reason;
        }
        else
        {
            lines.Add($"driver: CUDA {CudaDevices.DriverVersion() / 1000}.{CudaDevices.DriverVersion() % 1000 / 10}, {count} GPU(s)");
            for (var i = 0; i < count; i++)
            {
                var info = CudaDevices.Describe(i);
                gpus.Add(new JsonObject
                {
                    ["index"] = i, ["name"] = info.Name, ["compute_capability"] = $"{info.ComputeCapability / 10}.{info.ComputeCapability % 10}",
                    ["memory_bytes"] = info.TotalMemory, ["multiprocessors"] = info.Multiprocessors, ["pci_bus_id"] = info.PciBusId,
                });
                lines.Add($"cuda:{i}    {info.Name}, sm_{info.ComputeCapability}, {info.TotalMemory / (1L << 30)} GiB, {info.Multiprocessors} SMs, {info.PciBusId}");
            }
        }
        report["gpus"] = gpus;

        if (healthy)
        {
            var checks = new JsonArray();
            try
            {
                foreach (var (name, error, tolerance) in QuickCheck.Run(Device.Cuda(gpu)))
                {
                    var ok = error <= tolerance;
                    healthy &= ok;
                    checks.Add(new JsonObject { ["op"] = name, ["max_relative_error"] = error, ["tolerance"] = tolerance, ["ok"] = ok });
                    lines.Add($"check      {(ok ? "ok  " : "FAIL")} {name}: max relative error {error:E2} (tolerance {tolerance:E0})");
                }
            }
            catch (Exception e)
            {
                healthy = false;
                lines.Add($"check      FAIL: {e.GetType().Name}: {e.Message}");
                report["check_error"] = e.Message;
            }
            report["checks"] = checks;
        }
        else
        {
            lines.Add("check      skipped: no usable GPU and libraries");
        }
        report["healthy"] = healthy;
        lines.Add(healthy ? "doctor: the CUDA backend is ready" : "doctor: the CUDA backend cannot run here (see above); the CPU backend works without it");
        if (json) Console.WriteLine(report.ToJsonString());
        else foreach (var l in lines) Console.WriteLine(l);
        return healthy ? 0 : 2;
    }
}

/// <summary>A few ops on the GPU and on the CPU with the same inputs; the largest difference relative to the largest value.</summary>
internal static class QuickCheck
{
    public static IEnumerable<(string Op, double Error, double Tolerance)> Run(Device device)
    {
        var rng = new Rng(12345);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)rng.Uniform(-1, 1)).ToArray();
        var cuda = (CudaBackend)Backend.For(device);
        var previous = cuda.AllowTf32;
        cuda.AllowTf32 = false;
        try
        {
            // GEMM
            var a = Random(64 * 48);
            var b = Random(48 * 32);
            yield return ("gemm 64x48x32", Compare([a, b], [[64, 48], [48, 32]], [64, 32], (be, t, o) => be.Gemm(false, false, 1, t[0], t[1], 0, o)), 1e-5);
            // Convolution with bias, stride and padding
            var x = Random(2 * 3 * 9 * 9);
            var w = Random(4 * 3 * 3 * 3);
            var bias = Random(4);
            var g = Conv2dGeometry.Square(2, 1);
            yield return ("conv 3x3 stride 2", Compare([x, w, bias], [[2, 3, 9, 9], [4, 3, 3, 3], [4]], [2, 4, 5, 5],
                (be, t, o) => be.ConvForward(t[0], t[1], t[2], o, g)), 1e-5);
            // ReLU
            yield return ("relu", Compare([x], [[2, 3, 9, 9]], [2, 3, 9, 9], (be, t, o) => be.Relu(t[0], o)), 0);
        }
        finally
        {
            cuda.AllowTf32 = previous;
        }

        double Compare(float[][] inputs, int[][] shapes, int[] outShape, Action<Backend, Tensor[], Tensor> op)
        {
            float[] RunOn(Device d)
            {
                var ts = inputs.Select((v, i) => { var t = new Tensor(shapes[i], DType.F32, d); t.CopyFrom<float>(v); return t; }).ToArray();
                using var o = new Tensor(outShape, DType.F32, d);
                op(Backend.For(d), ts, o);
                var r = o.ToArray<float>();
                foreach (var t in ts) t.Dispose();
                return r;
            }
            var expected = RunOn(Device.Cpu);
            var actual = RunOn(device);
            var scale = Math.Max(1e-30, expected.Max(v => Math.Abs((double)v)));
            return expected.Zip(actual, (e, g2) => Math.Abs((double)e - g2) / scale).Max();
        }
    }
}
