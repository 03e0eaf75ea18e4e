using NativeNets.Native;
using NativeNets.Tensors;

namespace NativeNets.Backends;

/// <summary>
/// Host memory page-locked by the CUDA driver (cuMemHostAlloc), as a CPU storage: the CPU backend reads and writes it
/// like any host memory, and copies from it to a device go there by DMA, without the driver's staging copy through a
/// pinned bounce buffer. Made by <see cref="CudaBackend.NewPinnedHostTensor"/>; disposing it unpins and frees the memory.
/// </summary>
public sealed class PinnedHostStorage : Storage
{
    private PinnedHostBuffer? _buffer;

    internal PinnedHostStorage(PinnedHostBuffer buffer, long bytes) : base(Device.Cpu, bytes)
    {
        if ((long)buffer.Bytes < bytes) throw new ArgumentException($"a pinned buffer of {buffer.Bytes} bytes cannot hold {bytes}", nameof(bytes));
        _buffer = buffer;
    }

    public override nint Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return _buffer!.Pointer;
        }
    }

    protected override void Free()
    {
        _buffer?.Dispose();
        _buffer = null;
    }
}
