using NativeNets.Tensors;

namespace NativeNets.Backends;

// Elementwise ops: runtime/kernels/elementwise.cu, grid-stride loops of 256 threads per block.
public sealed unsafe partial class CudaBackend
{
    private const uint Threads = 256;
    private const string Elementwise = "elementwise.cu";

    /// <summary>Enough blocks to cover n elements once, capped where grid-stride loops take over (a few waves of the GPU).</summary>
    private uint BlocksFor(long n) => (uint)Math.Clamp((n + Threads - 1) / Threads, n == 0 ? 0 : 1, Math.Max(1, Info.Multiprocessors) * 32L);

    private void LaunchElementwise(string file, string kernel, long n, ref KernelArgs args) =>
        _kernels.Launch(file, kernel, BlocksFor(n), 1, Threads, 0, ref args);

    private static string ShortName(DType d) => d switch
    {
        DType.F32 => "f32",
        DType.F64 => "f64",
        DType.F16 => "f16",
        DType.BF16 => "bf16",
        DType.U8 => "u8",
        DType.I32 => "i32",
        _ => throw new NotSupportedException($"dtype {d.Name()} has no CUDA kernels"),
    };

    public override void Fill(Tensor x, double value)
    {
        Check.OnDevice(nameof(Fill), Device, x);
        var args = new KernelArgs().Ptr(x.Pointer).I64(x.Count);
        switch (x.DType)
        {
            case DType.F32: args = args.F32((float)value); break;
            case DType.F64: args = args.F64(value); break;
            case DType.I32: args = args.I32(checked((int)value)); break;
            case DType.U8: args = args.I32(checked((byte)value)); break;
            case DType.F16 or DType.BF16: args = args.F64(value); break;
            default: throw Unsupported(nameof(Fill), x);
        }
        LaunchElementwise(Elementwise, $"nn_fill_{ShortName(x.DType)}", x.Count, ref args);
    }

    /// <summary>A scalar in the kernel's arithmetic type: f64 for F64 tensors, f32 otherwise (F16 / BF16 kernels compute in float).</summary>
    private static KernelArgs Scalar(KernelArgs args, Tensor like, double value) =>
        like.DType == DType.F64 ? args.F64(value) : args.F32((float)value);

    public override void Scale(Tensor x, double alpha)
    {
        const string op = nameof(Scale);
        Check.OnDevice(op, Device, x);
        var args = Scalar(new KernelArgs().Ptr(x.Pointer).I64(x.Count), x, alpha);
        LaunchElementwise(Elementwise, $"nn_scale_{Suffix(op, x)}", x.Count, ref args);
    }

    public override void Axpy(double alpha, Tensor x, Tensor y)
    {
        const string op = nameof(Axpy);
        ReducedType(op, new("x", x), new("y", y));
        Check.OnDevice(op, Device, x, y);
        Check.SameDType(op, x, y);
        Check.SameCount(op, x, y);
        var args = Scalar(new KernelArgs().Ptr(x.Pointer).Ptr(y.Pointer).I64(x.Count), x, alpha);
        LaunchElementwise(Elementwise, $"nn_axpy_{Suffix(op, x)}", x.Count, ref args);
    }

    public override void ScaleShift(Tensor source, Tensor destination, double scale, double shift)
    {
        const string op = nameof(ScaleShift);
        // F16 / BF16: from U8 or from the same dtype (the CPU widens both and runs its F32 path), rounded once.
        ReducedType(op, new("source", source), new("destination", destination));
        Check.OnDevice(op, Device, source, destination);
        Check.SameCount(op, source, destination);
        Check.DType(op, "destination", destination, DType.F32, DType.F64, DType.F16, DType.BF16);
        Check.DType(op, "source", source, DType.U8, DType.F32, DType.F64, DType.F16, DType.BF16);
        var args = new KernelArgs().Ptr(source.Pointer).Ptr(destination.Pointer).I64(source.Count).F64(scale).F64(shift);
        LaunchElementwise(Elementwise, $"nn_scale_shift_{ShortName(source.DType)}_{ShortName(destination.DType)}", source.Count, ref args);
    }

    public override void Cast(Tensor source, Tensor destination)
    {
        const string op = nameof(Cast);
        Check.OnDevice(op, Device, source, destination);
        Check.SameCount(op, source, destination);
        if (source.DType == destination.DType)
        {
            Copy(source, destination);
            return;
        }
        using var error = new ScratchBuffer(this, sizeof(int));
        var args = new KernelArgs().Ptr(source.Pointer).Ptr(destination.Pointer).I64(source.Count).Ptr(error.Pointer);
        LaunchElementwise(Elementwise, $"nn_cast_{ShortName(source.DType)}_{ShortName(destination.DType)}", source.Count, ref args);
        if (destination.DType == DType.I32)
        {
            // The CPU backend refuses a value that does not fit an int (checked); the kernel flags the first one.
            var bad = Download<int>(error.Pointer, 1)[0];
            if (bad != 0) throw new OverflowException($"{op}: element {bad - 1} of {source} does not fit in an I32");
        }
    }

    public override void AddRowVector(Tensor y, Tensor bias)
    {
        const string op = nameof(AddRowVector);
        ReducedType(op, new("y", y), new("bias", bias));
        var (rows, cols) = Check.RowVector(op, Device, y, bias);
        var args = new KernelArgs().Ptr(y.Pointer).Ptr(bias.Pointer).I32(rows).I32(cols);
        _kernels.Launch(Elementwise, $"nn_add_row_vector_{Suffix(op, y)}", (uint)Math.Min((cols + 255) / 256, 65535), (uint)Math.Min(rows, 65535), Threads, 0, ref args);
    }

    public override void Relu(Tensor x, Tensor y)
    {
        ReducedType(nameof(Relu), new("x", x), new("y", y));
        Unary(nameof(Relu), "nn_relu", x, y);
    }

    public override void Tanh(Tensor x, Tensor y)
    {
        ReducedType(nameof(Tanh), new("x", x), new("y", y));
        Unary(nameof(Tanh), "nn_tanh", x, y);
    }

    public override void ReluBackward(Tensor y, Tensor dy, Tensor dx)
    {
        ReducedType(nameof(ReluBackward), new("y", y), new("dy", dy), new("dx", dx));
        Binary(nameof(ReluBackward), "nn_relu_backward", y, dy, dx);
    }

    public override void TanhBackward(Tensor y, Tensor dy, Tensor dx)
    {
        ReducedType(nameof(TanhBackward), new("y", y), new("dy", dy), new("dx", dx));
        Binary(nameof(TanhBackward), "nn_tanh_backward", y, dy, dx);
    }

    public override void Add(Tensor a, Tensor b, Tensor y)
    {
        ReducedType(nameof(Add), new("a", a), new("b", b), new("y", y));
        Binary(nameof(Add), "nn_add", a, b, y);
    }

    private void Unary(string op, string kernel, Tensor x, Tensor y)
    {
        Check.OnDevice(op, Device, x, y);
        Check.SameDType(op, x, y);
        Check.SameCount(op, x, y);
        var args = new KernelArgs().Ptr(x.Pointer).Ptr(y.Pointer).I64(x.Count);
        LaunchElementwise(Elementwise, $"{kernel}_{Suffix(op, x)}", x.Count, ref args);
    }

    private void Binary(string op, string kernel, Tensor a, Tensor b, Tensor y)
    {
        Check.OnDevice(op, Device, a, b, y);
        Check.SameDType(op, a, b);
        Check.SameDType(op, a, y);
        Check.SameCount(op, a, b);
        Check.SameCount(op, a, y);
        var args = new KernelArgs().Ptr(a.Pointer).Ptr(b.Pointer).Ptr(y.Pointer).I64(a.Count);
        LaunchElementwise(Elementwise, $"{kernel}_{Suffix(op, a)}", a.Count, ref args);
    }

    public override void NormalizeImages(Tensor images, Tensor output, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        // F16 / BF16 outputs: the same float value, rounded once (the CPU normalises into an F32 twin and rounds it back).
        var (n, c, plane) = IsReduced(output.DType)
            ? ReducedImageBatch(nameof(NormalizeImages), images, output, mean.Length, std.Length)
            : Check.ImageBatch(nameof(NormalizeImages), Device, images, output, mean.Length, std.Length);
        MakeCurrent();
        Span<float> stats = stackalloc float[2 * c];
        mean.CopyTo(stats);
        std.CopyTo(stats[c..]);
        using var device = Upload<float>(stats);
        var args = new KernelArgs().Ptr(images.Pointer).Ptr(output.Pointer).I32(n).I32(c).I64(plane).Ptr(device.Pointer).Ptr(device.Pointer + c * sizeof(float))
            .I32(output.Layout == Layout.NHWC ? 1 : 0);
        _kernels.Launch(Elementwise, $"nn_normalize_images_u8_{ShortName(output.DType)}", (uint)Math.Min((plane + 255) / 256, 65535), (uint)Math.Min(n, 65535), Threads, 0, ref args);
    }
}
