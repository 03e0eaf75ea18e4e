using NativeNets.Tensors;

namespace NativeNets.Backends;

// Losses: runtime/kernels/losses.cu, one block per row writing the row's loss; the mean is a fixed-order device sum.
public sealed unsafe partial class CudaBackend
{
    private const string Losses = "losses.cu";

    public override double SoftmaxCrossEntropy(Tensor logits, Tensor labels, Tensor? dlogits, double gradScale = 1.0) =>
        RowLoss(nameof(SoftmaxCrossEntropy), "nn_softmax_cross_entropy", logits, labels, dlogits, null, gradScale);

    public override double MulticlassHinge(Tensor scores, Tensor labels, double margin, Tensor? dscores, double gradScale = 1.0) =>
        RowLoss(nameof(MulticlassHinge), "nn_multiclass_hinge", scores, labels, dscores, margin, gradScale);

    private double RowLoss(string op, string kernel, Tensor scores, Tensor labels, Tensor? grad, double? margin, double gradScale)
    {
        ReducedType(op, new("scores", scores), new("gradient", grad));
        var (n, c) = Check.Loss(op, Device, scores, labels, grad);
        var t = Suffix(op, scores);
        if (n == 0) return 0;
        using var rowLosses = new ScratchBuffer(this, (long)n * sizeof(double));
        using var error = new ScratchBuffer(this, sizeof(int));
        using var total = new ScratchBuffer(this, sizeof(double));
        var args = new KernelArgs().Ptr(scores.Pointer).Ptr(labels.Pointer).Ptr(grad?.Pointer ?? 0).Ptr(rowLosses.Pointer).I32(n).I32(c);
        if (margin is { } m) args = args.F64(m);
        args = args.F64(gradScale / n).Ptr(error.Pointer);
        _kernels.Launch(Losses, $"{kernel}_{t}", (uint)Math.Min(n, 65535), 1, Threads, 0, ref args);
        var bad = Download<int>(error.Pointer, 1)[0];
        if (bad != 0)
        {
            var row = bad - 1;
            var label = Download<int>(labels.Pointer + row * sizeof(int), 1)[0];
            throw new ArgumentOutOfRangeException(nameof(labels), $"{op}: label {label} at row {row} is outside the {c} classes [0, {c})");
        }
        // One block: partials[0] is the total, summed in a fixed order.
        var sum = new KernelArgs().Ptr(rowLosses.Pointer).I64(n).Ptr(total.Pointer);
        _kernels.Launch(Reductions, "nn_sum_partials_f64", 1, 1, Threads, 0, ref sum);
        return Download<double>(total.Pointer, 1)[0] / n;
    }
}
