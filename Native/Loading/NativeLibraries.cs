using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NativeNets.Native;

/// <summary>
/// Finds the native libraries the bindings call. Every binding names its library by a logical name
/// (<c>[LibraryImport(NativeLibraries.Cudnn)]</c>); the first call resolves it here by an ordered search:
/// each candidate file name, versioned ones first (libcudnn.so.9 before libcudnn.so), in each place:
/// the folders of NATIVENETS_LIBRARY_PATH, CUDA_HOME/lib64 and CUDA_PATH/lib64, then the loader's own search
/// (LD_LIBRARY_PATH, RUNPATH, the system folders). Every path tried is recorded with the loader's reason, so a
/// failure, and `nativenets doctor`, can say what was looked for where.
/// </summary>
public static class NativeLibraries
{
    public const string Cuda = "cuda";
    public const string Cublas = "cublas";
    public const string CublasLt = "cublasLt";
    public const string Cudnn = "cudnn";
    public const string Nccl = "nccl";
    public const string Nvrtc = "nvrtc";
    public const string Nvtx = "nvToolsExt";
    public const string Mpi = "mpi";
    public const string TurboJpeg = "turbojpeg";

    /// <summary>Candidate file names per logical name, most wanted first.</summary>
    public static IReadOnlyDictionary<string, string[]> Candidates { get; } = new Dictionary<string, string[]>
    {
        [Cuda] = ["libcuda.so.1", "libcuda.so"],
        [Cublas] = ["libcublas.so.13", "libcublas.so.12", "libcublas.so"],
        [CublasLt] = ["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"],
        [Cudnn] = ["libcudnn.so.9", "libcudnn.so"],
        [Nccl] = ["libnccl.so.2", "libnccl.so"],
        [Nvrtc] = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"],
        // NVTX 3 is header-only and CUDA 12.9 dropped libnvToolsExt: Nvtx attaches to the profiler's injection library
        // (NVTX_INJECTION64_PATH) first, and only falls back to an installed libnvToolsExt.
        [Nvtx] = ["libnvToolsExt.so.1", "libnvToolsExt.so"],
        [Mpi] = ["libmpi.so.40", "libmpi.so.12", "libmpi.so"],
        // libjpeg-turbo's TurboJPEG API (2.x, Debian libturbojpeg0): the fast JPEG path of Data.Images.ImageDecoder.
        [TurboJpeg] = ["libturbojpeg.so.0", "libturbojpeg.so"],
    };

    private static readonly Dictionary<string, LibraryLoad> Loaded = new();

    /// <summary>The folders searched before the loader's own search, in order, from the environment.</summary>
    public static IReadOnlyList<string> SearchFolders()
    {
        var folders = new List<string>();
        var extra = Environment.GetEnvironmentVariable("NATIVENETS_LIBRARY_PATH");
        if (!string.IsNullOrWhiteSpace(extra))
            folders.AddRange(extra.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        foreach (var variable in new[] { "CUDA_HOME", "CUDA_PATH" })
        {
            var root = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrWhiteSpace(root))
            {
                folders.Add(Path.Combine(root, "lib64"));
                folders.Add(Path.Combine(root, "lib"));
            }
        }
        return folders.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Loads (once) the library with this logical name; never throws. See <see cref="Require"/>.</summary>
    public static LibraryLoad Load(string logicalName)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue(logicalName, out var known)) return known;
            var load = Search(logicalName);
            Loaded[logicalName] = load;
            return load;
        }
    }

    /// <summary>The handle of the library, or a <see cref="NativeLibraryNotFoundException"/> listing every path tried.</summary>
    public static nint Require(string logicalName)
    {
        var load = Load(logicalName);
        if (load.Handle == 0) throw new NativeLibraryNotFoundException(logicalName, load.Attempts);
        return load.Handle;
    }

    /// <summary>An exported symbol's address, or a clear error naming the library and the symbol.</summary>
    public static nint Export(string logicalName, string symbol)
    {
        var handle = Require(logicalName);
        if (NativeLibrary.TryGetExport(handle, symbol, out var address)) return address;
        throw new EntryPointNotFoundException($"{Load(logicalName).Path} does not export '{symbol}' (an older or newer version than NativeNets binds?)");
    }

    private static LibraryLoad Search(string logicalName) =>
        Probe(logicalName, Candidates.TryGetValue(logicalName, out var names) ? names : [logicalName], SearchFolders());

    /// <summary>
    /// The search itself, uncached: each of <paramref name="names"/> in each of <paramref name="folders"/>, then by the
    /// loader's own search. Every failed attempt is recorded with its reason.
    /// </summary>
    public static LibraryLoad Probe(string logicalName, IReadOnlyList<string> names, IReadOnlyList<string> folders)
    {
        var attempts = new List<string>();
        foreach (var name in names)
        {
            foreach (var folder in folders)
            {
                var path = System.IO.Path.Combine(folder, name);
                if (!File.Exists(path))
                {
                    attempts.Add($"{path}: no such file");
                    continue;
                }
                if (TryLoad(path, attempts, out var handle)) return new LibraryLoad(logicalName, handle, path, attempts);
            }
            if (TryLoad(name, attempts, out var h)) return new LibraryLoad(logicalName, h, ResolvedPath(h, name), attempts);
        }
        return new LibraryLoad(logicalName, 0, null, attempts);
    }

    private static bool TryLoad(string pathOrName, List<string> attempts, out nint handle)
    {
        var where = Path.IsPathRooted(pathOrName) ? pathOrName : $"{pathOrName} (loader's search)";
        try
        {
            handle = NativeLibrary.Load(pathOrName);
            return true;
        }
        catch (DllNotFoundException e)
        {
            attempts.Add($"{where}: {LoaderReason(e.Message)}");
        }
        catch (BadImageFormatException e)
        {
            attempts.Add($"{where}: not a loadable library ({LoaderReason(e.Message)})");
        }
        handle = 0;
        return false;
    }

    /// <summary>.NET's message starts with general advice; its last line is dlerror's, which says why.</summary>
    private static string LoaderReason(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var reason = lines.Length > 0 ? lines[^1] : message;
        return reason.Length > 300 ? reason[..300] : reason;
    }

    /// <summary>Where the loader found a library loaded by bare name, read back from /proc/self/maps.</summary>
    private static string ResolvedPath(nint handle, string name)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var slash = line.IndexOf('/');
                if (slash < 0) continue;
                var path = line[slash..];
                if (System.IO.Path.GetFileName(path).StartsWith(name, StringComparison.Ordinal)) return path;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return name;
    }

    // A library's resolver must be in place before its first P/Invoke, whoever makes it: the module initializer
    // is the one hook that runs before any code of this assembly.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void InstallResolver()
    {
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        Candidates.ContainsKey(libraryName) ? Require(libraryName) : 0;
}

/// <summary>The outcome of looking for one library: its handle and path, or every path tried and why it failed.</summary>
public sealed record LibraryLoad(string LogicalName, nint Handle, string? Path, IReadOnlyList<string> Attempts)
{
    public bool Found => Handle != 0;
}
