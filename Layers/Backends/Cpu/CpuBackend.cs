using System.Runtime.CompilerServices;
using NativeNets.Tensors;

namespace NativeNets.Backends;

/// <summary>
/// The managed CPU backend: the reference the CUDA backend is tested against. F32 paths are vectorised
/// (Vector256/Vector512 through hand-written kernels and TensorPrimitives) and multi-threaded; the F64
/// paths are plain and exist for float64 gradient checks. One file per kernel family.
/// </summary>
public sealed unsafe partial class CpuBackend : Backend
{
    public static CpuBackend Instance { get; } = new();

    private CpuBackend() { }

    public override Device Device => Device.Cpu;
    public override string Name => $"cpu ({Environment.ProcessorCount} threads, {CpuFeatures.Describe()})";

    /// <summary>Threads the kernels split work over; the machine's logical processors unless NATIVENETS_CPU_THREADS says otherwise.</summary>
    public static int Threads { get; } = ReadThreads();

    private static int ReadThreads()
    {
        var s = Environment.GetEnvironmentVariable("NATIVENETS_CPU_THREADS");
        return int.TryParse(s, out var n) && n > 0 ? n : Environment.ProcessorCount;
    }

    public override Storage Allocate(long bytes) => new CpuStorage(bytes);

    public override void CopyFromHost(nint source, Tensor destination)
    {
        Check.OnDevice(nameof(CopyFromHost), Device, destination);
        Buffer.MemoryCopy((void*)source, (void*)destination.Pointer, destination.Bytes, destination.Bytes);
    }

    public override void CopyToHost(Tensor source, nint destination)
    {
        Check.OnDevice(nameof(CopyToHost), Device, source);
        Buffer.MemoryCopy((void*)source.Pointer, (void*)destination, source.Bytes, source.Bytes);
    }

    public override void Copy(Tensor source, Tensor destination)
    {
        Check.OnDevice(nameof(Copy), Device, source, destination);
        Check.SameDType(nameof(Copy), source, destination);
        Check.SameCount(nameof(Copy), source, destination);
        Buffer.MemoryCopy((void*)source.Pointer, (void*)destination.Pointer, destination.Bytes, source.Bytes);
    }

    public override void GatherRows(Tensor source, ReadOnlySpan<int> rowIndices, Tensor destination)
    {
        var (_, cols) = Check.GatherRows(nameof(GatherRows), Device, source, rowIndices, destination);
        var rowBytes = (long)cols * source.DType.SizeOf();
        var src = (byte*)source.Pointer;
        var dst = (byte*)destination.Pointer;
        for (var i = 0; i < rowIndices.Length; i++)
            Buffer.MemoryCopy(src + rowIndices[i] * rowBytes, dst + i * rowBytes, rowBytes, rowBytes);
    }

    public override void Synchronize() { }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Span<T> S<T>(Tensor t) where T : unmanaged => new((void*)t.Pointer, checked((int)t.Count));
}
