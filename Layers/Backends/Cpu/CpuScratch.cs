using System.Runtime.InteropServices;

namespace NativeNets.Backends;

/// <summary>
/// Per-thread scratch memory, kept from call to call, in a few named slots so that one kernel can hold several
/// buffers at once. Only for buffers used within one iteration of a parallel loop, start to finish, on its thread;
/// anything that outlives an iteration is rented per call (<see cref="Rent(long)"/>). Hot loops allocate nothing: a managed array per call would be a large-object allocation for
/// the bigger layers, and the garbage collections it triggers cost more than the layer.
/// </summary>
internal static unsafe class CpuScratch
{
    public const int Columns = 0;
    public const int Transpose = 1;
    public const int GemmA = 2;
    public const int GemmB = 3;
    private const int Slots = 4;

    [ThreadStatic] private static nint[]? _buffers;
    [ThreadStatic] private static long[]? _sizes;

    /// <summary>At least <paramref name="bytes"/> of 64-byte-aligned memory in this thread's <paramref name="slot"/>; contents undefined.</summary>
    public static void* Get(int slot, long bytes)
    {
        _buffers ??= new nint[Slots];
        _sizes ??= new long[Slots];
        if (_sizes[slot] < bytes)
        {
            if (_buffers[slot] != 0) NativeMemory.AlignedFree((void*)_buffers[slot]);
            var size = Math.Max(bytes, _sizes[slot] * 2);
            _buffers[slot] = (nint)NativeMemory.AlignedAlloc((nuint)size, 64);
            _sizes[slot] = size;
        }
        return (void*)_buffers[slot];
    }

    private static readonly List<(nint Pointer, long Bytes)> Pool = [];

    /// <summary>
    /// Memory that belongs to one call, not to a thread: a parallel loop may run two of its iterations on one thread, and
    /// two calls may share pool threads, so buffers that outlive one iteration (partial sums added after the loop) must
    /// not be thread-static. Zeroed; give it back with <see cref="Return"/>. Kept in a small pool, so steady state
    /// allocates nothing.
    /// </summary>
    public static void* Rent(long bytes) => Rent(bytes, zeroed: true);

    /// <summary>Like <see cref="Rent(long)"/>; <paramref name="zeroed"/> false leaves the contents undefined (the caller overwrites them).</summary>
    public static void* Rent(long bytes, bool zeroed)
    {
        nint found = 0;
        lock (Pool)
        {
            var best = -1;
            for (var i = 0; i < Pool.Count; i++)
                if (Pool[i].Bytes >= bytes && (best < 0 || Pool[i].Bytes < Pool[best].Bytes)) best = i;
            if (best >= 0)
            {
                found = Pool[best].Pointer;
                Pool.RemoveAt(best);
            }
        }
        if (found == 0) found = (nint)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), 64);
        if (zeroed) NativeMemory.Clear((void*)found, (nuint)bytes);
        Sizes[found] = Math.Max(bytes, Sizes.GetValueOrDefault(found));
        return (void*)found;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<nint, long> Sizes = new();

    public static void Return(void* pointer)
    {
        var p = (nint)pointer;
        var bytes = Sizes.GetValueOrDefault(p);
        lock (Pool)
        {
            Pool.Add((p, bytes));
            // A few buffers per size class are enough; free the smallest beyond that.
            if (Pool.Count > 16)
            {
                var smallest = 0;
                for (var i = 1; i < Pool.Count; i++) if (Pool[i].Bytes < Pool[smallest].Bytes) smallest = i;
                NativeMemory.AlignedFree((void*)Pool[smallest].Pointer);
                Sizes.TryRemove(Pool[smallest].Pointer, out _);
                Pool.RemoveAt(smallest);
            }
        }
    }

    /// <summary>Like <see cref="Get"/>, zeroed.</summary>
    public static void* GetZeroed(int slot, long bytes)
    {
        var p = Get(slot, bytes);
        NativeMemory.Clear(p, (nuint)bytes);
        return p;
    }
}
