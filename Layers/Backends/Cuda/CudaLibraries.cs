using NativeNets.Native;

namespace NativeNets.Backends;

/// <summary>One library as found (or not) on this machine: where, which version, and whether NativeNets can use it.</summary>
public sealed record LibraryStatus(string Name, string? Path, string? Version, bool Usable, string Detail, IReadOnlyList<string> Attempts);

/// <summary>
/// The CUDA libraries NativeNets uses, each located by <see cref="NativeLibraries"/> and asked for its version by its own
/// version call; a library of the wrong major version is reported (and refused by the backend) instead of failing later.
/// </summary>
public static unsafe class CudaLibraries
{
    /// <summary>Libraries and the majors NativeNets binds: cuBLAS 12-13, cuDNN 9, NCCL 2, NVRTC 12-13; NVTX is optional.</summary>
    public static readonly IReadOnlyList<(string Name, string Expected, Func<int, bool> Accepts, bool Required)> Expected =
    [
        (NativeLibraries.Cuda, "driver for CUDA 12 or 13", m => m >= 12, true),
        (NativeLibraries.Cublas, "cuBLAS 12 or 13", m => m is 12 or 13, true),
        (NativeLibraries.CublasLt, "cuBLASLt 12 or 13", m => m is 12 or 13, false),
        (NativeLibraries.Cudnn, "cuDNN 9", m => m == 9, true),
        (NativeLibraries.Nccl, "NCCL 2", m => m == 2, false),
        (NativeLibraries.Nvrtc, "NVRTC 12 or 13", m => m is 12 or 13, true),
    ];

    /// <summary>Every library's status; never throws.</summary>
    public static IReadOnlyList<LibraryStatus> Report() => Expected.Select(e => Status(e.Name)).ToList();

    public static LibraryStatus Status(string name)
    {
        var entry = Expected.FirstOrDefault(e => e.Name == name);
        var load = NativeLibraries.Load(name);
        if (!load.Found)
            return new LibraryStatus(name, null, null, false, $"not found (needs {entry.Expected})", load.Attempts);
        try
        {
            var (major, text) = Version(name);
            var ok = entry.Accepts is null || entry.Accepts(major);
            return new LibraryStatus(name, load.Path, text, ok, ok ? "ok" : $"wrong version: {text}, NativeNets needs {entry.Expected}", load.Attempts);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or NativeCallException)
        {
            return new LibraryStatus(name, load.Path, null, false, $"loaded, but its version call failed: {e.Message}", load.Attempts);
        }
    }

    /// <summary>Throws <see cref="NativeLibraryNotFoundException"/> or <see cref="NativeLibraryVersionException"/> unless the library is usable.</summary>
    public static void Require(string name)
    {
        NativeLibraries.Require(name);
        var s = Status(name);
        if (!s.Usable)
            throw new NativeLibraryVersionException(name, s.Path ?? name, s.Version ?? "of unknown version",
                Expected.First(e => e.Name == name).Expected);
    }

    private static (int Major, string Text) Version(string name)
    {
        switch (name)
        {
            case NativeLibraries.Cuda:
            {
                int v;
                Cuda.Check(Cuda.cuDriverGetVersion(&v));
                return (v / 1000, $"CUDA {v / 1000}.{v % 1000 / 10} (driver API {v})");
            }
            case NativeLibraries.Cublas:
            {
                int v;
                Cublas.Check(Cublas.cublasGetVersion_v2(0, &v));
                return (v / 10000, $"{v / 10000}.{v % 10000 / 100}.{v % 100}");
            }
            case NativeLibraries.CublasLt:
            {
                var v = (long)CublasLt.cublasLtGetVersion();
                return ((int)(v / 10000), $"{v / 10000}.{v % 10000 / 100}.{v % 100}");
            }
            case NativeLibraries.Cudnn:
            {
                var v = (long)Cudnn.cudnnGetVersion();
                return ((int)(v / 10000), $"{v / 10000}.{v % 10000 / 100}.{v % 100}");
            }
            case NativeLibraries.Nccl:
            {
                var (major, minor, patch) = Nccl.Version();
                return (major, $"{major}.{minor}.{patch}");
            }
            case NativeLibraries.Nvrtc:
            {
                var (major, minor) = Nvrtc.Version();
                return (major, $"{major}.{minor}");
            }
            default:
                return (0, "unknown");
        }
    }
}
