using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

#pragma warning disable CA1707 // native names keep their underscores

namespace NativeNets.Native;

/// <summary>
/// Raw bindings of MPI as Open MPI (libmpi.so.40, the 4.x and 5.x ABI) exports it, checked against Open MPI 4.1's
/// mpi.h. Handles (MPI_Comm, MPI_Datatype, MPI_Op, MPI_Errhandler, MPI_Request) are nint: in Open MPI they are the
/// addresses of exported globals (<c>MPI_COMM_WORLD</c> is <c>&amp;ompi_mpi_comm_world</c>), resolved here on first
/// use. MPICH and its derivatives (libmpi.so.12) use integer handles instead; they are detected and refused with a
/// clear message until they are bound.
/// </summary>
public static unsafe partial class Mpi
{
    /// <summary>No error (mpi.h MPI_SUCCESS).</summary>
    public const int MPI_SUCCESS = 0;
    /// <summary>Only one thread will run (MPI_Init_thread level).</summary>
    public const int MPI_THREAD_SINGLE = 0;
    /// <summary>Only the thread that called MPI_Init_thread makes MPI calls.</summary>
    public const int MPI_THREAD_FUNNELED = 1;
    /// <summary>Any thread may call MPI, one at a time.</summary>
    public const int MPI_THREAD_SERIALIZED = 2;
    /// <summary>Any thread may call MPI at any time.</summary>
    public const int MPI_THREAD_MULTIPLE = 3;
    /// <summary>Size of the buffer MPI_Error_string writes (OPAL_MAX_ERROR_STRING).</summary>
    public const int MPI_MAX_ERROR_STRING = 256;
    /// <summary>Size of the buffer MPI_Get_library_version writes.</summary>
    public const int MPI_MAX_LIBRARY_VERSION_STRING = 256;
    /// <summary>The send buffer of an in-place collective: <c>((void *) 1)</c> in Open MPI.</summary>
    public const nint MPI_IN_PLACE = 1;
    /// <summary>"Ignore the status" (a null MPI_Status*).</summary>
    public const nint MPI_STATUS_IGNORE = 0;

    // ---- predefined handles (addresses of Open MPI's exported globals) ----

    /// <summary>The communicator of all processes (&amp;ompi_mpi_comm_world).</summary>
    public static nint MPI_COMM_WORLD => Handles.CommWorld;
    /// <summary>float (&amp;ompi_mpi_float).</summary>
    public static nint MPI_FLOAT => Handles.Float;
    /// <summary>double (&amp;ompi_mpi_double).</summary>
    public static nint MPI_DOUBLE => Handles.Double;
    /// <summary>int (&amp;ompi_mpi_int).</summary>
    public static nint MPI_INT => Handles.Int;
    /// <summary>long long (&amp;ompi_mpi_long_long_int).</summary>
    public static nint MPI_LONG_LONG => Handles.LongLong;
    /// <summary>Untyped bytes (&amp;ompi_mpi_byte).</summary>
    public static nint MPI_BYTE => Handles.Byte;
    /// <summary>Sum (&amp;ompi_mpi_op_sum).</summary>
    public static nint MPI_SUM => Handles.Sum;
    /// <summary>Maximum (&amp;ompi_mpi_op_max).</summary>
    public static nint MPI_MAX => Handles.Max;
    /// <summary>Minimum (&amp;ompi_mpi_op_min).</summary>
    public static nint MPI_MIN => Handles.Min;
    /// <summary>The error handler that returns error codes instead of aborting (&amp;ompi_mpi_errors_return).</summary>
    public static nint MPI_ERRORS_RETURN => Handles.ErrorsReturn;

    // ---- calls (mpi.h, Open MPI 4.1) ----

    /// <summary>int MPI_Init_thread(int *argc, char ***argv, int required, int *provided); argc/argv may be null.</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Init_thread(int* argc, byte*** argv, int required, int* provided);

    /// <summary>int MPI_Initialized(int *flag).</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Initialized(int* flag);

    /// <summary>int MPI_Finalized(int *flag).</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Finalized(int* flag);

    /// <summary>int MPI_Finalize(void).</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Finalize();

    /// <summary>int MPI_Query_thread(int *provided).</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Query_thread(int* provided);

    /// <summary>int MPI_Comm_rank(MPI_Comm comm, int *rank).</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Comm_rank(nint comm, int* rank);

    /// <summary>int MPI_Comm_size(MPI_Comm comm, int *size).</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Comm_size(nint comm, int* size);

    /// <summary>int MPI_Comm_set_errhandler(MPI_Comm comm, MPI_Errhandler errhandler).</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Comm_set_errhandler(nint comm, nint errhandler);

    /// <summary>int MPI_Allreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op, MPI_Comm comm); sendbuf may be MPI_IN_PLACE.</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Allreduce(nint sendbuf, nint recvbuf, int count, nint datatype, nint op, nint comm);

    /// <summary>int MPI_Iallreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op, MPI_Comm comm, MPI_Request *request).</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Iallreduce(nint sendbuf, nint recvbuf, int count, nint datatype, nint op, nint comm, nint* request);

    /// <summary>int MPI_Bcast(void *buffer, int count, MPI_Datatype datatype, int root, MPI_Comm comm).</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Bcast(nint buffer, int count, nint datatype, int root, nint comm);

    /// <summary>int MPI_Barrier(MPI_Comm comm).</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Barrier(nint comm);

    /// <summary>int MPI_Wait(MPI_Request *request, MPI_Status *status); status may be MPI_STATUS_IGNORE.</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Wait(nint* request, nint status);

    /// <summary>int MPI_Test(MPI_Request *request, int *flag, MPI_Status *status).</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Test(nint* request, int* flag, nint status);

    /// <summary>int MPI_Abort(MPI_Comm comm, int errorcode): ends every process of comm (mpirun kills the job).</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Abort(nint comm, int errorcode);

    /// <summary>int MPI_Error_string(int errorcode, char *string, int *resultlen); string holds MPI_MAX_ERROR_STRING bytes.</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Error_string(int errorcode, byte* @string, int* resultlen);

    /// <summary>int MPI_Error_class(int errorcode, int *errorclass).</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Error_class(int errorcode, int* errorclass);

    /// <summary>int MPI_Get_library_version(char *version, int *resultlen); callable before MPI_Init (MPI-3).</summary>
    [LibraryImport(NativeLibraries.Mpi)]
    public static partial int MPI_Get_library_version(byte* version, int* resultlen);

    // ---- checking ----

    /// <summary>Throws <see cref="MpiException"/> (with MPI_Error_string's text) unless status is MPI_SUCCESS.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(int status,
        [CallerArgumentExpression(nameof(status))] string call = "",
        [CallerFilePath] string file = "",
        [CallerLineNumber] int line = 0)
    {
        if (status != MPI_SUCCESS) Throw(status, call, file, line);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(int status, string call, string file, int line) =>
        throw new MpiException(status, call, ErrorClassName(status), ErrorText(status), file, line);

    /// <summary>
    /// True between MPI_Init and MPI_Finalize. Open MPI aborts the process when MPI_Error_class or MPI_Error_string is
    /// called outside that window, so the error helpers ask this first (MPI_Initialized and MPI_Finalized are always allowed).
    /// </summary>
    public static bool IsActive()
    {
        try
        {
            int initialized, finalized;
            return MPI_Initialized(&initialized) == MPI_SUCCESS && initialized != 0 &&
                MPI_Finalized(&finalized) == MPI_SUCCESS && finalized == 0;
        }
        catch (EntryPointNotFoundException) { return false; }
        catch (DllNotFoundException) { return false; }
        catch (NativeLibraryNotFoundException) { return false; }
    }

    /// <summary>MPI_Error_string's text for a code while MPI is active, otherwise (or when the library cannot say) "MPI error N".</summary>
    public static string ErrorText(int code)
    {
        if (!IsActive()) return $"MPI error {code} (MPI is not initialised, so it cannot describe it)";
        try
        {
            var buffer = stackalloc byte[MPI_MAX_ERROR_STRING + 1];
            int length;
            if (MPI_Error_string(code, buffer, &length) == MPI_SUCCESS && length > 0)
                return Marshal.PtrToStringUTF8((nint)buffer, Math.Min(length, MPI_MAX_ERROR_STRING)).Trim();
        }
        catch (EntryPointNotFoundException) { }
        catch (DllNotFoundException) { }
        catch (NativeLibraryNotFoundException) { }
        return $"MPI error {code}";
    }

    /// <summary>The name of a code's error class (MPI_ERR_COMM, ...), from mpi.h's table (MPI_Error_class while MPI is active).</summary>
    public static string ErrorClassName(int code)
    {
        // Outside MPI_Init..MPI_Finalize the code is read as a class: Open MPI's predefined codes are their classes.
        var errorClass = code;
        try
        {
            int c;
            if (IsActive() && MPI_Error_class(code, &c) == MPI_SUCCESS) errorClass = c;
        }
        catch (EntryPointNotFoundException) { }
        catch (DllNotFoundException) { }
        catch (NativeLibraryNotFoundException) { }
        return errorClass >= 0 && errorClass < ClassNames.Length ? ClassNames[errorClass] : $"MPI error class {errorClass}";
    }

    private static readonly string[] ClassNames =
    [
        "MPI_SUCCESS", "MPI_ERR_BUFFER", "MPI_ERR_COUNT", "MPI_ERR_TYPE", "MPI_ERR_TAG", "MPI_ERR_COMM", "MPI_ERR_RANK",
        "MPI_ERR_REQUEST", "MPI_ERR_ROOT", "MPI_ERR_GROUP", "MPI_ERR_OP", "MPI_ERR_TOPOLOGY", "MPI_ERR_DIMS", "MPI_ERR_ARG",
        "MPI_ERR_UNKNOWN", "MPI_ERR_TRUNCATE", "MPI_ERR_OTHER", "MPI_ERR_INTERN", "MPI_ERR_IN_STATUS", "MPI_ERR_PENDING",
        "MPI_ERR_ACCESS", "MPI_ERR_AMODE", "MPI_ERR_ASSERT", "MPI_ERR_BAD_FILE", "MPI_ERR_BASE", "MPI_ERR_CONVERSION",
        "MPI_ERR_DISP", "MPI_ERR_DUP_DATAREP", "MPI_ERR_FILE_EXISTS", "MPI_ERR_FILE_IN_USE", "MPI_ERR_FILE",
        "MPI_ERR_INFO_KEY", "MPI_ERR_INFO_NOKEY", "MPI_ERR_INFO_VALUE", "MPI_ERR_INFO", "MPI_ERR_IO", "MPI_ERR_KEYVAL",
        "MPI_ERR_LOCKTYPE", "MPI_ERR_NAME", "MPI_ERR_NO_MEM", "MPI_ERR_NOT_SAME", "MPI_ERR_NO_SPACE", "MPI_ERR_NO_SUCH_FILE",
        "MPI_ERR_PORT", "MPI_ERR_QUOTA", "MPI_ERR_READ_ONLY", "MPI_ERR_RMA_CONFLICT", "MPI_ERR_RMA_SYNC", "MPI_ERR_SERVICE",
        "MPI_ERR_SIZE", "MPI_ERR_SPAWN", "MPI_ERR_UNSUPPORTED_DATAREP", "MPI_ERR_UNSUPPORTED_OPERATION", "MPI_ERR_WIN",
    ];

    // ---- which MPI is loaded ----

    /// <summary>MPI_Get_library_version's text ("Open MPI v4.1.4, ..."), or "" when the call fails.</summary>
    public static string LibraryVersion()
    {
        var buffer = stackalloc byte[MPI_MAX_LIBRARY_VERSION_STRING + 1];
        int length;
        if (MPI_Get_library_version(buffer, &length) != MPI_SUCCESS || length <= 0) return "";
        var text = Marshal.PtrToStringUTF8((nint)buffer, Math.Min(length, MPI_MAX_LIBRARY_VERSION_STRING));
        var end = text.IndexOfAny(['\n', '\0']);
        return (end >= 0 ? text[..end] : text).Trim();
    }

    /// <summary>True when the loaded libmpi is Open MPI (it exports ompi_mpi_comm_world).</summary>
    public static bool IsOpenMpi =>
        NativeLibrary.TryGetExport(NativeLibraries.Require(NativeLibraries.Mpi), "ompi_mpi_comm_world", out _);

    /// <summary>Throws a clear <see cref="NotSupportedException"/> unless the loaded libmpi is Open MPI.</summary>
    public static void RequireOpenMpi()
    {
        if (IsOpenMpi) return;
        var path = NativeLibraries.Load(NativeLibraries.Mpi).Path;
        string version;
        try { version = LibraryVersion(); }
        catch (EntryPointNotFoundException) { version = ""; }
        var what = version.Length > 0 ? version : "an MPI that is not Open MPI";
        var mpich = version.Contains("MPICH", StringComparison.OrdinalIgnoreCase) || version.Contains("Intel", StringComparison.OrdinalIgnoreCase)
            ? " MPICH (and Intel MPI, MVAPICH) use integer handles and are not supported yet."
            : "";
        throw new NotSupportedException(
            $"{path} is {what}: NativeNets binds Open MPI's ABI (handles are addresses of ompi_mpi_* globals).{mpich} " +
            "Install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev) or point NATIVENETS_LIBRARY_PATH at its libmpi.so.40.");
    }

    private static OpenMpiHandles? _handles;

    private static OpenMpiHandles Handles => _handles ??= OpenMpiHandles.Resolve();

    private sealed record OpenMpiHandles(nint CommWorld, nint Float, nint Double, nint Int, nint LongLong, nint Byte,
        nint Sum, nint Max, nint Min, nint ErrorsReturn)
    {
        public static OpenMpiHandles Resolve()
        {
            RequireOpenMpi();
            static nint Get(string symbol) => NativeLibraries.Export(NativeLibraries.Mpi, symbol);
            return new OpenMpiHandles(Get("ompi_mpi_comm_world"), Get("ompi_mpi_float"), Get("ompi_mpi_double"), Get("ompi_mpi_int"),
                Get("ompi_mpi_long_long_int"), Get("ompi_mpi_byte"), Get("ompi_mpi_op_sum"), Get("ompi_mpi_op_max"), Get("ompi_mpi_op_min"),
                Get("ompi_mpi_errors_return"));
        }
    }
}

/// <summary>An MPI call failed; the message names the call, the error class, MPI_Error_string's text, and the file and line.</summary>
public sealed class MpiException : NativeCallException
{
    /// <summary>Builds the exception for a failed MPI call.</summary>
    public MpiException(int status, string call, string className, string text, string file, int line)
        : base(NativeLibraries.Mpi, call, status, className, text, file, line)
    {
    }
}
