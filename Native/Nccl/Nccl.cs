using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

#pragma warning disable CA1069 // the header gives aliases the same value on purpose
#pragma warning disable CA1707 // native names keep their underscores

namespace NativeNets.Native;

/// <summary>Status of every NCCL call (nccl.h <c>ncclResult_t</c>).</summary>
public enum ncclResult_t
{
    /// <summary>No error.</summary>
    ncclSuccess = 0,
    /// <summary>A CUDA call inside NCCL failed.</summary>
    ncclUnhandledCudaError = 1,
    /// <summary>A system call failed (network, shared memory, ...).</summary>
    ncclSystemError = 2,
    /// <summary>Internal NCCL error.</summary>
    ncclInternalError = 3,
    /// <summary>An argument is invalid.</summary>
    ncclInvalidArgument = 4,
    /// <summary>NCCL was used incorrectly (e.g. mismatched collectives across ranks).</summary>
    ncclInvalidUsage = 5,
    /// <summary>A remote rank failed or disconnected.</summary>
    ncclRemoteError = 6,
    /// <summary>A non-blocking operation is still in progress.</summary>
    ncclInProgress = 7,
    /// <summary>An operation timed out. Present in current nccl.h (after 2.28); older libraries never return it.</summary>
    ncclTimeout = 8,
    // ncclNumResults is left out on purpose: it is a count, 8 in NCCL up to 2.27 and 9 once ncclTimeout exists.
}

/// <summary>Element types of NCCL buffers (nccl.h <c>ncclDataType_t</c>, NCCL 2.24+).</summary>
public enum ncclDataType_t
{
    /// <summary>signed char.</summary>
    ncclInt8 = 0,
    /// <summary>Alias of ncclInt8.</summary>
    ncclChar = 0,
    /// <summary>unsigned char.</summary>
    ncclUint8 = 1,
    /// <summary>int.</summary>
    ncclInt32 = 2,
    /// <summary>Alias of ncclInt32.</summary>
    ncclInt = 2,
    /// <summary>unsigned int.</summary>
    ncclUint32 = 3,
    /// <summary>long long.</summary>
    ncclInt64 = 4,
    /// <summary>unsigned long long.</summary>
    ncclUint64 = 5,
    /// <summary>half.</summary>
    ncclFloat16 = 6,
    /// <summary>Alias of ncclFloat16.</summary>
    ncclHalf = 6,
    /// <summary>float.</summary>
    ncclFloat32 = 7,
    /// <summary>Alias of ncclFloat32.</summary>
    ncclFloat = 7,
    /// <summary>double.</summary>
    ncclFloat64 = 8,
    /// <summary>Alias of ncclFloat64.</summary>
    ncclDouble = 8,
    /// <summary>bfloat16.</summary>
    ncclBfloat16 = 9,
    /// <summary>fp8 e4m3 (sm_90+).</summary>
    ncclFloat8e4m3 = 10,
    /// <summary>fp8 e5m2 (sm_90+).</summary>
    ncclFloat8e5m2 = 11,
    /// <summary>Number of types.</summary>
    ncclNumTypes = 12,
}

/// <summary>Reduction operators (nccl.h <c>ncclRedOp_t</c>); values from ncclNumOps up are ops made by ncclRedOpCreate*.</summary>
public enum ncclRedOp_t
{
    /// <summary>Sum.</summary>
    ncclSum = 0,
    /// <summary>Product.</summary>
    ncclProd = 1,
    /// <summary>Maximum.</summary>
    ncclMax = 2,
    /// <summary>Minimum.</summary>
    ncclMin = 3,
    /// <summary>Average (sum divided by the number of ranks).</summary>
    ncclAvg = 4,
    /// <summary>Number of built-in operators; the smallest value of a user-created operator.</summary>
    ncclNumOps = 5,
    /// <summary>Largest valid operator value (0x7fffffff for a 4-byte enum).</summary>
    ncclMaxRedOp = 0x7fffffff,
}

/// <summary>The 128-byte id (nccl.h <c>ncclUniqueId</c>, NCCL_UNIQUE_ID_BYTES) rank 0 makes and every rank passes to ncclCommInitRank.</summary>
[InlineArray(128)]
public struct ncclUniqueId
{
    private byte _internal;
}

/// <summary>
/// Raw bindings of NCCL (libnccl.so.2), checked against nccl.h (2.28 series and current). ncclComm_t and
/// cudaStream_t are nint (a cudaStream_t is a CUstream); buffers are device pointers (nint).
/// </summary>
public static unsafe partial class Nccl
{
    /// <summary>NCCL's version code: major*10000 + minor*100 + patch (22805 for 2.28.5).</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclGetVersion(int* version);

    /// <summary>Makes a new unique id (on rank 0) to be shared with all ranks.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclGetUniqueId(ncclUniqueId* uniqueId);

    /// <summary>Creates this rank's communicator; the id is passed by value. Blocks until all nranks ranks join; the CUDA device must be current.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclCommInitRank(nint* comm, int nranks, ncclUniqueId commId, int rank);

    /// <summary>Creates ndev communicators in one process, one per device of devlist (null: devices 0..ndev-1).</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclCommInitAll(nint* comm, int ndev, int* devlist);

    /// <summary>Frees a communicator's local resources.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclCommDestroy(nint comm);

    /// <summary>Frees a communicator and aborts its in-flight operations (after an error or a timeout).</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclCommAbort(nint comm);

    /// <summary>Asynchronous error of a communicator (network failure, remote rank failure).</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclCommGetAsyncError(nint comm, ncclResult_t* asyncError);

    /// <summary>Number of ranks in the communicator.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclCommCount(nint comm, int* count);

    /// <summary>CUDA device of the communicator.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclCommCuDevice(nint comm, int* device);

    /// <summary>This rank's index in the communicator.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclCommUserRank(nint comm, int* rank);

    /// <summary>Reduces count elements across ranks; every rank gets the result (in place when sendbuff == recvbuff).</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclAllReduce(nint sendbuff, nint recvbuff, nuint count, ncclDataType_t datatype, ncclRedOp_t op, nint comm, nint stream);

    /// <summary>Copies count elements from root to every rank.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclBroadcast(nint sendbuff, nint recvbuff, nuint count, ncclDataType_t datatype, int root, nint comm, nint stream);

    /// <summary>Reduces nranks*recvcount elements; rank i gets block i of recvcount elements.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclReduceScatter(nint sendbuff, nint recvbuff, nuint recvcount, ncclDataType_t datatype, ncclRedOp_t op, nint comm, nint stream);

    /// <summary>Gathers sendcount elements from every rank; rank i's block lands at offset i*sendcount.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclAllGather(nint sendbuff, nint recvbuff, nuint sendcount, ncclDataType_t datatype, nint comm, nint stream);

    /// <summary>Starts a group: the collectives until ncclGroupEnd are fused and launched together.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclGroupStart();

    /// <summary>Ends a group and launches its operations.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial ncclResult_t ncclGroupEnd();

    /// <summary>Static description of a status.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial byte* ncclGetErrorString(ncclResult_t result);

    /// <summary>Human-readable message of the last error (the comm argument may be 0; NCCL keeps the last error itself).</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    public static partial byte* ncclGetLastError(nint comm);

    /// <summary>Throws <see cref="NcclException"/> (with ncclGetLastError's text) unless status is ncclSuccess.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(ncclResult_t status,
        [CallerArgumentExpression(nameof(status))] string call = "",
        [CallerFilePath] string file = "",
        [CallerLineNumber] int line = 0)
    {
        if (status != ncclResult_t.ncclSuccess) Throw(status, call, file, line);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(ncclResult_t status, string call, string file, int line)
    {
        var lastError = LastError();
        throw new NcclException(status, call, ErrorText(status), lastError, file, line);
    }

    /// <summary>NCCL's description of a status when libnccl is loaded; otherwise the enum name.</summary>
    public static string ErrorText(ncclResult_t status)
    {
        if (NativeLibraries.Load(NativeLibraries.Nccl).Found)
        {
            try
            {
                var text = Marshal.PtrToStringUTF8((nint)ncclGetErrorString(status));
                if (!string.IsNullOrEmpty(text)) return text;
            }
            catch (EntryPointNotFoundException) { }
        }
        return Enum.IsDefined(status) ? status.ToString() : $"NCCL error {(int)status}";
    }

    /// <summary>ncclGetLastError's message, or "" when libnccl is not loaded or has none.</summary>
    public static string LastError()
    {
        if (!NativeLibraries.Load(NativeLibraries.Nccl).Found) return "";
        try
        {
            return Marshal.PtrToStringUTF8((nint)ncclGetLastError(0))?.Trim() ?? "";
        }
        catch (EntryPointNotFoundException) { return ""; }
    }

    /// <summary>The loaded NCCL's version as (major, minor, patch).</summary>
    public static (int Major, int Minor, int Patch) Version()
    {
        int code;
        Check(ncclGetVersion(&code));
        // NCCL_VERSION(X,Y,Z): X*1000+Y*100+Z up to 2.8, X*10000+Y*100+Z from 2.9 on.
        return code >= 10000 ? (code / 10000, code / 100 % 100, code % 100) : (code / 1000, code / 100 % 10, code % 100);
    }

    /// <summary>A new unique id (call on one rank, then send its 128 bytes to the others).</summary>
    public static ncclUniqueId NewUniqueId()
    {
        ncclUniqueId id;
        Check(ncclGetUniqueId(&id));
        return id;
    }
}

/// <summary>An NCCL call failed; the message names the call, the status, NCCL's last-error text, and the file and line.</summary>
public sealed class NcclException : NativeCallException
{
    /// <summary>Builds the exception for a failed NCCL call.</summary>
    public NcclException(ncclResult_t status, string call, string statusText, string lastError, string file, int line)
        : base(NativeLibraries.Nccl, call, (int)status, Enum.IsDefined(status) ? status.ToString() : $"NCCL error {(int)status}",
            string.IsNullOrEmpty(lastError) ? statusText : $"{statusText}; last error: {lastError}", file, line)
    {
        Result = status;
        LastError = lastError;
    }

    /// <summary>The status the call returned.</summary>
    public ncclResult_t Result { get; }

    /// <summary>ncclGetLastError's message at the time of the failure ("" if none).</summary>
    public string LastError { get; }
}

/// <summary>An NCCL communicator (ncclComm_t); disposing destroys it (ncclCommDestroy), <see cref="Abort"/> aborts it.</summary>
public sealed unsafe class NcclCommunicator : SafeHandleZeroOrMinusOneIsInvalid
{
    private NcclCommunicator() : base(ownsHandle: true) { }

    /// <summary>The ncclComm_t handle.</summary>
    public nint Handle => handle;

    /// <summary>Joins the communicator of nranks ranks as rank; the CUDA context of this rank's device must be current.</summary>
    public static NcclCommunicator InitRank(int nranks, ncclUniqueId id, int rank)
    {
        if (nranks < 1) throw new ArgumentOutOfRangeException(nameof(nranks), nranks, "a communicator needs at least one rank");
        if (rank < 0 || rank >= nranks) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {nranks})");
        nint comm;
        Nccl.Check(Nccl.ncclCommInitRank(&comm, nranks, id, rank));
        var result = new NcclCommunicator();
        result.SetHandle(comm);
        return result;
    }

    /// <summary>One communicator per listed device, all in this process (for single-process multi-GPU).</summary>
    public static NcclCommunicator[] InitAll(IReadOnlyList<int> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var comms = new nint[devices.Count];
        var list = devices.ToArray();
        fixed (nint* c = comms)
        fixed (int* d = list)
            Nccl.Check(Nccl.ncclCommInitAll(c, list.Length, d));
        return comms.Select(h =>
        {
            var comm = new NcclCommunicator();
            comm.SetHandle(h);
            return comm;
        }).ToArray();
    }

    /// <summary>Number of ranks.</summary>
    public int Count
    {
        get
        {
            int n;
            Nccl.Check(Nccl.ncclCommCount(handle, &n));
            return n;
        }
    }

    /// <summary>This communicator's CUDA device.</summary>
    public int CuDevice
    {
        get
        {
            int d;
            Nccl.Check(Nccl.ncclCommCuDevice(handle, &d));
            return d;
        }
    }

    /// <summary>This rank's index.</summary>
    public int UserRank
    {
        get
        {
            int r;
            Nccl.Check(Nccl.ncclCommUserRank(handle, &r));
            return r;
        }
    }

    /// <summary>The communicator's asynchronous error state (ncclSuccess when healthy, ncclInProgress while busy).</summary>
    public ncclResult_t AsyncError()
    {
        ncclResult_t e;
        Nccl.Check(Nccl.ncclCommGetAsyncError(handle, &e));
        return e;
    }

    /// <summary>Aborts in-flight operations and frees the communicator (instead of Dispose, after a failure).</summary>
    public void Abort()
    {
        if (IsClosed || IsInvalid) return;
        var h = handle;
        SetHandleAsInvalid();
        Nccl.Check(Nccl.ncclCommAbort(h));
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => Nccl.ncclCommDestroy(handle) == ncclResult_t.ncclSuccess;
}
