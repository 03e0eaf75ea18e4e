using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using NativeNets.Native;

namespace NativeNets.Backends;

/// <summary>
/// The project's own kernels (runtime/kernels/*.cu, embedded in this assembly): each file is compiled by NVRTC for the
/// device's compute capability on first use, and the CUBIN is cached on disk, keyed by the source's hash, the
/// architecture and the NVRTC version, so later runs load it without compiling. A failed compile throws
/// <see cref="NvrtcCompileException"/> with the file name, the options and NVRTC's log.
/// </summary>
internal sealed unsafe class CudaKernels : IDisposable
{
    private readonly CudaBackend _backend;
    private readonly int _computeCapability;
    private readonly Dictionary<string, nint> _modules = new();
    private readonly Dictionary<string, nint> _functions = new();

    public CudaKernels(CudaBackend backend, int computeCapability)
    {
        _backend = backend;
        _computeCapability = computeCapability;
    }

    /// <summary>The kernel sources shipped in this assembly, by file name ("elementwise.cu"), each as NVRTC compiles it.</summary>
    public static IReadOnlyDictionary<string, string> Sources { get; } = LoadSources();

    /// <summary>
    /// The shared device helpers (runtime/kernels/common.cuh) go in front of every kernel file: NVRTC has no include
    /// path here, and one text per file keeps the cache key honest. #line keeps NVRTC's messages on the file's own lines.
    /// </summary>
    private static Dictionary<string, string> LoadSources()
    {
        var files = LoadResources();
        var common = files.GetValueOrDefault("common.cuh", "");
        return files.Where(f => f.Key.EndsWith(".cu", StringComparison.Ordinal))
            .ToDictionary(f => f.Key, f => common.Length == 0 ? f.Value : $"#line 1 \"common.cuh\"\n{common}\n#line 1 \"{f.Key}\"\n{f.Value}", StringComparer.Ordinal);
    }

    private static Dictionary<string, string> LoadResources()
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        var assembly = typeof(CudaKernels).Assembly;
        const string prefix = "NativeNets.Kernels.";
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            sources[name[prefix.Length..]] = reader.ReadToEnd();
        }
        return sources;
    }

    /// <summary>Where compiled kernels are kept: NATIVENETS_KERNEL_CACHE, else $XDG_CACHE_HOME/nativenets/kernels, else ~/.cache/nativenets/kernels.</summary>
    public static string CacheFolder()
    {
        var explicitFolder = Environment.GetEnvironmentVariable("NATIVENETS_KERNEL_CACHE");
        if (!string.IsNullOrWhiteSpace(explicitFolder)) return explicitFolder;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrWhiteSpace(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "nativenets", "kernels");
    }

    /// <summary>NVRTC options and the target for this device: CUBIN for sm_XY when NVRTC knows it, else PTX for the newest architecture it knows (the driver JIT-compiles it).</summary>
    public static (List<string> Options, bool Cubin, string Target) Target(int computeCapability)
    {
        var supported = Nvrtc.SupportedArchitectures();
        var cubin = supported.Contains(computeCapability);
        var arch = cubin ? computeCapability : supported.Where(a => a <= computeCapability).DefaultIfEmpty(supported.Min()).Max();
        var target = cubin ? $"sm_{arch}" : $"compute_{arch}";
        return ([$"--gpu-architecture={target}", "--std=c++17", "-lineinfo"], cubin, target);
    }

    /// <summary>Compiles (or reads from the cache) one kernel file; returns the CUBIN or PTX image.</summary>
    public static byte[] Image(string file, int computeCapability, out string cachePath)
    {
        if (!Sources.TryGetValue(file, out var source))
            throw new FileNotFoundException($"kernel source '{file}' is not embedded in {typeof(CudaKernels).Assembly.GetName().Name}; expected one of {string.Join(", ", Sources.Keys)}");
        var (options, cubin, target) = Target(computeCapability);
        var (major, minor) = Nvrtc.Version();
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(source + "\n" + string.Join(" ", options))))[..16].ToLowerInvariant();
        cachePath = Path.Combine(CacheFolder(), $"{Path.GetFileNameWithoutExtension(file)}-{hash}-{target}-nvrtc{major}.{minor}.{(cubin ? "cubin" : "ptx")}");
        if (File.Exists(cachePath))
        {
            try
            {
                return File.ReadAllBytes(cachePath);
            }
            catch (IOException) { }
        }
        var image = Nvrtc.Compile(source, file, options, cubin);
        if (!cubin && (image.Length == 0 || image[^1] != 0)) image = [.. image, 0]; // cuModuleLoadData wants NUL-terminated PTX
        TryWriteCache(cachePath, image);
        return image;
    }

    private static void TryWriteCache(string path, byte[] image)
    {
        // The cache is an optimisation: a read-only home must not fail a run. Written to a temp name and renamed, so a
        // concurrent reader never sees half a file.
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = path + $".{Environment.ProcessId}.tmp";
            File.WriteAllBytes(temp, image);
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>The function <paramref name="kernel"/> of <paramref name="file"/>, loading the module on first use.</summary>
    public nint Function(string file, string kernel)
    {
        var key = file + ":" + kernel;
        lock (_functions)
        {
            if (_functions.TryGetValue(key, out var f)) return f;
            if (!_modules.TryGetValue(file, out var module))
            {
                var image = Image(file, _computeCapability, out _);
                _backend.MakeCurrent();
                fixed (byte* p = image) Cuda.Check(Cuda.cuModuleLoadData(&module, p));
                _modules[file] = module;
            }
            var name = Encoding.ASCII.GetBytes(kernel + "\0");
            nint function;
            fixed (byte* n = name)
            {
                var status = Cuda.cuModuleGetFunction(&function, module, n);
                if (status == CUresult.CUDA_ERROR_NOT_FOUND)
                    throw new EntryPointNotFoundException($"kernel '{kernel}' is not in runtime/kernels/{file}");
                Cuda.Check(status);
            }
            _functions[key] = function;
            return function;
        }
    }

    /// <summary>Queues <paramref name="kernel"/> on the backend's stream.</summary>
    public void Launch(string file, string kernel, uint gridX, uint gridY, uint blockX, uint sharedBytes, ref KernelArgs args) =>
        Launch(file, kernel, gridX, gridY, 1, blockX, 1, sharedBytes, ref args);

    /// <summary>A launch on a 3-D grid of 2-D blocks (the tiled transposes of structure.cu).</summary>
    public void Launch(string file, string kernel, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint sharedBytes, ref KernelArgs args)
    {
        if (gridX == 0 || gridY == 0 || gridZ == 0) return; // nothing to do (an empty tensor)
        var f = Function(file, kernel);
        _backend.MakeCurrent();
        fixed (ulong* slots = args.Slots)
        {
            var pointers = stackalloc void*[args.Count];
            for (var i = 0; i < args.Count; i++) pointers[i] = slots + i;
            Cuda.Check(Cuda.cuLaunchKernel(f, gridX, gridY, gridZ, blockX, blockY, 1, sharedBytes, _backend.Stream, pointers, null), kernel);
        }
    }

    public void Dispose()
    {
        lock (_functions)
        {
            foreach (var m in _modules.Values) Cuda.cuModuleUnload(m);
            _modules.Clear();
            _functions.Clear();
        }
    }
}

/// <summary>
/// A kernel's arguments, each in an 8-byte slot (cuLaunchKernel reads as many bytes as the parameter's size from
/// each slot; on little-endian x86-64 a 4-byte int or float sits at the start of its slot).
/// </summary>
internal unsafe struct KernelArgs
{
    public const int Capacity = 24;
    public fixed ulong Slots[Capacity];
    public int Count;

    private void Put(ulong bits)
    {
        if (Count == Capacity) throw new InvalidOperationException($"more than {Capacity} kernel arguments");
        Slots[Count++] = bits;
    }

    public KernelArgs Ptr(nint p) { Put((ulong)p); return this; }
    public KernelArgs I32(int v) { Put((uint)v); return this; }
    public KernelArgs I64(long v) { Put((ulong)v); return this; }
    public KernelArgs U64(ulong v) { Put(v); return this; }
    public KernelArgs F32(float v) { Put(BitConverter.SingleToUInt32Bits(v)); return this; }
    public KernelArgs F64(double v) { Put(BitConverter.DoubleToUInt64Bits(v)); return this; }
}
