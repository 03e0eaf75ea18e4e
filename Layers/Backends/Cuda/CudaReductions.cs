using NativeNets.Tensors;

namespace NativeNets.Backends;

// Reductions: runtime/kernels/reductions.cu. Whole-tensor sums go through per-block double partials and a one-block
// finish in a fixed order, so a sum is the same from run to run. F16 / BF16 values are read as float (exact).
public sealed unsafe partial class CudaBackend
{
    private const string Reductions = "reductions.cu";

    public override double Sum(Tensor x) => Total(nameof(Sum), "nn_sum_partials", x);

    public override double SumOfSquares(Tensor x) => Total(nameof(SumOfSquares), "nn_sum_squares_partials", x);

    private double Total(string op, string kernel, Tensor x)
    {
        Check.OnDevice(op, Device, x);
        var t = Suffix(op, x);
        if (x.Count == 0) return 0;
        var blocks = (int)Math.Min((x.Count + Threads - 1) / Threads, 1024);
        using var partials = new ScratchBuffer(this, blocks * sizeof(double));
        using var result = new ScratchBuffer(this, sizeof(double));
        var args = new KernelArgs().Ptr(x.Pointer).I64(x.Count).Ptr(partials.Pointer);
        _kernels.Launch(Reductions, $"{kernel}_{t}", (uint)blocks, 1, Threads, 0, ref args);
        return Finish(partials.Pointer, blocks, result.Pointer);
    }

    /// <summary>Sums <paramref name="count"/> doubles on the device in a fixed order and reads the total back.</summary>
    private double Finish(nint partials, int count, nint result)
    {
        var args = new KernelArgs().Ptr(partials).I32(count).Ptr(result);
        _kernels.Launch(Reductions, "nn_sum_finish", 1, 1, Threads, 0, ref args);
        return Download<double>(result, 1)[0];
    }

    public override void SumRows(Tensor x, Tensor sums, double beta)
    {
        const string op = nameof(SumRows);
        ReducedType(op, new("x", x), new("sums", sums));
        Check.OnDevice(op, Device, x, sums);
        Check.SameDType(op, x, sums);
        var (rows, cols) = x.AsMatrix;
        if (sums.Count != cols) throw new ArgumentException($"{op}: sums {sums.ShapeText} must have {cols} elements, one per column of {x.ShapeText}");
        var args = Scalar(new KernelArgs().Ptr(x.Pointer).Ptr(sums.Pointer).I32(rows).I32(cols), x, beta);
        _kernels.Launch(Reductions, $"nn_sum_rows_{Suffix(op, x)}", BlocksFor(cols), 1, Threads, 0, ref args);
    }

    public override void ArgMaxRows(Tensor x, Tensor indices)
    {
        const string op = nameof(ArgMaxRows);
        Check.OnDevice(op, Device, x, indices);
        Check.DType(op, "indices", indices, DType.I32);
        var (rows, cols) = x.AsMatrix;
        if (indices.Count != rows) throw new ArgumentException($"{op}: indices {indices.ShapeText} must have {rows} elements, one per row of {x.ShapeText}");
        var args = new KernelArgs().Ptr(x.Pointer).Ptr(indices.Pointer).I32(rows).I32(cols);
        _kernels.Launch(Reductions, $"nn_argmax_rows_{Suffix(op, x)}", (uint)Math.Min(rows, 65535), 1, Threads, 0, ref args);
    }
}
