using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Numerics;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// Batch normalisation (per channel over N, H, W) and local response normalisation (across channels).
// Statistics are accumulated in double whatever the tensor's type.
public sealed unsafe partial class CpuBackend
{
    public override void BatchNormForwardTraining(Tensor x, Tensor y, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        double momentum, double epsilon, Tensor saveMean, Tensor saveInvStd)
    {
        Check.Nchw(nameof(BatchNormForwardTraining), x, y, gamma, beta, runningMean, runningVar, saveMean, saveInvStd);
        if (Widened.Find(x, y) is { } reduced)
        {
            Widened.Run(nameof(BatchNormForwardTraining), reduced, wide => BatchNormForwardTraining(wide.In(x), wide.Out(y), wide.Param(gamma), wide.Param(beta), wide.Param(runningMean, true), wide.Param(runningVar, true), momentum, epsilon, wide.Param(saveMean, true), wide.Param(saveInvStd, true)));
            return;
        }
        const string op = nameof(BatchNormForwardTraining);
        var s = Check.BatchNorm(op, Device, x, y, gamma, beta, runningMean, runningVar, saveMean, saveInvStd);
        if (s.N * s.HW < 2) throw new ArgumentException($"{op}: batch statistics need more than one value per channel, got {x.ShapeText}");
        switch (x.DType)
        {
            case DType.F32: BnTrainT<float>(x, y, gamma, beta, runningMean, runningVar, momentum, epsilon, saveMean, saveInvStd, s); break;
            case DType.F64: BnTrainT<double>(x, y, gamma, beta, runningMean, runningVar, momentum, epsilon, saveMean, saveInvStd, s); break;
            default: throw Unsupported(op, x);
        }
    }

    private static void BnTrainT<T>(Tensor xt, Tensor yt, Tensor gt, Tensor bt, Tensor rmt, Tensor rvt, double momentum, double eps,
        Tensor smt, Tensor sit, (int N, int C, int HW) s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* x = (T*)xt.Pointer, y = (T*)yt.Pointer, gamma = (T*)gt.Pointer, beta = (T*)bt.Pointer;
        T* rm = (T*)rmt.Pointer, rv = (T*)rvt.Pointer, sm = (T*)smt.Pointer, si = (T*)sit.Pointer;
        var m = (double)s.N * s.HW;
        CpuParallel.For(s.C, 1, (c0, c1) =>
        {
            var centred = (T*)CpuScratch.Get(CpuScratch.Transpose, (long)s.HW * sizeof(T));
            var cs = new Span<T>(centred, s.HW);
            for (var c = (int)c0; c < c1; c++)
            {
                // Plane sums in T (vectorised), planes added in double.
                double sum = 0;
                for (var n = 0; n < s.N; n++)
                    sum += double.CreateTruncating(TensorPrimitives.Sum(new ReadOnlySpan<T>(x + ((long)n * s.C + c) * s.HW, s.HW)));
                var mean = sum / m;
                var mu = T.CreateTruncating(mean);
                double sq = 0;
                for (var n = 0; n < s.N; n++)
                {
                    // Squares of x - mean, not x^2 - mean^2: no cancellation when |mean| is large against the spread.
                    TensorPrimitives.Subtract(new ReadOnlySpan<T>(x + ((long)n * s.C + c) * s.HW, s.HW), mu, cs);
                    sq += double.CreateTruncating(TensorPrimitives.SumOfSquares<T>(cs));
                }
                var variance = sq / m;
                var invStd = 1.0 / Math.Sqrt(variance + eps);
                sm[c] = mu;
                si[c] = T.CreateTruncating(invStd);
                rm[c] = T.CreateTruncating((1 - momentum) * double.CreateTruncating(rm[c]) + momentum * mean);
                rv[c] = T.CreateTruncating((1 - momentum) * double.CreateTruncating(rv[c]) + momentum * variance * m / (m - 1));
                var scale = T.CreateTruncating(double.CreateTruncating(gamma[c]) * invStd);
                for (var n = 0; n < s.N; n++)
                {
                    // (x - mean) * scale + beta: subtracting first keeps precision when |mean| is large against the spread.
                    var off = ((long)n * s.C + c) * s.HW;
                    var yr = new Span<T>(y + off, s.HW);
                    TensorPrimitives.Subtract(new ReadOnlySpan<T>(x + off, s.HW), mu, yr);
                    Affine(yr, scale, beta[c], yr);
                }
            }
        });
    }

    /// <summary>y = x * scale + shift, vectorised.</summary>
    private static void Affine<T>(ReadOnlySpan<T> x, T scale, T shift, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Multiply(x, scale, y);
        TensorPrimitives.Add(y, shift, y);
    }

    public override void BatchNormForwardInference(Tensor x, Tensor y, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, double epsilon)
    {
        Check.Nchw(nameof(BatchNormForwardInference), x, y, gamma, beta, runningMean, runningVar);
        if (Widened.Find(x, y) is { } reduced)
        {
            Widened.Run(nameof(BatchNormForwardInference), reduced, wide => BatchNormForwardInference(wide.In(x), wide.Out(y), wide.Param(gamma), wide.Param(beta), wide.Param(runningMean), wide.Param(runningVar), epsilon));
            return;
        }
        const string op = nameof(BatchNormForwardInference);
        var s = Check.BatchNorm(op, Device, x, y, gamma, beta, runningMean, runningVar);
        switch (x.DType)
        {
            case DType.F32: BnInferT<float>(x, y, gamma, beta, runningMean, runningVar, epsilon, s); break;
            case DType.F64: BnInferT<double>(x, y, gamma, beta, runningMean, runningVar, epsilon, s); break;
            default: throw Unsupported(op, x);
        }
    }

    private static void BnInferT<T>(Tensor xt, Tensor yt, Tensor gt, Tensor bt, Tensor rmt, Tensor rvt, double eps, (int N, int C, int HW) s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* x = (T*)xt.Pointer, y = (T*)yt.Pointer, gamma = (T*)gt.Pointer, beta = (T*)bt.Pointer, rm = (T*)rmt.Pointer, rv = (T*)rvt.Pointer;
        CpuParallel.For((long)s.N * s.C, Math.Max(1, 16384 / s.HW), (p0, p1) =>
        {
            for (var p = p0; p < p1; p++)
            {
                var c = (int)(p % s.C);
                var invStd = 1.0 / Math.Sqrt(double.CreateTruncating(rv[c]) + eps);
                var scale = T.CreateTruncating(double.CreateTruncating(gamma[c]) * invStd);
                var shift = T.CreateTruncating(double.CreateTruncating(beta[c]) - double.CreateTruncating(rm[c]) * double.CreateTruncating(gamma[c]) * invStd);
                Affine(new ReadOnlySpan<T>(x + p * s.HW, s.HW), scale, shift, new Span<T>(y + p * s.HW, s.HW));
            }
        });
    }

    public override void BatchNormBackwardTraining(Tensor x, Tensor dy, Tensor dx, Tensor gamma, Tensor dgamma, Tensor dbeta, Tensor saveMean, Tensor saveInvStd)
    {
        Check.Nchw(nameof(BatchNormBackwardTraining), x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd);
        if (Widened.Find(x, dy, dx) is { } reduced)
        {
            Widened.Run(nameof(BatchNormBackwardTraining), reduced, wide => BatchNormBackwardTraining(wide.In(x), wide.In(dy), wide.Out(dx), wide.Param(gamma), wide.Param(dgamma, true), wide.Param(dbeta, true), wide.Param(saveMean), wide.Param(saveInvStd)));
            return;
        }
        const string op = nameof(BatchNormBackwardTraining);
        var s = Check.BatchNorm(op, Device, x, dy, gamma, dgamma, dbeta, saveMean, saveInvStd);
        Check.SameCount(op, x, dx);
        switch (x.DType)
        {
            case DType.F32: BnBackwardT<float>(x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, s, true); break;
            case DType.F64: BnBackwardT<double>(x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, s, true); break;
            default: throw Unsupported(op, x);
        }
    }

    public override void BatchNormBackwardInference(Tensor x, Tensor dy, Tensor dx, Tensor gamma, Tensor dgamma, Tensor dbeta, Tensor runningMean, Tensor runningVar, double epsilon)
    {
        Check.Nchw(nameof(BatchNormBackwardInference), x, dy, dx, gamma, dgamma, dbeta, runningMean, runningVar);
        if (Widened.Find(x, dy, dx) is { } reduced)
        {
            Widened.Run(nameof(BatchNormBackwardInference), reduced, wide => BatchNormBackwardInference(wide.In(x), wide.In(dy), wide.Out(dx), wide.Param(gamma), wide.Param(dgamma, true), wide.Param(dbeta, true), wide.Param(runningMean), wide.Param(runningVar), epsilon));
            return;
        }
        const string op = nameof(BatchNormBackwardInference);
        var s = Check.BatchNorm(op, Device, x, dy, gamma, dgamma, dbeta, runningMean, runningVar);
        Check.SameCount(op, x, dx);
        // The running statistics play the part of the saved mean and 1/std, and do not depend on x.
        using var invStd = new Tensor(runningVar.Shape, runningVar.DType);
        var n = checked((int)runningVar.Count);
        for (var c = 0; c < n; c++)
        {
            if (x.DType == DType.F32) invStd.Span<float>()[c] = (float)(1.0 / Math.Sqrt(runningVar.Span<float>()[c] + epsilon));
            else invStd.Span<double>()[c] = 1.0 / Math.Sqrt(runningVar.Span<double>()[c] + epsilon);
        }
        switch (x.DType)
        {
            case DType.F32: BnBackwardT<float>(x, dy, dx, gamma, dgamma, dbeta, runningMean, invStd, s, false); break;
            case DType.F64: BnBackwardT<double>(x, dy, dx, gamma, dgamma, dbeta, runningMean, invStd, s, false); break;
            default: throw Unsupported(op, x);
        }
    }

    /// <summary>
    /// With x^ = (x - mean) * invStd: dgamma += sum(dy x^), dbeta += sum(dy), and dx = gamma invStd (dy - [training] (dbeta + x^ dgamma) / M).
    /// </summary>
    private static void BnBackwardT<T>(Tensor xt, Tensor dyt, Tensor dxt, Tensor gt, Tensor dgt, Tensor dbt, Tensor mt, Tensor it,
        (int N, int C, int HW) s, bool training) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* x = (T*)xt.Pointer, dy = (T*)dyt.Pointer, dx = (T*)dxt.Pointer, gamma = (T*)gt.Pointer;
        T* dgamma = (T*)dgt.Pointer, dbeta = (T*)dbt.Pointer, mean = (T*)mt.Pointer, invStd = (T*)it.Pointer;
        var m = (double)s.N * s.HW;
        CpuParallel.For(s.C, 1, (c0, c1) =>
        {
            var centred = (T*)CpuScratch.Get(CpuScratch.Transpose, (long)s.HW * sizeof(T));
            var cs = new Span<T>(centred, s.HW);
            for (var c = (int)c0; c < c1; c++)
            {
                var mu = double.CreateTruncating(mean[c]);
                var istd = double.CreateTruncating(invStd[c]);
                // sum(dy) and sum(dy * (x - mean)), plane by plane in T (vectorised), planes added in double.
                double sumDy = 0, sumDyCentred = 0;
                for (var n = 0; n < s.N; n++)
                {
                    var off = ((long)n * s.C + c) * s.HW;
                    var d = new ReadOnlySpan<T>(dy + off, s.HW);
                    sumDy += double.CreateTruncating(TensorPrimitives.Sum(d));
                    TensorPrimitives.Subtract(new ReadOnlySpan<T>(x + off, s.HW), mean[c], cs);
                    sumDyCentred += double.CreateTruncating(TensorPrimitives.Dot(d, cs));
                }
                var sumDyXhat = istd * sumDyCentred;
                dgamma[c] += T.CreateTruncating(sumDyXhat);
                dbeta[c] += T.CreateTruncating(sumDy);
                // dx = k (dy - [training] (sumDy + x^ sumDyXhat) / M) = a dy + b x + c0, with per-channel a, b, c0.
                var k = double.CreateTruncating(gamma[c]) * istd;
                var a = T.CreateTruncating(k);
                var b = training ? T.CreateTruncating(-k * sumDyXhat * istd / m) : T.Zero;
                var c0v = training ? T.CreateTruncating(-k * sumDy / m + k * sumDyXhat * istd * mu / m) : T.Zero;
                for (var n = 0; n < s.N; n++)
                {
                    var off = ((long)n * s.C + c) * s.HW;
                    var dxr = new Span<T>(dx + off, s.HW);
                    if (training)
                    {
                        Affine(new ReadOnlySpan<T>(x + off, s.HW), b, c0v, dxr);
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(dy + off, s.HW), a, dxr, dxr);
                    }
                    else
                    {
                        TensorPrimitives.Multiply(new ReadOnlySpan<T>(dy + off, s.HW), a, dxr);
                    }
                }
            }
        });
    }

    public override void LrnForward(Tensor x, Tensor y, int size, double alpha, double beta, double k)
    {
        Check.Nchw(nameof(LrnForward), x, y);
        if (Widened.Find(x, y) is { } reduced)
        {
            Widened.Run(nameof(LrnForward), reduced, wide => LrnForward(wide.In(x), wide.Out(y), size, alpha, beta, k));
            return;
        }
        const string op = nameof(LrnForward);
        Check.Lrn(op, Device, x, y);
        if (size < 1) throw new ArgumentException($"{op}: size {size} must be at least 1");
        switch (x.DType)
        {
            case DType.F32: LrnT<float>(x, y, null, null, size, alpha, beta, k); break;
            case DType.F64: LrnT<double>(x, y, null, null, size, alpha, beta, k); break;
            default: throw Unsupported(op, x);
        }
    }

    public override void LrnBackward(Tensor x, Tensor y, Tensor dy, Tensor dx, int size, double alpha, double beta, double k)
    {
        Check.Nchw(nameof(LrnBackward), x, y, dy, dx);
        if (Widened.Find(x, y, dy, dx) is { } reduced)
        {
            Widened.Run(nameof(LrnBackward), reduced, wide => LrnBackward(wide.In(x), wide.In(y), wide.In(dy), wide.Out(dx), size, alpha, beta, k));
            return;
        }
        const string op = nameof(LrnBackward);
        Check.Lrn(op, Device, x, y, dy, dx);
        switch (x.DType)
        {
            case DType.F32: LrnT<float>(x, y, dy, dx, size, alpha, beta, k); break;
            case DType.F64: LrnT<double>(x, y, dy, dx, size, alpha, beta, k); break;
            default: throw Unsupported(op, x);
        }
    }

    /// <summary>
    /// scale_c = k + alpha/size * sum of x_j^2 for j in [c - size/2, c + (size-1)/2]; y_c = x_c scale_c^-beta.
    /// Backward: dx_c = dy_c scale_c^-beta - 2 alpha beta / size * x_c * sum over the j whose window holds c of dy_j x_j scale_j^(-beta-1).
    /// </summary>
    private static void LrnT<T>(Tensor xt, Tensor yt, Tensor? dyt, Tensor? dxt, int size, double alpha, double beta, double k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = xt[0], c = xt[1], hw = xt[2] * xt[3];
        T* x = (T*)xt.Pointer, y = (T*)yt.Pointer;
        T* dy = dyt is null ? null : (T*)dyt.Pointer, dx = dxt is null ? null : (T*)dxt.Pointer;
        var backward = dx != null;
        int before = size / 2, after = (size - 1) / 2;
        CpuParallel.For((long)n * hw, 4096, (p0, p1) =>
        {
            var scale = new double[c];
            var t = new double[c];
            for (var p = p0; p < p1; p++)
            {
                var ni = p / hw;
                var i = p % hw;
                var baseOff = ni * c * hw + i;
                for (var ci = 0; ci < c; ci++)
                {
                    double sum = 0;
                    for (var j = Math.Max(0, ci - before); j <= Math.Min(c - 1, ci + after); j++)
                    {
                        var v = double.CreateTruncating(x[baseOff + (long)j * hw]);
                        sum += v * v;
                    }
                    scale[ci] = k + alpha / size * sum;
                }
                if (!backward)
                {
                    for (var ci = 0; ci < c; ci++)
                        y[baseOff + (long)ci * hw] = T.CreateTruncating(double.CreateTruncating(x[baseOff + (long)ci * hw]) * Math.Pow(scale[ci], -beta));
                    continue;
                }
                for (var j = 0; j < c; j++)
                    t[j] = double.CreateTruncating(dy[baseOff + (long)j * hw]) * double.CreateTruncating(x[baseOff + (long)j * hw]) * Math.Pow(scale[j], -beta - 1);
                for (var ci = 0; ci < c; ci++)
                {
                    double acc = 0;
                    // j's window [j - before, j + after] holds ci when j is in [ci - after, ci + before].
                    for (var j = Math.Max(0, ci - after); j <= Math.Min(c - 1, ci + before); j++) acc += t[j];
                    var xc = double.CreateTruncating(x[baseOff + (long)ci * hw]);
                    var g = double.CreateTruncating(dy[baseOff + (long)ci * hw]) * Math.Pow(scale[ci], -beta) - 2 * alpha * beta / size * xc * acc;
                    dx[baseOff + (long)ci * hw] = T.CreateTruncating(g);
                }
            }
        });
    }
}
