using NativeNets.Native;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// Batch norm and LRN through cuDNN (spatial batch norm; cross-channel LRN). cuDNN's saved "inverse variance" is
// 1/sqrt(var + eps), the same inverse standard deviation the CPU backend saves, and its running variance is updated with
// the unbiased batch variance, as PyTorch does.
public sealed unsafe partial class CudaBackend
{
    private (nint X, nint PerChannel) BatchNormDescriptors(string op, Tensor x)
    {
        var type = CudnnType(op, x);
        var xd = TensorDescriptor(type, x[0], x[1], x[2], x[3]);
        var cd = TensorDescriptor(type, 1, x[1], 1, 1);
        return (xd, cd);
    }

    private static void Destroy(params nint[] descriptors)
    {
        foreach (var d in descriptors) Cudnn.cudnnDestroyTensorDescriptor(d);
    }

    public override void BatchNormForwardTraining(Tensor x, Tensor y, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        double momentum, double epsilon, Tensor saveMean, Tensor saveInvStd)
    {
        const string op = nameof(BatchNormForwardTraining);
        var s = Check.BatchNorm(op, Device, x, y, gamma, beta, runningMean, runningVar, saveMean, saveInvStd);
        if (s.N * s.HW < 2) throw new ArgumentException($"{op}: batch statistics need more than one value per channel, got {x.ShapeText}");
        MakeCurrent();
        var (xd, cd) = BatchNormDescriptors(op, x);
        try
        {
            new Scalars(x.DType, 1, 0).Use((a, b) => Cudnn.Check(Cudnn.cudnnBatchNormalizationForwardTraining(_cudnn, cudnnBatchNormMode_t.CUDNN_BATCHNORM_SPATIAL,
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
        Check.BatchNorm(op, Device, x, y, gamma, beta, runningMean, runningVar);
        MakeCurrent();
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
        Check.BatchNorm(op, Device, x, dy, gamma, dgamma, dbeta, saveMean, saveInvStd);
        Check.SameCount(op, x, dx);
        MakeCurrent();
        var (xd, cd) = BatchNormDescriptors(op, x);
        try
        {
            // dx overwritten (beta 0); dgamma and dbeta accumulated (param beta 1). Epsilon is unused when the saved statistics are given.
            new Scalars(x.DType, 1, 0).Use((one, zero) => new Scalars(x.DType, 1, 1).Use((pa, pb) =>
                Cudnn.Check(Cudnn.cudnnBatchNormalizationBackward(_cudnn, cudnnBatchNormMode_t.CUDNN_BATCHNORM_SPATIAL,
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
        var s = Check.BatchNorm(op, Device, x, dy, gamma, dgamma, dbeta, runningMean, runningVar);
        Check.SameCount(op, x, dx);
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
        Check.Lrn(op, Device, x, y);
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
        Check.Lrn(op, Device, x, y, dy, dx);
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
