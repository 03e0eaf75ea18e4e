using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// Loss kernels compute the mean loss and, on request, its gradient in the same pass over the scores.
public sealed unsafe partial class CpuBackend
{
    public override double SoftmaxCrossEntropy(Tensor logits, Tensor labels, Tensor? dlogits, double gradScale = 1.0)
    {
        if (Widened.Find(logits, dlogits) is { } reduced) return Widened.Run(nameof(SoftmaxCrossEntropy), reduced, wide => SoftmaxCrossEntropy(wide.In(logits), labels, wide.Out(dlogits), gradScale));
        const string op = nameof(SoftmaxCrossEntropy);
        var (n, c) = CheckLossArgs(op, logits, labels, dlogits);
        return logits.DType switch
        {
            DType.F32 => SoftmaxCrossEntropyT<float>(logits, labels, dlogits, n, c, gradScale),
            DType.F64 => SoftmaxCrossEntropyT<double>(logits, labels, dlogits, n, c, gradScale),
            _ => throw Unsupported(op, logits),
        };
    }

    private static double SoftmaxCrossEntropyT<T>(Tensor logits, Tensor labels, Tensor? dlogits, int n, int c, double gradScale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var lab = new ReadOnlySpan<int>((int*)labels.Pointer, n);
        var total = 0.0;
        var scale = T.CreateChecked(gradScale / n);
        var tmp = new T[c];
        for (var r = 0; r < n; r++)
        {
            var z = new ReadOnlySpan<T>((T*)logits.Pointer + (long)r * c, c);
            var y = lab[r];
            // log-sum-exp with the max subtracted: no overflow for large logits.
            var max = TensorPrimitives.Max(z);
            TensorPrimitives.Subtract(z, max, tmp);
            TensorPrimitives.Exp(tmp, tmp);
            var sum = double.CreateChecked(TensorPrimitives.Sum<T>(tmp));
            total += Math.Log(sum) - double.CreateChecked(z[y] - max);
            if (dlogits is not null)
            {
                var d = new Span<T>((T*)dlogits.Pointer + (long)r * c, c);
                TensorPrimitives.Multiply(tmp, scale / T.CreateChecked(sum), d);
                d[y] -= scale;
            }
        }
        return total / n;
    }

    public override double MulticlassHinge(Tensor scores, Tensor labels, double margin, Tensor? dscores, double gradScale = 1.0)
    {
        if (Widened.Find(scores, dscores) is { } reduced) return Widened.Run(nameof(MulticlassHinge), reduced, wide => MulticlassHinge(wide.In(scores), labels, margin, wide.Out(dscores), gradScale));
        const string op = nameof(MulticlassHinge);
        var (n, c) = CheckLossArgs(op, scores, labels, dscores);
        return scores.DType switch
        {
            DType.F32 => HingeT<float>(scores, labels, dscores, n, c, margin, gradScale),
            DType.F64 => HingeT<double>(scores, labels, dscores, n, c, margin, gradScale),
            _ => throw Unsupported(op, scores),
        };
    }

    private static double HingeT<T>(Tensor scores, Tensor labels, Tensor? dscores, int n, int c, double margin, double gradScale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var lab = new ReadOnlySpan<int>((int*)labels.Pointer, n);
        var total = 0.0;
        var scale = T.CreateChecked(gradScale / n);
        var delta = T.CreateChecked(margin);
        for (var r = 0; r < n; r++)
        {
            var s = new ReadOnlySpan<T>((T*)scores.Pointer + (long)r * c, c);
            var d = dscores is null ? default : new Span<T>((T*)dscores.Pointer + (long)r * c, c);
            var y = lab[r];
            var sy = s[y];
            var active = 0;
            for (var j = 0; j < c; j++)
            {
                if (j == y) continue;
                var m = s[j] - sy + delta;
                var on = m > T.Zero;
                if (on)
                {
                    total += double.CreateChecked(m);
                    active++;
                }
                if (dscores is not null) d[j] = on ? scale : T.Zero;
            }
            if (dscores is not null) d[y] = -T.CreateChecked(active) * scale;
        }
        return total / n;
    }

    private (int N, int C) CheckLossArgs(string op, Tensor scores, Tensor labels, Tensor? grad)
    {
        var (n, c) = Check.Loss(op, Device, scores, labels, grad);
        var lab = new ReadOnlySpan<int>((int*)labels.Pointer, n);
        for (var i = 0; i < n; i++)
            if ((uint)lab[i] >= (uint)c)
                throw new ArgumentOutOfRangeException(nameof(labels), $"{op}: label {lab[i]} at row {i} is outside the {c} classes [0, {c})");
        return (n, c);
    }
}
