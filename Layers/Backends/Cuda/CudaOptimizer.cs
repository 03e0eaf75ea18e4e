using NativeNets.Tensors;

namespace NativeNets.Backends;

// SGD with momentum and the unscaling of mixed-precision gradients: runtime/kernels/optimizer.cu. The scalars are rounded to
// the kernel's arithmetic type on the host (float for F32, F16 and BF16), as the CPU does.
public sealed unsafe partial class CudaBackend
{
    public override void SgdMomentumStep(Tensor param, Tensor grad, Tensor velocity, double lr, double momentum, double weightDecay)
    {
        const string op = nameof(SgdMomentumStep);
        ReducedType(op, new("param", param), new("grad", grad), new("velocity", velocity));
        Check.Sgd(op, Device, param, grad, velocity);
        var args = new KernelArgs().Ptr(param.Pointer).Ptr(grad.Pointer).Ptr(velocity.Pointer).I64(param.Count);
        args = Scalar(Scalar(Scalar(args, param, lr), param, momentum), param, weightDecay);
        LaunchElementwise("optimizer.cu", $"nn_sgd_momentum_{Suffix(op, param)}", param.Count, ref args);
    }

    /// <summary>
    /// One nn_unscale_&lt;grad&gt;_&lt;master&gt; launch per pair (master = F32(grad) * (float)inverseScale, or in double for F64
    /// pairs), every launch raising one device flag where a result is infinite or NaN; the flag is read once, after the
    /// last pair (the only synchronisation).
    /// </summary>
    public override bool UnscaleGradients(IReadOnlyList<Tensor> grads, IReadOnlyList<Tensor> masterGrads, double inverseScale)
    {
        const string op = nameof(UnscaleGradients);
        Check.Unscale(op, Device, grads, masterGrads);
        if (grads.Count == 0) return true;
        MakeCurrent();
        using var nonFinite = new ScratchBuffer(this, sizeof(int)); // zero-filled on the stream
        for (var i = 0; i < grads.Count; i++)
        {
            var (g, m) = (grads[i], masterGrads[i]);
            if (g.Count == 0) continue;
            var args = new KernelArgs().Ptr(g.Pointer).Ptr(m.Pointer).I64(g.Count);
            args = m.DType == DType.F64 ? args.F64(inverseScale) : args.F32((float)inverseScale);
            args = args.Ptr(nonFinite.Pointer);
            LaunchElementwise("optimizer.cu", $"nn_unscale_{ShortName(g.DType)}_{ShortName(m.DType)}", g.Count, ref args);
        }
        return Download<int>(nonFinite.Pointer, 1)[0] == 0;
    }
}
