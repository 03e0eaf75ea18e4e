using System.Numerics;
using NativeNets.Tensors;

namespace NativeNets.Backends;

public sealed unsafe partial class CpuBackend
{
    public override void SgdMomentumStep(Tensor param, Tensor grad, Tensor velocity, double lr, double momentum, double weightDecay)
    {
        if (Widened.Find(param, grad, velocity) is { } reduced)
        {
            Widened.Run(nameof(SgdMomentumStep), reduced, wide => SgdMomentumStep(wide.Out(param), wide.In(grad), wide.Out(velocity), lr, momentum, weightDecay));
            return;
        }
        const string op = nameof(SgdMomentumStep);
        Check.Sgd(op, Device, param, grad, velocity);
        switch (param.DType)
        {
            case DType.F32: SgdT(param, grad, velocity, (float)lr, (float)momentum, (float)weightDecay); break;
            case DType.F64: SgdT(param, grad, velocity, lr, momentum, weightDecay); break;
            default: throw Unsupported(op, param);
        }
    }

    private static void SgdT<T>(Tensor param, Tensor grad, Tensor velocity, T lr, T momentum, T weightDecay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* p = (T*)param.Pointer, g = (T*)grad.Pointer, v = (T*)velocity.Pointer;
        CpuParallel.For(param.Count, ElementwiseChunk, (s, e) =>
        {
            var i = s;
            if (Vector.IsHardwareAccelerated)
            {
                var vm = new Vector<T>(momentum);
                var vwd = new Vector<T>(weightDecay);
                var vlr = new Vector<T>(lr);
                for (; i + Vector<T>.Count <= e; i += Vector<T>.Count)
                {
                    var vp = Vector.Load(p + i);
                    var vel = vm * Vector.Load(v + i) + Vector.Load(g + i) + vwd * vp;
                    vel.Store(v + i);
                    (vp - vlr * vel).Store(p + i);
                }
            }
            for (; i < e; i++)
            {
                var vel = momentum * v[i] + g[i] + weightDecay * p[i];
                v[i] = vel;
                p[i] -= lr * vel;
            }
        });
    }
}
