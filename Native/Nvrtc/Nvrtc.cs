using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

#pragma warning disable CA1707 // native names keep their underscores

namespace NativeNets.Native;

/// <summary>Status of every NVRTC call (nvrtc.h <c>nvrtcResult</c>, CUDA 13.0).</summary>
public enum nvrtcResult
{
    /// <summary>No error.</summary>
    NVRTC_SUCCESS = 0,
    /// <summary>Out of host memory.</summary>
    NVRTC_ERROR_OUT_OF_MEMORY = 1,
    /// <summary>The program could not be created.</summary>
    NVRTC_ERROR_PROGRAM_CREATION_FAILURE = 2,
    /// <summary>An argument is invalid.</summary>
    NVRTC_ERROR_INVALID_INPUT = 3,
    /// <summary>The program handle is invalid.</summary>
    NVRTC_ERROR_INVALID_PROGRAM = 4,
    /// <summary>A compile option is invalid (the log says which).</summary>
    NVRTC_ERROR_INVALID_OPTION = 5,
    /// <summary>The source did not compile (the log says why and where).</summary>
    NVRTC_ERROR_COMPILATION = 6,
    /// <summary>A builtin operation failed.</summary>
    NVRTC_ERROR_BUILTIN_OPERATION_FAILURE = 7,
    /// <summary>Name expressions were added after compilation.</summary>
    NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION = 8,
    /// <summary>A lowered name was asked for before compilation.</summary>
    NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION = 9,
    /// <summary>A name expression is invalid.</summary>
    NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID = 10,
    /// <summary>Internal compiler error.</summary>
    NVRTC_ERROR_INTERNAL_ERROR = 11,
    /// <summary>The time file could not be written.</summary>
    NVRTC_ERROR_TIME_FILE_WRITE_FAILED = 12,
    /// <summary>No precompiled-header creation was attempted.</summary>
    NVRTC_ERROR_NO_PCH_CREATE_ATTEMPTED = 13,
    /// <summary>The precompiled-header heap is exhausted.</summary>
    NVRTC_ERROR_PCH_CREATE_HEAP_EXHAUSTED = 14,
    /// <summary>Precompiled-header creation failed.</summary>
    NVRTC_ERROR_PCH_CREATE = 15,
    /// <summary>Compilation was cancelled by the flow callback.</summary>
    NVRTC_ERROR_CANCELLED = 16,
    /// <summary>The time-trace file could not be written.</summary>
    NVRTC_ERROR_TIME_TRACE_FILE_WRITE_FAILED = 17,
}

/// <summary>
/// Raw bindings of NVRTC (libnvrtc.so.13), the run-time CUDA C++ compiler, checked against nvrtc.h of CUDA 13.0,
/// plus <see cref="Compile(string, string, IReadOnlyList{string}, bool)"/>, which compiles one source to PTX or
/// CUBIN and turns a failed compile into an exception carrying the full compiler log. nvrtcProgram is nint.
/// </summary>
public static unsafe partial class Nvrtc
{
    /// <summary>Static description of a status (never null, never freed).</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial byte* nvrtcGetErrorString(nvrtcResult result);

    /// <summary>NVRTC's version (e.g. 13, 0).</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial nvrtcResult nvrtcVersion(int* major, int* minor);

    /// <summary>Number of architectures this NVRTC can target.</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial nvrtcResult nvrtcGetNumSupportedArchs(int* numArchs);

    /// <summary>The supported architectures (e.g. 75, 80, ..., 90, ...), into an array of nvrtcGetNumSupportedArchs ints.</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial nvrtcResult nvrtcGetSupportedArchs(int* supportedArchs);

    /// <summary>Creates a program from NUL-terminated source and name, with numHeaders in-memory headers (may be 0 and null).</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial nvrtcResult nvrtcCreateProgram(nint* prog, byte* src, byte* name, int numHeaders, byte** headers, byte** includeNames);

    /// <summary>Destroys a program and sets *prog to null.</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial nvrtcResult nvrtcDestroyProgram(nint* prog);

    /// <summary>Compiles the program with numOptions NUL-terminated options (e.g. "--gpu-architecture=sm_90").</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial nvrtcResult nvrtcCompileProgram(nint prog, int numOptions, byte** options);

    /// <summary>Size of the compile log in bytes, including its NUL.</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial nvrtcResult nvrtcGetProgramLogSize(nint prog, nuint* logSizeRet);

    /// <summary>Copies the compile log (NUL-terminated) into a buffer of nvrtcGetProgramLogSize bytes.</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial nvrtcResult nvrtcGetProgramLog(nint prog, byte* log);

    /// <summary>Size of the PTX in bytes, including its NUL.</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial nvrtcResult nvrtcGetPTXSize(nint prog, nuint* ptxSizeRet);

    /// <summary>Copies the PTX (NUL-terminated) into a buffer of nvrtcGetPTXSize bytes.</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial nvrtcResult nvrtcGetPTX(nint prog, byte* ptx);

    /// <summary>Size of the CUBIN in bytes; 0 when the program was compiled for a virtual architecture (compute_XX).</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial nvrtcResult nvrtcGetCUBINSize(nint prog, nuint* cubinSizeRet);

    /// <summary>Copies the CUBIN into a buffer of nvrtcGetCUBINSize bytes.</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial nvrtcResult nvrtcGetCUBIN(nint prog, byte* cubin);

    /// <summary>Throws <see cref="NvrtcException"/> unless status is NVRTC_SUCCESS; call text, file and line come from the compiler.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(nvrtcResult status,
        [CallerArgumentExpression(nameof(status))] string call = "",
        [CallerFilePath] string file = "",
        [CallerLineNumber] int line = 0)
    {
        if (status != nvrtcResult.NVRTC_SUCCESS) Throw(status, call, file, line);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(nvrtcResult status, string call, string file, int line) =>
        throw new NvrtcException(status, call, ErrorText(status), file, line);

    /// <summary>NVRTC's description of a status when libnvrtc is loaded; otherwise the enum name.</summary>
    public static string ErrorText(nvrtcResult status)
    {
        if (NativeLibraries.Load(NativeLibraries.Nvrtc).Found)
        {
            try
            {
                var text = Marshal.PtrToStringUTF8((nint)nvrtcGetErrorString(status));
                if (!string.IsNullOrEmpty(text)) return text;
            }
            catch (EntryPointNotFoundException) { }
        }
        return Enum.IsDefined(status) ? status.ToString() : $"NVRTC error {(int)status}";
    }

    /// <summary>NVRTC's version as (major, minor).</summary>
    public static (int Major, int Minor) Version()
    {
        int major, minor;
        Check(nvrtcVersion(&major, &minor));
        return (major, minor);
    }

    /// <summary>The architectures this NVRTC can compile for (e.g. 75, 80, 86, 89, 90, ...).</summary>
    public static int[] SupportedArchitectures()
    {
        int n;
        Check(nvrtcGetNumSupportedArchs(&n));
        var archs = new int[n];
        fixed (int* p = archs) Check(nvrtcGetSupportedArchs(p));
        return archs;
    }

    /// <summary>
    /// Compiles one CUDA C++ source. Returns the CUBIN (cubin = true; options must name a real architecture,
    /// "--gpu-architecture=sm_90") or the PTX including its terminating NUL, ready for cuModuleLoadData.
    /// A source that does not compile throws <see cref="NvrtcCompileException"/> with the program name, the options
    /// and the full log; any other failure throws <see cref="NvrtcException"/>. The program is always destroyed.
    /// </summary>
    public static byte[] Compile(string source, string name, IReadOnlyList<string> options, bool cubin) =>
        Compile(source, name, options, cubin, out _);

    /// <summary>As <see cref="Compile(string, string, IReadOnlyList{string}, bool)"/>, also returning the compile log (warnings).</summary>
    public static byte[] Compile(string source, string name, IReadOnlyList<string> options, bool cubin, out string log)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        var sourceBytes = Cuda.Utf8z(source);
        var nameBytes = Cuda.Utf8z(name);
        var optionPointers = new nint[options.Count];
        try
        {
            for (var i = 0; i < options.Count; i++)
                optionPointers[i] = Marshal.StringToCoTaskMemUTF8(options[i] ?? throw new ArgumentException($"option {i} is null", nameof(options)));

            nint prog = 0;
            fixed (byte* src = sourceBytes)
            fixed (byte* nm = nameBytes)
                Check(nvrtcCreateProgram(&prog, src, nm, 0, null, null), $"nvrtcCreateProgram(\"{name}\")");
            try
            {
                nvrtcResult compiled;
                fixed (nint* opts = optionPointers)
                    compiled = nvrtcCompileProgram(prog, optionPointers.Length, (byte**)opts);
                log = ProgramLog(prog);
                if (compiled == nvrtcResult.NVRTC_ERROR_COMPILATION)
                    throw new NvrtcCompileException(name, options, log);
                if (compiled != nvrtcResult.NVRTC_SUCCESS)
                    throw new NvrtcException(compiled, $"nvrtcCompileProgram(\"{name}\", {string.Join(' ', options)})",
                        ErrorText(compiled) + (string.IsNullOrWhiteSpace(log) ? "" : Environment.NewLine + log.TrimEnd()), "", 0);
                return cubin ? Cubin(prog, name) : Ptx(prog);
            }
            finally
            {
                nvrtcDestroyProgram(&prog); // a failure to free must not hide the compile's own outcome
            }
        }
        finally
        {
            foreach (var p in optionPointers)
                if (p != 0) Marshal.FreeCoTaskMem(p);
        }
    }

    /// <summary>The program's compile log ("" when empty).</summary>
    public static string ProgramLog(nint prog)
    {
        nuint size;
        Check(nvrtcGetProgramLogSize(prog, &size));
        if (size <= 1) return "";
        var buffer = new byte[size];
        fixed (byte* p = buffer) Check(nvrtcGetProgramLog(prog, p));
        return System.Text.Encoding.UTF8.GetString(buffer, 0, (int)size - 1);
    }

    private static byte[] Ptx(nint prog)
    {
        nuint size;
        Check(nvrtcGetPTXSize(prog, &size));
        var ptx = new byte[size];
        fixed (byte* p = ptx) Check(nvrtcGetPTX(prog, p));
        return ptx;
    }

    private static byte[] Cubin(nint prog, string name)
    {
        nuint size;
        Check(nvrtcGetCUBINSize(prog, &size));
        if (size == 0)
            throw new InvalidOperationException(
                $"NVRTC produced no CUBIN for '{name}': compile with a real architecture (--gpu-architecture=sm_XX), not a virtual one (compute_XX)");
        var image = new byte[size];
        fixed (byte* p = image) Check(nvrtcGetCUBIN(prog, p));
        return image;
    }
}

/// <summary>An NVRTC call failed; the message names the call, the status and the file and line.</summary>
public class NvrtcException : NativeCallException
{
    /// <summary>Builds the exception for a failed NVRTC call.</summary>
    public NvrtcException(nvrtcResult status, string call, string statusText, string file, int line)
        : base(NativeLibraries.Nvrtc, call, (int)status, Enum.IsDefined(status) ? status.ToString() : $"NVRTC error {(int)status}", statusText, file, line)
    {
        Result = status;
    }

    /// <summary>The status the call returned.</summary>
    public nvrtcResult Result { get; }
}

/// <summary>
/// A kernel source did not compile (NVRTC_ERROR_COMPILATION). The message says what failed and where: the program
/// name (the file name the log's "name(line): error" lines refer to), the options, and the full compiler log.
/// </summary>
public sealed class NvrtcCompileException : NvrtcException
{
    /// <summary>Builds the exception from the program name, its options and NVRTC's log.</summary>
    public NvrtcCompileException(string programName, IReadOnlyList<string> options, string log,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        : base(nvrtcResult.NVRTC_ERROR_COMPILATION, $"nvrtcCompileProgram(\"{programName}\")", "the CUDA source did not compile", file, line)
    {
        ProgramName = programName;
        Options = options.ToArray();
        Log = log;
    }

    /// <summary>The program (source file) name given to NVRTC.</summary>
    public string ProgramName { get; }

    /// <summary>The options the program was compiled with.</summary>
    public IReadOnlyList<string> Options { get; }

    /// <summary>NVRTC's full compile log.</summary>
    public string Log { get; }

    /// <inheritdoc/>
    public override string Message =>
        $"NVRTC could not compile '{ProgramName}' with options [{string.Join(' ', Options)}]:{Environment.NewLine}" +
        (string.IsNullOrWhiteSpace(Log) ? "(NVRTC gave no log)" : Log.TrimEnd()) +
        $"{Environment.NewLine}({base.Message})";
}
