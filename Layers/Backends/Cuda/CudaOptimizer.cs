using NativeNets.Tensors;

namespace NativeNets.Backends;

// SGD with momentum: runtime/kernels/optimizer.cu. The scalars are rounded to the tensor's type on the host, as the CPU does.
public sealed unsafe partial class CudaBackend
{
    public override void SgdMomentumStep(Tensor param, Tensor grad, Tensor velocity, double lr, double momentum, double weightDecay)
    {
        const string op = nameof(SgdMomentumStep);
        Check.Sgd(op, Device, param, grad, velocity);
        var args = new KernelArgs().Ptr(param.Pointer).Ptr(grad.Pointer).Ptr(velocity.Pointer).I64(param.Count);
        args = Scalar(Scalar(Scalar(args, param, lr), param, momentum), param, weightDecay);
        LaunchElementwise("optimizer.cu", $"nn_sgd_momentum_{Suffix(op, param)}", param.Count, ref args);
    }

    public override bool UnscaleGradients(IReadOnlyList<Tensor> grads, IReadOnlyList<Tensor> masterGrads, double inverseScale) =>
        throw new NotSupportedException("UnscaleGradients: not on the CUDA backend yet");
}
