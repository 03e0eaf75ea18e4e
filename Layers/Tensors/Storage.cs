using System.Runtime.InteropServices;

namespace NativeNets.Tensors;

/// <summary>
/// A block of memory on one device. Tensors own or share a storage; the storage frees its memory
/// once, when it is disposed (deterministically) or finalised (as a fallback).
/// </summary>
public abstract class Storage : IDisposable
{
    protected Storage(Device device, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Device = device;
        Bytes = bytes;
    }

    public Device Device { get; }
    public long Bytes { get; }

    /// <summary>Address of the first byte: a host address for CPU storage, a device address otherwise.</summary>
    public abstract nint Pointer { get; }

    public bool IsDisposed { get; private set; }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Free();
        GC.SuppressFinalize(this);
    }

    ~Storage()
    {
        if (!IsDisposed) Free();
    }

    protected abstract void Free();
}

/// <summary>Host memory aligned to 64 bytes (one cache line, one AVX-512 vector).</summary>
public sealed unsafe class CpuStorage : Storage
{
    public const int Alignment = 64;
    private static long _liveBytes;
    private static long _peakLiveBytes;
    private void* _ptr;
    private readonly long _allocated;

    public CpuStorage(long bytes) : base(Device.Cpu, bytes)
    {
        var alloc = AllocationBytes(bytes);
        _ptr = NativeMemory.AlignedAlloc(alloc, Alignment);
        NativeMemory.Clear(_ptr, alloc);
        _allocated = (long)alloc;
        var live = Interlocked.Add(ref _liveBytes, _allocated);
        for (var peak = Interlocked.Read(ref _peakLiveBytes); live > peak; peak = Interlocked.Read(ref _peakLiveBytes))
            if (Interlocked.CompareExchange(ref _peakLiveBytes, live, peak) == peak) break;
    }

    /// <summary>
    /// Bytes to allocate for <paramref name="bytes"/> of host tensor: rounded up to whole vectors, so that vector loops may
    /// read whole vectors past the last element of a row.
    /// </summary>
    internal static nuint AllocationBytes(long bytes) => (nuint)Math.Max(Alignment, (bytes + Alignment - 1) / Alignment * Alignment);

    /// <summary>
    /// Native bytes held by CPU tensors in this process right now (allocated and not yet freed), for finding leaks: it
    /// returns to its earlier value once everything made since is disposed.
    /// </summary>
    public static long LiveBytes => Interlocked.Read(ref _liveBytes);

    /// <summary>The most <see cref="LiveBytes"/> has been since the last <see cref="ResetPeakLiveBytes"/> (process-wide).</summary>
    public static long PeakLiveBytes => Interlocked.Read(ref _peakLiveBytes);

    public static void ResetPeakLiveBytes() => Interlocked.Exchange(ref _peakLiveBytes, LiveBytes);

    public override nint Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return (nint)_ptr;
        }
    }

    protected override void Free()
    {
        if (_ptr == null) return;
        NativeMemory.AlignedFree(_ptr);
        _ptr = null;
        Interlocked.Add(ref _liveBytes, -_allocated);
    }
}

/// <summary>
/// Memory that someone else owns (an embedder's host buffer or device allocation), seen as a storage without a copy.
/// Disposing it ends the wrapper only: the memory is never freed here, and its owner must keep it alive, and not free
/// it, while any tensor over it is in use. Made by <see cref="Tensor.FromHostMemory"/> and <see cref="Tensor.FromDevicePointer"/>.
/// </summary>
public sealed class ExternalStorage : Storage
{
    private nint _pointer;

    /// <summary>Wraps <paramref name="bytes"/> bytes at <paramref name="pointer"/> (a host address for <see cref="Device.Cpu"/>, a device address otherwise).</summary>
    public ExternalStorage(nint pointer, long bytes, Device device) : base(device, bytes)
    {
        if (pointer == 0 && bytes > 0) throw new ArgumentException($"a null pointer cannot hold {bytes} bytes", nameof(pointer));
        _pointer = pointer;
        GC.SuppressFinalize(this); // nothing to free
    }

    public override nint Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return _pointer;
        }
    }

    /// <summary>Forgets the address; the memory stays its owner's.</summary>
    protected override void Free() => _pointer = 0;
}
