using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using NativeNets.Tensors;

namespace NativeNets.Backends;

public sealed unsafe partial class CpuBackend
{
    public override double Sum(Tensor x)
    {
        if (Widened.Find(x) is { } reduced) return Widened.Run(nameof(Sum), reduced, wide => Sum(wide.In(x)));
        Check.OnDevice(nameof(Sum), Device, x);
        return x.DType switch
        {
            DType.F32 => SumF32Accurate(S<float>(x)),
            DType.F64 => TensorPrimitives.Sum<double>(S<double>(x)),
            _ => throw Unsupported(nameof(Sum), x),
        };
    }

    public override double SumOfSquares(Tensor x)
    {
        if (Widened.Find(x) is { } reduced) return Widened.Run(nameof(SumOfSquares), reduced, wide => SumOfSquares(wide.In(x)));
        Check.OnDevice(nameof(SumOfSquares), Device, x);
        return x.DType switch
        {
            DType.F32 => SumOfSquaresF32(S<float>(x)),
            DType.F64 => TensorPrimitives.SumOfSquares<double>(S<double>(x)),
            _ => throw Unsupported(nameof(SumOfSquares), x),
        };
    }

    // Sums of F32 tensors go through blocks summed in float then added in double, so that a loss or
    // a regulariser over millions of weights does not drift with the tensor's size.
    private static double SumF32Accurate(ReadOnlySpan<float> x)
    {
        double total = 0;
        for (var i = 0; i < x.Length; i += 4096)
            total += TensorPrimitives.Sum(x.Slice(i, Math.Min(4096, x.Length - i)));
        return total;
    }

    private static double SumOfSquaresF32(ReadOnlySpan<float> x)
    {
        double total = 0;
        for (var i = 0; i < x.Length; i += 4096)
            total += TensorPrimitives.SumOfSquares(x.Slice(i, Math.Min(4096, x.Length - i)));
        return total;
    }

    public override void ArgMaxRows(Tensor x, Tensor indices)
    {
        if (Widened.Find(x) is { } reduced)
        {
            Widened.Run(nameof(ArgMaxRows), reduced, wide => ArgMaxRows(wide.In(x), indices));
            return;
        }
        const string op = nameof(ArgMaxRows);
        Check.OnDevice(op, Device, x, indices);
        Check.DType(op, "indices", indices, DType.I32);
        var (rows, cols) = x.AsMatrix;
        if (indices.Count != rows)
            throw new ArgumentException($"{op}: indices {indices.ShapeText} must have {rows} elements, one per row of {x.ShapeText}");
        var idx = S<int>(indices);
        for (var r = 0; r < rows; r++)
        {
            idx[r] = x.DType switch
            {
                // TensorPrimitives.IndexOfMax returns the first index of the maximum.
                DType.F32 => TensorPrimitives.IndexOfMax(new ReadOnlySpan<float>((float*)x.Pointer + (long)r * cols, cols)),
                DType.F64 => TensorPrimitives.IndexOfMax(new ReadOnlySpan<double>((double*)x.Pointer + (long)r * cols, cols)),
                _ => throw Unsupported(op, x),
            };
        }
    }
}
