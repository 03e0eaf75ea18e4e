using System.Runtime.InteropServices;
using NativeNets.Backends;

namespace NativeNets.Tensors;

/// <summary>
/// An n-dimensional array on one device: dims, element type, layout, and storage. A tensor made with
/// <see cref="Tensor(int[], DType, Device?, Layout)"/> owns its storage; a view made with
/// <see cref="Reshape"/> shares it and frees nothing. Host data is reached with <see cref="Span{T}"/>
/// on the CPU and copied with <see cref="CopyFrom{T}"/>/<see cref="ToArray{T}"/> on any device.
/// <para>
/// Memory is freed by <see cref="Dispose"/> (deterministically; the storage's finalizer is only a fallback) or by the
/// <see cref="TensorScope"/> the tensor was made in. Memory that an embedder owns is wrapped without a copy by
/// <see cref="FromHostMemory"/> and <see cref="FromDevicePointer"/>, and handed out through <see cref="Pointer"/>.
/// </para>
/// </summary>
public sealed unsafe class Tensor : IDisposable
{
    private readonly int[] _dims;
    private readonly bool _ownsStorage;

    public Tensor(int[] dims, DType dtype = DType.F32, Device? device = null, Layout layout = Layout.NCHW)
    {
        _dims = CheckDims(dims);
        DType = dtype;
        Layout = layout;
        Count = CountOf(_dims);
        var dev = device ?? Device.Cpu;
        Storage = Backend.For(dev).Allocate(Count * dtype.SizeOf());
        _ownsStorage = true;
        TensorScope.Track(this);
    }

    private Tensor(int[] dims, DType dtype, Layout layout, Storage storage, bool ownsStorage = false)
    {
        _dims = dims;
        DType = dtype;
        Layout = layout;
        Count = CountOf(dims);
        Storage = storage;
        _ownsStorage = ownsStorage;
        if (ownsStorage) TensorScope.Track(this);
    }

    /// <summary>
    /// A CPU tensor over host memory that the caller owns, without a copy: ops read and write that memory. The tensor never
    /// frees it (its <see cref="Dispose"/> ends the wrapper only); the memory must hold <c>product(dims) * dtype size</c> bytes
    /// and stay valid, and not move (pin managed arrays), while the tensor is used.
    /// </summary>
    public static Tensor FromHostMemory(nint pointer, int[] dims, DType dtype, Layout layout = Layout.NCHW) =>
        Wrap(pointer, dims, dtype, Device.Cpu, layout);

    /// <summary>
    /// A tensor over device memory that the caller owns (from cuMemAlloc, another library, another framework), without a
    /// copy. The tensor never frees it; the memory must hold <c>product(dims) * dtype size</c> bytes on
    /// <paramref name="device"/>, in its primary context's address space, and stay allocated while the tensor is used. Work
    /// that writes it elsewhere must be ordered with the backend's stream (see <see cref="CudaBackend.Stream"/>).
    /// </summary>
    public static Tensor FromDevicePointer(nint devicePointer, int[] dims, DType dtype, Device device, Layout layout = Layout.NCHW) =>
        Wrap(devicePointer, dims, dtype, device, layout);

    /// <summary>A tensor that owns <paramref name="storage"/> (made by a backend: pinned host memory, for one), which must hold it.</summary>
    internal static Tensor OverStorage(Storage storage, int[] dims, DType dtype, Layout layout)
    {
        var d = CheckDims(dims);
        var bytes = CountOf(d) * dtype.SizeOf();
        if (storage.Bytes < bytes)
            throw new ArgumentException($"a storage of {storage.Bytes} bytes cannot hold {FormatDims(d)} {dtype.Name()} ({bytes} bytes)", nameof(storage));
        return new Tensor(d, dtype, layout, storage, ownsStorage: true);
    }

    private static Tensor Wrap(nint pointer, int[] dims, DType dtype, Device device, Layout layout)
    {
        var d = CheckDims(dims);
        var storage = new ExternalStorage(pointer, CountOf(d) * dtype.SizeOf(), device);
        return new Tensor(d, dtype, layout, storage, ownsStorage: true);
    }

    public static Tensor Zeros(DType dtype, params int[] dims) => new(dims, dtype);

    public static Tensor Zeros(params int[] dims) => new(dims);

    /// <summary>A CPU F32 tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(float[] data, params int[] dims) => From<float>(data, DType.F32, dims);

    public static Tensor FromArray(double[] data, params int[] dims) => From<double>(data, DType.F64, dims);

    public static Tensor FromArray(int[] data, params int[] dims) => From<int>(data, DType.I32, dims);

    public static Tensor FromArray(byte[] data, params int[] dims) => From<byte>(data, DType.U8, dims);

    private static Tensor From<T>(ReadOnlySpan<T> data, DType dtype, int[] dims) where T : unmanaged
    {
        var t = new Tensor(dims, dtype);
        if (data.Length != t.Count)
        {
            t.Dispose();
            throw new ArgumentException($"{data.Length} values do not fill a tensor of shape {FormatDims(dims)} ({t.Count} elements)");
        }
        t.CopyFrom(data);
        return t;
    }

    public ReadOnlySpan<int> Dims => _dims;
    public int Rank => _dims.Length;
    public long Count { get; }
    public DType DType { get; }
    public Layout Layout { get; }
    public Storage Storage { get; }
    public Device Device => Storage.Device;
    public Backend Backend => Backend.For(Storage.Device);
    public long Bytes => Count * DType.SizeOf();
    /// <summary>
    /// The address of the first element: a host address for a CPU tensor, a device address (CUdeviceptr) for a CUDA tensor.
    /// Valid while the tensor (for a view: the tensor it views) is not disposed; on CUDA, work queued on the backend's
    /// <see cref="CudaBackend.Stream"/> may still be writing it, so order foreign reads after it (see the stream's remarks).
    /// </summary>
    public nint Pointer => Storage.Pointer;

    public int this[int axis] => _dims[axis < 0 ? _dims.Length + axis : axis];

    public int[] Shape => (int[])_dims.Clone();

    /// <summary>Rows and columns when the tensor is read as a matrix: the first dim by the product of the rest.</summary>
    public (int Rows, int Cols) AsMatrix => Rank == 0 ? (1, 1) : (_dims[0], checked((int)(Count / Math.Max(1, _dims[0]))));

    /// <summary>The elements of a CPU tensor, typed. <typeparamref name="T"/> must match the dtype's size.</summary>
    public Span<T> Span<T>() where T : unmanaged
    {
        if (Device.Kind != DeviceKind.Cpu)
            throw new InvalidOperationException($"Span<{typeof(T).Name}> needs a CPU tensor; this one is on {Device}: copy it with ToArray");
        if (sizeof(T) != DType.SizeOf())
            throw new InvalidOperationException($"cannot view a {DType.Name()} tensor as {typeof(T).Name}");
        return new Span<T>((void*)Storage.Pointer, checked((int)Count));
    }

    public void CopyFrom<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        if ((long)data.Length * sizeof(T) != Bytes)
            throw new ArgumentException($"{data.Length} x {sizeof(T)} bytes do not fill a {DType.Name()} tensor of shape {ShapeText} ({Bytes} bytes)");
        fixed (T* p = data) Backend.CopyFromHost((nint)p, this);
    }

    /// <summary>
    /// A copy on <paramref name="device"/>, with the same dims, dtype and layout; the caller owns it. Between a CPU and a GPU
    /// the bytes go straight between host memory and the device; between two GPUs, through host memory.
    /// </summary>
    public Tensor CopyTo(Device device)
    {
        var copy = new Tensor(_dims, DType, device, Layout);
        try
        {
            if (device == Device) Backend.Copy(this, copy);
            else if (Device.Kind == DeviceKind.Cpu) copy.Backend.CopyFromHost(Pointer, copy);
            else if (device.Kind == DeviceKind.Cpu) Backend.CopyToHost(this, copy.Pointer);
            else
            {
                var staging = new byte[Bytes];
                fixed (byte* p = staging)
                {
                    Backend.CopyToHost(this, (nint)p);
                    copy.Backend.CopyFromHost((nint)p, copy);
                }
            }
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    public T[] ToArray<T>() where T : unmanaged
    {
        if (sizeof(T) != DType.SizeOf())
            throw new InvalidOperationException($"cannot read a {DType.Name()} tensor as {typeof(T).Name}");
        var result = new T[Count];
        fixed (T* p = result) Backend.CopyToHost(this, (nint)p);
        return result;
    }

    /// <summary>A view with other dims over the same storage; it does not free the storage.</summary>
    public Tensor Reshape(params int[] dims)
    {
        var d = (int[])dims.Clone();
        var infer = Array.IndexOf(d, -1);
        if (infer >= 0)
        {
            long rest = 1;
            for (var i = 0; i < d.Length; i++) if (i != infer) rest *= d[i];
            if (rest == 0 || Count % rest != 0)
                throw new ArgumentException($"cannot reshape {ShapeText} to {FormatDims(dims)}");
            d[infer] = (int)(Count / rest);
        }
        CheckDims(d);
        if (CountOf(d) != Count)
            throw new ArgumentException($"cannot reshape {ShapeText} ({Count} elements) to {FormatDims(d)} ({CountOf(d)} elements)");
        return new Tensor(d, DType, Layout, Storage);
    }

    /// <summary>
    /// A view of the same memory tagged with another layout; nothing moves. Right where the memory is the same in both
    /// layouts ([N, C, 1, 1], or one channel), or where the view is only copied whole (a batch's images); to reorder the
    /// values, use Backend.ConvertLayout.
    /// </summary>
    public Tensor WithLayout(Layout layout) => layout == Layout ? Reshape(_dims) : new Tensor((int[])_dims.Clone(), DType, layout, Storage);

    /// <summary>
    /// Whether memory of these dims is the same in NCHW and NHWC order: anything but a 4-D [N, C, H, W], or one with a
    /// 1 x 1 plane or a single channel. Such a tensor goes with either layout.
    /// </summary>
    internal static bool SameInBothLayouts(ReadOnlySpan<int> dims) => dims.Length != 4 || dims[2] * dims[3] == 1 || dims[1] == 1;

    public bool SameShape(Tensor other) => _dims.AsSpan().SequenceEqual(other._dims);

    public string ShapeText => FormatDims(_dims);

    public override string ToString() => $"Tensor({ShapeText}, {DType.Name()}, {Layout}, {Device})";

    /// <summary>Frees the storage this tensor owns (views free nothing; wrapped memory is not freed). Safe to call more than once.</summary>
    public void Dispose()
    {
        if (_ownsStorage) Storage.Dispose();
    }

    public static string FormatDims(ReadOnlySpan<int> dims)
    {
        var parts = new string[dims.Length];
        for (var i = 0; i < dims.Length; i++) parts[i] = dims[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return "[" + string.Join(", ", parts) + "]";
    }

    private static int[] CheckDims(int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        foreach (var d in dims)
            if (d < 0) throw new ArgumentException($"negative dimension in shape {FormatDims(dims)}", nameof(dims));
        return (int[])dims.Clone();
    }

    /// <summary>Bytes of a tensor of <paramref name="dims"/> in <paramref name="dtype"/>, after the same checks as the constructors (for backends that allocate their own storage).</summary>
    internal static long BytesOf(int[] dims, DType dtype) => checked(CountOf(CheckDims(dims)) * dtype.SizeOf());

    private static long CountOf(int[] dims)
    {
        long n = 1;
        foreach (var d in dims) n = checked(n * d);
        return n;
    }
}
