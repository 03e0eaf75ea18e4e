using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace NativeNets.Native;

/// <summary>
/// NVTX ranges and marks for Nsight Systems / Nsight Compute. NVTX must never make a program fail: every public
/// member here is a no-op when no profiler is attached, and none throws.
/// <para>
/// CUDA 12.9 removed libnvToolsExt (NVTX v2; CMake's FindCUDAToolkit notes the removal), so CUDA 13 ships only the
/// header-only NVTX 3. Its headers carry their own tiny loader, which this class re-implements exactly as
/// nvtx3/nvtxDetail/nvtxInit.h and nvtxImpl.h do it (NVTX_LOAD_SEQUENCE_VERSION 2, Linux, no static injection):
/// on first use, if NVTX_INJECTION64_PATH is set (nsys and ncu set it to their injection library), dlopen that path,
/// look up its export "InitializeInjectionNvtx2" (int (*)(NvtxGetExportTableFunc_t)) and call it with our
/// nvtxGetExportTable. The tool asks that function for export table NVTX_ETID_CALLBACKS (1) and calls its
/// GetModuleFunctionTable(module, &amp;table, &amp;size) per module; table[i] points at our slot for callback id i,
/// into which the tool writes its implementation of nvtxRangePushA (CORE id 9), nvtxRangePop (11), nvtxMarkA (2)...
/// Zero from the init function, or no such path, means no tool: every call stays a no-op.
/// </para>
/// <para>
/// Without NVTX_INJECTION64_PATH no tool is attached and nothing is loaded. Where the variable is set but this loader
/// cannot attach the tool, an older toolkit's libnvToolsExt.so.1 (bound raw below; it carries an equivalent loader)
/// is tried before giving up. In every case a missing piece means silence, never an error.
/// </para>
/// </summary>
public static unsafe partial class Nvtx
{
    // ---- Raw bindings of libnvToolsExt (NVTX v2, CUDA <= 12.8); call them only where NativeLibraries.Load(NativeLibraries.Nvtx).Found. ----

    /// <summary>Pushes a nested range with a NUL-terminated ASCII message; returns the nesting level (negative on error).</summary>
    [LibraryImport(NativeLibraries.Nvtx)]
    public static partial int nvtxRangePushA(byte* message);

    /// <summary>Pops the innermost range; returns the level it ended (negative on error).</summary>
    [LibraryImport(NativeLibraries.Nvtx)]
    public static partial int nvtxRangePop();

    /// <summary>Marks an instant with a NUL-terminated ASCII message.</summary>
    [LibraryImport(NativeLibraries.Nvtx)]
    public static partial void nvtxMarkA(byte* message);

    // ---- Safe wrappers ----

    private static bool _wanted = true;

    /// <summary>
    /// True when ranges reach a profiler (an NVTX tool attached through NVTX_INJECTION64_PATH) and nobody set this
    /// to false. Setting false silences NVTX; setting true has an effect only where a tool is attached.
    /// </summary>
    public static bool Enabled
    {
        get => _wanted && Backend.Mode != NvtxMode.None;
        set => _wanted = value;
    }

    /// <summary>How NVTX calls are delivered: "injection &lt;path&gt;", "libnvToolsExt &lt;path&gt;", or "none" with the reason.</summary>
    public static string Description => Backend.Description;

    /// <summary>Pushes a range named message (nests; close it with <see cref="Pop"/>). A no-op without a profiler.</summary>
    public static void Push(string message)
    {
        if (Enabled) Send(Operation.Push, message);
    }

    /// <summary>Pops the innermost range. A no-op without a profiler.</summary>
    public static void Pop()
    {
        if (Enabled) Send(Operation.Pop, null);
    }

    /// <summary>Marks an instant named message. A no-op without a profiler.</summary>
    public static void Mark(string message)
    {
        if (Enabled) Send(Operation.Mark, message);
    }

    /// <summary>A range that pops when disposed: <c>using (Nvtx.Range("forward")) { ... }</c>.</summary>
    public static RangeScope Range(string message)
    {
        if (!Enabled) return default;
        Push(message);
        return new RangeScope(true);
    }

    /// <summary>Pops the range opened by <see cref="Range"/> when disposed.</summary>
    public readonly struct RangeScope(bool active) : IDisposable
    {
        /// <summary>Pops the range (if one was pushed).</summary>
        public void Dispose()
        {
            if (active) Pop();
        }
    }

    private enum Operation { Push, Pop, Mark }

    // The "A" functions take char*; messages go as UTF-8, which Nsight shows as written. Never throws: a failure
    // (inside a tool's callback, say) switches NVTX off once instead of repeating on every call of a training loop.
    private static void Send(Operation operation, string? message)
    {
        byte[]? rented = null;
        try
        {
            var backend = Backend;
            if (operation == Operation.Pop)
            {
                backend.Pop();
                return;
            }
            message ??= "";
            var max = Encoding.UTF8.GetMaxByteCount(message.Length) + 1;
            Span<byte> buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
            var n = Encoding.UTF8.GetBytes(message, buffer);
            buffer[n] = 0;
            fixed (byte* p = buffer)
            {
                if (operation == Operation.Push) backend.Push(p);
                else backend.Mark(p);
            }
        }
        catch (Exception e)
        {
            _wanted = false;
            try { Backend.Description += $"; disabled after an error: {e.GetType().Name}: {e.Message}"; }
            catch (Exception) { /* NVTX must never fail the program */ }
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static NvtxBackend Backend => BackendHolder.Instance;

    // Initialised on first use only (class constructor of a nested class), so that a program that never calls NVTX
    // never looks for a tool. The type initializer cannot throw: Create catches everything.
    private static class BackendHolder
    {
        internal static readonly NvtxBackend Instance = NvtxBackend.Create();
    }
}

/// <summary>Where NVTX calls go.</summary>
internal enum NvtxMode
{
    None,
    Injection,
    Legacy,
}

/// <summary>The NVTX "implementation" this process uses: slots filled in by an injection library, or libnvToolsExt.</summary>
internal sealed unsafe class NvtxBackend
{
    // nvtxDetail/nvtxTypes.h: NvtxCallbackModule and the NVTX_CBID_*_SIZE of each module.
    private const int ModuleCore = 1, ModuleCuda = 2, ModuleOpenCL = 3, ModuleCudaRt = 4, ModuleCore2 = 5, ModuleSync = 6;
    private const int CoreSize = 16, CudaSize = 9, OpenClSize = 15, CudaRtSize = 7, Core2Size = 16, SyncSize = 7;
    // NvtxCallbackIdCore.
    private const int CbidCoreMarkA = 2, CbidCoreRangePushA = 9, CbidCoreRangePop = 11;
    // NvtxExportTableID.
    private const uint EtidCallbacks = 1, EtidVersionInfo = 3;
    // nvToolsExt.h: NVTX_VERSION.
    private const uint NvtxVersion = 3;

    /// <summary>nvtxTypes.h NvtxExportTableCallbacks.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ExportTableCallbacks
    {
        public nuint struct_size;
        public delegate* unmanaged<int, nint**, uint*, int> GetModuleFunctionTable;
    }

    /// <summary>nvtxTypes.h NvtxExportTableVersionInfo.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ExportTableVersionInfo
    {
        public nuint struct_size;
        public uint version;
        public uint reserved0;
        public delegate* unmanaged<uint, void> SetInjectionNvtxVersion;
    }

    // Process-lifetime native memory (a tool may keep the pointers): the two export tables, then for each module an
    // array of SIZE + 1 slot pointers (entry 0 and entry SIZE null, as nvtxImpl.h's functionTable_* are), and the slots.
    private static ExportTableCallbacks* _callbacks;
    private static ExportTableVersionInfo* _versionInfo;
    private static readonly nint*[] Tables = new nint*[7];
    private static readonly int[] TableSizes = [0, CoreSize, CudaSize, OpenClSize, CudaRtSize, Core2Size, SyncSize];
    private static nint* _coreSlots;

    public NvtxMode Mode { get; private init; }
    public string Description { get; set; } = "";

    private nint _library;

    public static NvtxBackend Create()
    {
        try
        {
            var path = Environment.GetEnvironmentVariable("NVTX_INJECTION64_PATH");
            if (string.IsNullOrEmpty(path))
                return new NvtxBackend { Mode = NvtxMode.None, Description = "none: no profiler attached (NVTX_INJECTION64_PATH is not set)" };
            var injected = FromInjection(path);
            if (injected.Mode != NvtxMode.None) return injected;
            var legacy = NativeLibraries.Load(NativeLibraries.Nvtx);
            return legacy.Found
                ? new NvtxBackend { Mode = NvtxMode.Legacy, Description = $"libnvToolsExt {legacy.Path} ({injected.Description})" }
                : injected;
        }
        catch (Exception e)
        {
            return new NvtxBackend { Mode = NvtxMode.None, Description = $"none: {e.GetType().Name}: {e.Message}" };
        }
    }

    private static NvtxBackend FromInjection(string path)
    {
        if (!NativeLibrary.TryLoad(path, out var library))
            return new NvtxBackend { Mode = NvtxMode.None, Description = $"none: NVTX_INJECTION64_PATH={path} could not be loaded" };
        if (!NativeLibrary.TryGetExport(library, "InitializeInjectionNvtx2", out var init) || init == 0)
        {
            NativeLibrary.Free(library);
            return new NvtxBackend { Mode = NvtxMode.None, Description = $"none: {path} does not export InitializeInjectionNvtx2" };
        }
        BuildTables();
        var ok = ((delegate* unmanaged<delegate* unmanaged<uint, void*>, int>)init)(&GetExportTable);
        if (ok == 0)
        {
            // As nvtxInit.h does: a failed init unloads the library and leaves every call a no-op.
            NativeLibrary.Free(library);
            return new NvtxBackend { Mode = NvtxMode.None, Description = $"none: {path} InitializeInjectionNvtx2 returned 0" };
        }
        return new NvtxBackend { Mode = NvtxMode.Injection, Description = $"injection {path}", _library = library };
    }

    private static void BuildTables()
    {
        _callbacks = (ExportTableCallbacks*)NativeMemory.AllocZeroed((nuint)sizeof(ExportTableCallbacks));
        _callbacks->struct_size = (nuint)sizeof(ExportTableCallbacks);
        _callbacks->GetModuleFunctionTable = &GetModuleFunctionTable;
        _versionInfo = (ExportTableVersionInfo*)NativeMemory.AllocZeroed((nuint)sizeof(ExportTableVersionInfo));
        _versionInfo->struct_size = (nuint)sizeof(ExportTableVersionInfo);
        _versionInfo->version = NvtxVersion;
        _versionInfo->SetInjectionNvtxVersion = &SetInjectionNvtxVersion;
        for (var module = ModuleCore; module <= ModuleSync; module++)
        {
            var size = TableSizes[module];
            var table = (nint*)NativeMemory.AllocZeroed((nuint)(size + 1), (nuint)sizeof(nint));
            var slots = (nint*)NativeMemory.AllocZeroed((nuint)size, (nuint)sizeof(nint));
            for (var id = 1; id < size; id++) table[id] = (nint)(slots + id);
            Tables[module] = table;
            if (module == ModuleCore) _coreSlots = slots;
        }
    }

    // nvtxImpl.h nvtxGetExportTable.
    [UnmanagedCallersOnly]
    private static void* GetExportTable(uint exportTableId) => exportTableId switch
    {
        EtidCallbacks => _callbacks,
        EtidVersionInfo => _versionInfo,
        _ => null,
    };

    // nvtxImpl.h nvtxEtiGetModuleFunctionTable: *out_size = (sizeof(table) / sizeof(pointer)) - 1, i.e. SIZE.
    [UnmanagedCallersOnly]
    private static int GetModuleFunctionTable(int module, nint** outTable, uint* outSize)
    {
        if (module < ModuleCore || module > ModuleSync) return 0;
        if (outSize != null) *outSize = (uint)TableSizes[module];
        if (outTable != null) *outTable = Tables[module];
        return 1;
    }

    // nvtxImpl.h nvtxEtiSetInjectionNvtxVersion: reserved, ignored.
    [UnmanagedCallersOnly]
    private static void SetInjectionNvtxVersion(uint version) { }

    public void Push(byte* message)
    {
        if (Mode == NvtxMode.Injection)
        {
            var f = (delegate* unmanaged<byte*, int>)Volatile.Read(ref _coreSlots[CbidCoreRangePushA]);
            if (f != null) f(message);
        }
        else if (Mode == NvtxMode.Legacy)
        {
            Nvtx.nvtxRangePushA(message);
        }
    }

    public void Pop()
    {
        if (Mode == NvtxMode.Injection)
        {
            var f = (delegate* unmanaged<int>)Volatile.Read(ref _coreSlots[CbidCoreRangePop]);
            if (f != null) f();
        }
        else if (Mode == NvtxMode.Legacy)
        {
            Nvtx.nvtxRangePop();
        }
    }

    public void Mark(byte* message)
    {
        if (Mode == NvtxMode.Injection)
        {
            var f = (delegate* unmanaged<byte*, void>)Volatile.Read(ref _coreSlots[CbidCoreMarkA]);
            if (f != null) f(message);
        }
        else if (Mode == NvtxMode.Legacy)
        {
            Nvtx.nvtxMarkA(message);
        }
    }

    /// <summary>The loaded injection library (kept for the process lifetime, as the tool expects).</summary>
    public nint Library => _library;
}
