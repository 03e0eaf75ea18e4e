using NativeNets.Native;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// Batch norm and LRN through cuDNN (spatial batch norm; cross-channel LRN). cuDNN's saved "inverse variance" is
// 1/sqrt(var + eps), the same inverse standard deviation the CPU backend saves, and its running variance is updated with
// the unbiased batch variance, as PyTorch does.
// F16 / BF16 batch norm: HALF / BFLOAT16 x, y, dy, dx with FLOAT parameters and statistics (the type
// cudnnDeriveBNTensorDescriptor gives for half data); cuDNN computes in float and rounds each output once. Parameters
// or statistics given as F16 / BF16 (the CPU accepts them too) run as F32 twins, rounded back once afterwards. LRN on
// F16 / BF16 runs on F32 twins of all its tensors (one rounding per output, as the CPU).
public sealed unsafe partial class CudaBackend
{
    private (nint X, nint PerChannel) BatchNormDescriptors(string op, Tensor x)
    {
        var type = CudnnType(op, x);
        var xd = TensorDescriptor(type, x[0], x[1], x[2], x[3], x.Layout);
        var cd = TensorDescriptor(ComputeType(type), 1, x[1], 1, 1);
        return (xd, cd);
    }

    /// <summary>Batch norm's operands for the dtype rule: the data, then the parameters and statistics (which may be F32 beside F16 / BF16 data).</summary>
    private static DType? BatchNormReduced(string op, (string Name, Tensor T)[] data, (string Name, Tensor T)[] parameters)
    {
        Span<Operand> operands = new Operand[data.Length + parameters.Length];
        for (var i = 0; i < data.Length; i++) operands[i] = new(data[i].Name, data[i].T);
        for (var i = 0; i < parameters.Length; i++) operands[data.Length + i] = new(parameters[i].Name, parameters[i].T, MayBeF32: true);
        return ReducedType(op, operands);
    }

    private static void Destroy(params nint[] descriptors)
    {
        foreach (var d in descriptors) Cudnn.cudnnDestroyTensorDescriptor(d);
    }

    public override void BatchNormForwardTraining(Tensor x, Tensor y, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        double momentum, double epsilon, Tensor saveMean, Tensor saveInvStd)
    {
        const string op = nameof(BatchNormForwardTraining);
        if (BatchNormReduced(op, [("x", x), ("y", y)], [("gamma", gamma), ("beta", beta), ("runningMean", runningMean), ("runningVar", runningVar),
                ("saveMean", saveMean), ("saveInvStd", saveInvStd)]) is not null)
        {
            var r = Check.BatchNormShapes(op, Device, x, y, gamma, beta, runningMean, runningVar, saveMean, saveInvStd);
            if (r.N * r.HW < 2) throw new ArgumentException($"{op}: batch statistics need more than one value per channel, got {x.ShapeText}");
            using var p = new F32Twins(this);
            BatchNormForwardTrainingCudnn(op, x, y, p.In(gamma), p.In(beta), p.Out(runningMean), p.Out(runningVar), momentum, epsilon,
                p.Out(saveMean), p.Out(saveInvStd));
            p.Commit();
            return;
        }
        var s = Check.BatchNorm(op, Device, x, y, gamma, beta, runningMean, runningVar, saveMean, saveInvStd);
        if (s.N * s.HW < 2) throw new ArgumentException($"{op}: batch statistics need more than one value per channel, got {x.ShapeText}");
        BatchNormForwardTrainingCudnn(op, x, y, gamma, beta, runningMean, runningVar, momentum, epsilon, saveMean, saveInvStd);
    }

    private void BatchNormForwardTrainingCudnn(string op, Tensor x, Tensor y, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        double momentum, double epsilon, Tensor saveMean, Tensor saveInvStd)
    {
        MakeCurrent();
        Check.SameLayout(op, x, "y", y);
        var (xd, cd) = BatchNormDescriptors(op, x);
        try
        {
            new Scalars(x.DType, 1, 0).Use((a, b) => Cudnn.Check(Cudnn.cudnnBatchNormalizationForwardTraining(_cudnn, TrainingBatchNormMode(x),
                (void*)a, (void*)b, xd, x.Pointer, xd, y.Pointer, cd, gamma.Pointer, beta.Pointer, momentum, runningMean.Pointer, runningVar.Pointer,
                epsilon, saveMean.Pointer, saveInvStd.Pointer)));
        }
        finally
        {
            Destroy(xd, cd);
        }
    }

    public override void BatchNormForwardInference(Tensor x, Tensor y, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, double epsilon)
    {
        const string op = nameof(BatchNormForwardInference);
        if (BatchNormReduced(op, [("x", x), ("y", y)], [("gamma", gamma), ("beta", beta), ("runningMean", runningMean), ("runningVar", runningVar)]) is not null)
        {
            Check.BatchNormShapes(op, Device, x, y, gamma, beta, runningMean, runningVar);
            using var p = new F32Twins(this);
            BatchNormForwardInferenceCudnn(op, x, y, p.In(gamma), p.In(beta), p.In(runningMean), p.In(runningVar), epsilon);
            return;
        }
        Check.BatchNorm(op, Device, x, y, gamma, beta, runningMean, runningVar);
        BatchNormForwardInferenceCudnn(op, x, y, gamma, beta, runningMean, runningVar, epsilon);
    }

    private void BatchNormForwardInferenceCudnn(string op, Tensor x, Tensor y, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, double epsilon)
    {
        MakeCurrent();
        Check.SameLayout(op, x, "y", y);
        var (xd, cd) = BatchNormDescriptors(op, x);
        try
        {
            new Scalars(x.DType, 1, 0).Use((a, b) => Cudnn.Check(Cudnn.cudnnBatchNormalizationForwardInference(_cudnn, cudnnBatchNormMode_t.CUDNN_BATCHNORM_SPATIAL,
                (void*)a, (void*)b, xd, x.Pointer, xd, y.Pointer, cd, gamma.Pointer, beta.Pointer, runningMean.Pointer, runningVar.Pointer, epsilon)));
        }
        finally
        {
            Destroy(xd, cd);
        }
    }

    public override void BatchNormBackwardTraining(Tensor x, Tensor dy, Tensor dx, Tensor gamma, Tensor dgamma, Tensor dbeta, Tensor saveMean, Tensor saveInvStd)
    {
        const string op = nameof(BatchNormBackwardTraining);
        if (BatchNormReduced(op, [("x", x), ("dy", dy), ("dx", dx)], [("gamma", gamma), ("dgamma", dgamma), ("dbeta", dbeta), ("saveMean", saveMean),
                ("saveInvStd", saveInvStd)]) is not null)
        {
            Check.BatchNormShapes(op, Device, x, dy, gamma, dgamma, dbeta, saveMean, saveInvStd);
            Check.OnDevice(op, Device, dx);
            Check.SameDType(op, x, dx);
            Check.SameCount(op, x, dx);
            using var p = new F32Twins(this);
            BatchNormBackwardTrainingCudnn(op, x, dy, dx, p.In(gamma), p.Out(dgamma), p.Out(dbeta), p.In(saveMean), p.In(saveInvStd));
            p.Commit();
            return;
        }
        Check.BatchNorm(op, Device, x, dy, gamma, dgamma, dbeta, saveMean, saveInvStd);
        Check.SameCount(op, x, dx);
        BatchNormBackwardTrainingCudnn(op, x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd);
    }

    private void BatchNormBackwardTrainingCudnn(string op, Tensor x, Tensor dy, Tensor dx, Tensor gamma, Tensor dgamma, Tensor dbeta, Tensor saveMean, Tensor saveInvStd)
    {
        MakeCurrent();
        Check.SameLayout(op, x, "dy", dy);
        Check.SameLayout(op, x, "dx", dx);
        var (xd, cd) = BatchNormDescriptors(op, x);
        try
        {
            // dx overwritten (beta 0); dgamma and dbeta accumulated (param beta 1). Epsilon is unused when the saved statistics are given.
            // Scaling factors are float for HALF / BFLOAT16 data, as for FLOAT (Scalars: double only for F64).
            new Scalars(x.DType, 1, 0).Use((one, zero) => new Scalars(x.DType, 1, 1).Use((pa, pb) =>
                Cudnn.Check(Cudnn.cudnnBatchNormalizationBackward(_cudnn, TrainingBatchNormMode(x),
                    (void*)one, (void*)zero, (void*)pa, (void*)pb, xd, x.Pointer, xd, dy.Pointer, xd, dx.Pointer, cd, gamma.Pointer,
                    dgamma.Pointer, dbeta.Pointer, 1e-5, saveMean.Pointer, saveInvStd.Pointer))));
        }
        finally
        {
            Destroy(xd, cd);
        }
    }

    public override void BatchNormBackwardInference(Tensor x, Tensor dy, Tensor dx, Tensor gamma, Tensor dgamma, Tensor dbeta, Tensor runningMean, Tensor runningVar, double epsilon)
    {
        const string op = nameof(BatchNormBackwardInference);
        if (BatchNormReduced(op, [("x", x), ("dy", dy), ("dx", dx)], [("gamma", gamma), ("dgamma", dgamma), ("dbeta", dbeta), ("runningMean", runningMean),
                ("runningVar", runningVar)]) is not null)
        {
            // nn_batchnorm_backward_inference_f16 / _bf16 take F16 / BF16 data and F32 parameters.
            Check.BatchNormShapes(op, Device, x, dy, gamma, dgamma, dbeta, runningMean, runningVar);
            Check.OnDevice(op, Device, dx);
            Check.SameDType(op, x, dx);
            Check.SameCount(op, x, dx);
            using var p = new F32Twins(this);
            BatchNormBackwardInferenceKernel(op, x, dy, dx, p.In(gamma), p.Out(dgamma), p.Out(dbeta), p.In(runningMean), p.In(runningVar), epsilon);
            p.Commit();
            return;
        }
        Check.BatchNorm(op, Device, x, dy, gamma, dgamma, dbeta, runningMean, runningVar);
        Check.SameCount(op, x, dx);
        BatchNormBackwardInferenceKernel(op, x, dy, dx, gamma, dgamma, dbeta, runningMean, runningVar, epsilon);
    }

    private void BatchNormBackwardInferenceKernel(string op, Tensor x, Tensor dy, Tensor dx, Tensor gamma, Tensor dgamma, Tensor dbeta,
        Tensor runningMean, Tensor runningVar, double epsilon)
    {
        Check.Nchw(op, x, dy, dx);
        var s = (N: x[0], C: x[1], HW: x[2] * x[3]);
        var t = Suffix(op, x);
        var args = new KernelArgs().Ptr(x.Pointer).Ptr(dy.Pointer).Ptr(dx.Pointer).Ptr(gamma.Pointer).Ptr(dgamma.Pointer).Ptr(dbeta.Pointer)
            .Ptr(runningMean.Pointer).Ptr(runningVar.Pointer).I32(s.N).I32(s.C).I32(s.HW).F64(epsilon);
        _kernels.Launch(Structure, $"nn_batchnorm_backward_inference_{t}", (uint)Math.Min(s.C, 65535), 1, Threads, 0, ref args);
    }

    private nint LrnDescriptor(string op, int size, double alpha, double beta, double k)
    {
        // cuDNN centres an odd window as PyTorch does; an even one would be placed differently.
        if (size < (int)Cudnn.CUDNN_LRN_MIN_N || size > (int)Cudnn.CUDNN_LRN_MAX_N || size % 2 == 0)
            throw new NotSupportedException($"{op}: the CUDA backend runs LRN through cuDNN, which needs an odd size in [1, 16] to match PyTorch; got {size}");
        if (k < Cudnn.CUDNN_LRN_MIN_K || beta < Cudnn.CUDNN_LRN_MIN_BETA)
            throw new NotSupportedException($"{op}: cuDNN's LRN needs k >= {Cudnn.CUDNN_LRN_MIN_K} and beta >= {Cudnn.CUDNN_LRN_MIN_BETA}; got k {k}, beta {beta}");
        nint d;
        Cudnn.Check(Cudnn.cudnnCreateLRNDescriptor(&d));
        Cudnn.Check(Cudnn.cudnnSetLRNDescriptor(d, (uint)size, alpha, beta, k));
        return d;
    }

    public override void LrnForward(Tensor x, Tensor y, int size, double alpha, double beta, double k)
    {
        const string op = nameof(LrnForward);
        if (ReducedType(op, new("x", x), new("y", y)) is not null)
        {
            Check.Lrn(op, Device, x, y);
            using var wide = new F32Twins(this);
            LrnForward(wide.In(x), wide.Out(y), size, alpha, beta, k);
            wide.Commit();
            return;
        }
        Check.Lrn(op, Device, x, y);
        Check.Nchw(op, x, y);
        MakeCurrent();
        var lrn = LrnDescriptor(op, size, alpha, beta, k);
        var xd = TensorDescriptor(CudnnType(op, x), x[0], x[1], x[2], x[3]);
        try
        {
            new Scalars(x.DType, 1, 0).Use((a, b) => Cudnn.Check(Cudnn.cudnnLRNCrossChannelForward(_cudnn, lrn, cudnnLRNMode_t.CUDNN_LRN_CROSS_CHANNEL_DIM1,
                (void*)a, xd, x.Pointer, (void*)b, xd, y.Pointer)));
        }
        finally
        {
            Destroy(xd);
            Cudnn.cudnnDestroyLRNDescriptor(lrn);
        }
    }

    public override void LrnBackward(Tensor x, Tensor y, Tensor dy, Tensor dx, int size, double alpha, double beta, double k)
    {
        const string op = nameof(LrnBackward);
        if (ReducedType(op, new("x", x), new("y", y), new("dy", dy), new("dx", dx)) is not null)
        {
            Check.Lrn(op, Device, x, y, dy, dx);
            using var wide = new F32Twins(this);
            LrnBackward(wide.In(x), wide.In(y), wide.In(dy), wide.Out(dx), size, alpha, beta, k);
            wide.Commit();
            return;
        }
        Check.Lrn(op, Device, x, y, dy, dx);
        Check.Nchw(op, x, y, dy, dx);
        MakeCurrent();
        var lrn = LrnDescriptor(op, size, alpha, beta, k);
        var xd = TensorDescriptor(CudnnType(op, x), x[0], x[1], x[2], x[3]);
        try
        {
            new Scalars(x.DType, 1, 0).Use((a, b) => Cudnn.Check(Cudnn.cudnnLRNCrossChannelBackward(_cudnn, lrn, cudnnLRNMode_t.CUDNN_LRN_CROSS_CHANNEL_DIM1,
                (void*)a, xd, y.Pointer, xd, dy.Pointer, xd, x.Pointer, (void*)b, xd, dx.Pointer)));
        }
        finally
        {
            Destroy(xd);
            Cudnn.cudnnDestroyLRNDescriptor(lrn);
        }
    }
}
