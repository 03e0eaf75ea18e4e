using System.Runtime.InteropServices;

namespace NativeNets.Backends;

/// <summary>
/// Per-thread scratch memory, kept from call to call, in a few named slots so that one kernel can hold several
/// buffers at once. Hot loops allocate nothing: a managed array per call would be a large-object allocation for
/// the bigger layers, and the garbage collections it triggers cost more than the layer.
/// </summary>
internal static unsafe class CpuScratch
{
    public const int Columns = 0;
    public const int Transpose = 1;
    public const int Partial = 2;
    public const int GemmA = 3;
    public const int GemmB = 4;
    public const int GemmPart = 5;
    private const int Slots = 6;

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

    /// <summary>Like <see cref="Get"/>, zeroed.</summary>
    public static void* GetZeroed(int slot, long bytes)
    {
        var p = Get(slot, bytes);
        NativeMemory.Clear(p, (nuint)bytes);
        return p;
    }
}
