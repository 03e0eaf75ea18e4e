using System.Numerics;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// Pooling over NCHW planes; every (n, c) plane is independent, so planes are split over threads.
public sealed unsafe partial class CpuBackend
{
    private (int N, int C, int H, int W, int OH, int OW) CheckPool(string op, Tensor x, Tensor y, Pool2dGeometry? g)
    {
        Check.OnDevice(op, Device, x, y);
        Check.Rank(op, "input", x, 4);
        Check.Rank(op, "output", y, 4);
        Check.SameDType(op, x, y);
        int n = x[0], c = x[1], h = x[2], w = x[3];
        if (g is { } geo)
        {
            var (oh, ow) = geo.OutputSize(h, w);
            Check.Shape(op, "output", y, n, c, oh, ow);
            return (n, c, h, w, oh, ow);
        }
        if (y[0] != n || y[1] != c) throw new ArgumentException($"{op}: output {y.ShapeText} must keep the batch and channels of {x.ShapeText}");
        return (n, c, h, w, y[2], y[3]);
    }

    private static void ForPlanes(long planes, long planeSize, Action<long> body) =>
        CpuParallel.For(planes, Math.Max(1, 16384 / Math.Max(1, planeSize)), (s, e) => { for (var p = s; p < e; p++) body(p); });

    public override void MaxPoolForward(Tensor x, Tensor y, Pool2dGeometry g)
    {
        Check.Nchw(nameof(MaxPoolForward), x, y);
        if (Widened.Find(x, y) is { } reduced)
        {
            Widened.Run(nameof(MaxPoolForward), reduced, wide => MaxPoolForward(wide.In(x), wide.Out(y), g));
            return;
        }
        var s = CheckPool(nameof(MaxPoolForward), x, y, g);
        switch (x.DType)
        {
            case DType.F32: MaxPoolT<float>(x, y, null, null, g, s, false); break;
            case DType.F64: MaxPoolT<double>(x, y, null, null, g, s, false); break;
            default: throw Unsupported(nameof(MaxPoolForward), x);
        }
    }

    public override void MaxPoolBackward(Tensor x, Tensor dy, Tensor dx, Pool2dGeometry g)
    {
        Check.Nchw(nameof(MaxPoolBackward), x, dy, dx);
        if (Widened.Find(x, dy, dx) is { } reduced)
        {
            Widened.Run(nameof(MaxPoolBackward), reduced, wide => MaxPoolBackward(wide.In(x), wide.In(dy), wide.Out(dx), g));
            return;
        }
        var s = CheckPool(nameof(MaxPoolBackward), x, dy, g);
        Check.SameDType(nameof(MaxPoolBackward), x, dx);
        Check.SameCount(nameof(MaxPoolBackward), x, dx);
        switch (x.DType)
        {
            case DType.F32: MaxPoolT<float>(x, null, dy, dx, g, s, true); break;
            case DType.F64: MaxPoolT<double>(x, null, dy, dx, g, s, true); break;
            default: throw Unsupported(nameof(MaxPoolBackward), x);
        }
    }

    /// <summary>Forward writes the window maxima to y; backward adds dy to dx at each window's first maximum.</summary>
    private static void MaxPoolT<T>(Tensor xt, Tensor? yt, Tensor? dyt, Tensor? dxt, Pool2dGeometry g, (int N, int C, int H, int W, int OH, int OW) s, bool backward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = (T*)xt.Pointer;
        T* y = yt is null ? null : (T*)yt.Pointer, dy = dyt is null ? null : (T*)dyt.Pointer, dx = dxt is null ? null : (T*)dxt.Pointer;
        var hw = s.H * s.W;
        var ohw = s.OH * s.OW;
        ForPlanes((long)s.N * s.C, hw, p =>
        {
            var xp = x + p * hw;
            if (backward) new Span<T>(dx + p * hw, hw).Clear();
            for (var oh = 0; oh < s.OH; oh++)
            {
                var h0 = oh * g.StrideH - g.PadH;
                var h1 = Math.Min(h0 + g.KernelH, s.H);
                h0 = Math.Max(h0, 0);
                for (var ow = 0; ow < s.OW; ow++)
                {
                    var w0 = ow * g.StrideW - g.PadW;
                    var w1 = Math.Min(w0 + g.KernelW, s.W);
                    w0 = Math.Max(w0, 0);
                    var best = T.NegativeInfinity;
                    var at = -1;
                    for (var ih = h0; ih < h1; ih++)
                        for (var iw = w0; iw < w1; iw++)
                        {
                            var v = xp[ih * s.W + iw];
                            if (v > best || T.IsNaN(v) || at < 0)
                            {
                                best = v;
                                at = ih * s.W + iw;
                                if (T.IsNaN(v)) goto done;
                            }
                        }
                    done:
                    if (backward) { if (at >= 0) dx[p * hw + at] += dy[p * ohw + oh * s.OW + ow]; }
                    else y[p * ohw + oh * s.OW + ow] = best;
                }
            }
        });
    }

    public override void AvgPoolForward(Tensor x, Tensor y, Pool2dGeometry g)
    {
        Check.Nchw(nameof(AvgPoolForward), x, y);
        if (Widened.Find(x, y) is { } reduced)
        {
            Widened.Run(nameof(AvgPoolForward), reduced, wide => AvgPoolForward(wide.In(x), wide.Out(y), g));
            return;
        }
        var s = CheckPool(nameof(AvgPoolForward), x, y, g);
        switch (x.DType)
        {
            case DType.F32: AvgPoolT<float>(x, y, g, s, false); break;
            case DType.F64: AvgPoolT<double>(x, y, g, s, false); break;
            default: throw Unsupported(nameof(AvgPoolForward), x);
        }
    }

    public override void AvgPoolBackward(Tensor dy, Tensor dx, Pool2dGeometry g)
    {
        Check.Nchw(nameof(AvgPoolBackward), dy, dx);
        if (Widened.Find(dy, dx) is { } reduced)
        {
            Widened.Run(nameof(AvgPoolBackward), reduced, wide => AvgPoolBackward(wide.In(dy), wide.Out(dx), g));
            return;
        }
        var s = CheckPool(nameof(AvgPoolBackward), dx, dy, g);
        switch (dx.DType)
        {
            case DType.F32: AvgPoolT<float>(dx, dy, g, s, true); break;
            case DType.F64: AvgPoolT<double>(dx, dy, g, s, true); break;
            default: throw Unsupported(nameof(AvgPoolBackward), dx);
        }
    }

    /// <summary>PyTorch's average pooling: the divisor counts padding (count_include_pad) but never the part of a ceil-mode window past the padding.</summary>
    private static void AvgPoolT<T>(Tensor xt, Tensor yt, Pool2dGeometry g, (int N, int C, int H, int W, int OH, int OW) s, bool backward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* x = (T*)xt.Pointer, y = (T*)yt.Pointer;
        var hw = s.H * s.W;
        var ohw = s.OH * s.OW;
        if (g is { KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0 } && s.OH * 2 <= s.H && s.OW * 2 <= s.W)
        {
            // The common 2x2 window (LeNet's subsampling): no divisor bookkeeping, no bounds.
            var quarter = T.CreateTruncating(0.25);
            ForPlanes((long)s.N * s.C, hw, p =>
            {
                var xp = x + p * hw;
                var yp = y + p * ohw;
                if (backward) new Span<T>(xp, hw).Clear();
                for (var oh = 0; oh < s.OH; oh++)
                {
                    var r0 = xp + 2 * oh * s.W;
                    var r1 = r0 + s.W;
                    var yr = yp + oh * s.OW;
                    for (var ow = 0; ow < s.OW; ow++)
                    {
                        if (backward)
                        {
                            var v = yr[ow] * quarter;
                            r0[2 * ow] = v; r0[2 * ow + 1] = v; r1[2 * ow] = v; r1[2 * ow + 1] = v;
                        }
                        else
                        {
                            yr[ow] = (r0[2 * ow] + r0[2 * ow + 1] + r1[2 * ow] + r1[2 * ow + 1]) * quarter;
                        }
                    }
                }
            });
            return;
        }
        ForPlanes((long)s.N * s.C, hw, p =>
        {
            var xp = x + p * hw;
            var yp = y + p * ohw;
            if (backward) new Span<T>(xp, hw).Clear();
            for (var oh = 0; oh < s.OH; oh++)
            {
                var h0 = oh * g.StrideH - g.PadH;
                var h1 = Math.Min(h0 + g.KernelH, s.H + g.PadH);
                var ph = h1 - h0;
                h0 = Math.Max(h0, 0);
                h1 = Math.Min(h1, s.H);
                for (var ow = 0; ow < s.OW; ow++)
                {
                    var w0 = ow * g.StrideW - g.PadW;
                    var w1 = Math.Min(w0 + g.KernelW, s.W + g.PadW);
                    var divisor = g.CountIncludePad ? ph * (w1 - w0) : 0;
                    w0 = Math.Max(w0, 0);
                    w1 = Math.Min(w1, s.W);
                    if (!g.CountIncludePad) divisor = (h1 - h0) * (w1 - w0);
                    AverageWindow(xp, s.W, h0, h1, w0, w1, yp + oh * s.OW + ow, T.One / T.CreateChecked(Math.Max(divisor, 1)), backward);
                }
            }
        });
    }

    public override void AdaptiveAvgPoolForward(Tensor x, Tensor y)
    {
        Check.Nchw(nameof(AdaptiveAvgPoolForward), x, y);
        if (Widened.Find(x, y) is { } reduced)
        {
            Widened.Run(nameof(AdaptiveAvgPoolForward), reduced, wide => AdaptiveAvgPoolForward(wide.In(x), wide.Out(y)));
            return;
        }
        var s = CheckPool(nameof(AdaptiveAvgPoolForward), x, y, null);
        switch (x.DType)
        {
            case DType.F32: AdaptiveT<float>(x, y, s, false); break;
            case DType.F64: AdaptiveT<double>(x, y, s, false); break;
            default: throw Unsupported(nameof(AdaptiveAvgPoolForward), x);
        }
    }

    public override void AdaptiveAvgPoolBackward(Tensor dy, Tensor dx)
    {
        Check.Nchw(nameof(AdaptiveAvgPoolBackward), dy, dx);
        if (Widened.Find(dy, dx) is { } reduced)
        {
            Widened.Run(nameof(AdaptiveAvgPoolBackward), reduced, wide => AdaptiveAvgPoolBackward(wide.In(dy), wide.Out(dx)));
            return;
        }
        var s = CheckPool(nameof(AdaptiveAvgPoolBackward), dx, dy, null);
        switch (dx.DType)
        {
            case DType.F32: AdaptiveT<float>(dx, dy, s, true); break;
            case DType.F64: AdaptiveT<double>(dx, dy, s, true); break;
            default: throw Unsupported(nameof(AdaptiveAvgPoolBackward), dx);
        }
    }

    private static void AdaptiveT<T>(Tensor xt, Tensor yt, (int N, int C, int H, int W, int OH, int OW) s, bool backward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* x = (T*)xt.Pointer, y = (T*)yt.Pointer;
        var hw = s.H * s.W;
        var ohw = s.OH * s.OW;
        ForPlanes((long)s.N * s.C, hw, p =>
        {
            var xp = x + p * hw;
            var yp = y + p * ohw;
            if (backward) new Span<T>(xp, hw).Clear();
            for (var oh = 0; oh < s.OH; oh++)
            {
                var h0 = oh * s.H / s.OH;
                var h1 = ((oh + 1) * s.H + s.OH - 1) / s.OH;
                for (var ow = 0; ow < s.OW; ow++)
                {
                    var w0 = ow * s.W / s.OW;
                    var w1 = ((ow + 1) * s.W + s.OW - 1) / s.OW;
                    AverageWindow(xp, s.W, h0, h1, w0, w1, yp + oh * s.OW + ow, T.One / T.CreateChecked((h1 - h0) * (w1 - w0)), backward);
                }
            }
        });
    }

    /// <summary>
    /// One averaging window of a plane x (row length w), rows [h0, h1) and columns [w0, w1): forward writes the mean
    /// (sum times inv) to *y; backward spreads *y times inv over the window.
    /// </summary>
    private static void AverageWindow<T>(T* x, int w, int h0, int h1, int w0, int w1, T* y, T inv, bool backward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (backward)
        {
            var share = *y * inv;
            for (var ih = h0; ih < h1; ih++)
                for (var iw = w0; iw < w1; iw++) x[ih * w + iw] += share;
            return;
        }
        var sum = T.Zero;
        for (var ih = h0; ih < h1; ih++)
            for (var iw = w0; iw < w1; iw++) sum += x[ih * w + iw];
        *y = sum * inv;
    }
}
