using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NativeNets.Backends;

// Direct convolution for stride-1, undilated layers with a tiny fan-in (a first layer on grey images: LeNet's
// 1x5x5, a 3x3 stem on one channel). There im2col would copy K rows per output row for a GEMM with K <= 32,
// and the copying costs more than the arithmetic; here each output row is a sum of shifted input rows,
// a vector at a time, from a zero-padded copy of the image.
public sealed unsafe partial class CpuBackend
{
    private const int DirectMaxFanIn = 32;

    private static bool UseDirect(ConvShape s, Conv2dGeometry g) =>
        s.K <= DirectMaxFanIn && g is { StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1 };

    /// <summary>Row length of the padded planes: the padded width plus a vector, so that every vector load stays inside.</summary>
    private static int PaddedWidth<T>(ConvShape s, Conv2dGeometry g) where T : unmanaged => s.W + 2 * g.PadW + Vector<T>.Count;

    /// <summary>Copies one group of image n into a zero-padded [Cg, H + 2p, PaddedWidth] buffer.</summary>
    private static void PadImage<T>(T* x, ConvShape s, Conv2dGeometry g, T* pad) where T : unmanaged
    {
        int hp = s.H + 2 * g.PadH, wp = PaddedWidth<T>(s, g);
        new Span<T>(pad, s.Cg * hp * wp).Clear();
        for (var c = 0; c < s.Cg; c++)
            for (var h = 0; h < s.H; h++)
                new ReadOnlySpan<T>(x + ((long)c * s.H + h) * s.W, s.W).CopyTo(new Span<T>(pad + ((long)c * hp + h + g.PadH) * wp + g.PadW, s.W));
    }

    private static void DirectForward<T>(T* x, T* w, T* b, T* y, ConvShape s, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hp = s.H + 2 * g.PadH, wp = PaddedWidth<T>(s, g), v = Vector<T>.Count;
        var rowOut = (s.OW + v - 1) / v * v;
        CpuParallel.For(s.N, 1, (n0, n1) =>
        {
            var pad = (T*)Scratch(((long)s.Cg * hp * wp + rowOut) * sizeof(T));
            var row = pad + (long)s.Cg * hp * wp;
            for (var n = (int)n0; n < n1; n++)
                for (var gi = 0; gi < s.Groups; gi++)
                {
                    PadImage(XGroup(x, s, n, gi), s, g, pad);
                    for (var o = 0; o < s.Og; o++)
                    {
                        var oc = gi * s.Og + o;
                        var wo = w + (long)oc * s.K;
                        var bias = b == null ? T.Zero : b[oc];
                        var yo = y + ((long)n * s.O + oc) * s.Ohw;
                        for (var oh = 0; oh < s.OH; oh++)
                        {
                            for (var ow = 0; ow < rowOut; ow += v)
                            {
                                var acc = new Vector<T>(bias);
                                var tap = 0;
                                for (var c = 0; c < s.Cg; c++)
                                    for (var kh = 0; kh < s.KH; kh++)
                                    {
                                        var src = pad + ((long)c * hp + oh + kh) * wp + ow;
                                        for (var kw = 0; kw < s.KW; kw++)
                                            acc += new Vector<T>(wo[tap++]) * Vector.Load(src + kw);
                                    }
                                acc.Store(row + ow);
                            }
                            new ReadOnlySpan<T>(row, s.OW).CopyTo(new Span<T>(yo + (long)oh * s.OW, s.OW));
                        }
                    }
                }
        });
    }

    /// <summary>dW[o, c, kh, kw] += sum over n, oh, ow of dy[n, o, oh, ow] * x_padded[n, c, oh + kh, ow + kw], per thread then summed.</summary>
    private static void DirectBackwardFilter<T>(T* x, T* dy, T* dw, ConvShape s, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hp = s.H + 2 * g.PadH, wp = PaddedWidth<T>(s, g), v = Vector<T>.Count;
        var rowOut = (s.OW + v - 1) / v * v;
        var total = s.O * s.K;
        // One partial sum per chunk of images (at most one chunk per thread), added in image order at the end, so the
        // result does not depend on which thread ran what; rented per call, since pool threads are shared between calls.
        var partials = new System.Collections.Concurrent.ConcurrentDictionary<long, nint>();
        CpuParallel.For(s.N, 1, (n0, n1) =>
        {
            var part = (T*)partials.GetOrAdd(n0, _ => (nint)CpuScratch.Rent((long)total * sizeof(T)));
            var pad = (T*)Scratch(((long)s.Cg * hp * wp + (long)s.OH * rowOut) * sizeof(T));
            var dyPad = pad + (long)s.Cg * hp * wp;
            for (var n = (int)n0; n < n1; n++)
                for (var gi = 0; gi < s.Groups; gi++)
                {
                    PadImage(XGroup(x, s, n, gi), s, g, pad);
                    for (var o = 0; o < s.Og; o++)
                    {
                        var oc = gi * s.Og + o;
                        // dy's rows, zero-padded to whole vectors.
                        var dyo = dy + ((long)n * s.O + oc) * s.Ohw;
                        new Span<T>(dyPad, s.OH * rowOut).Clear();
                        for (var oh = 0; oh < s.OH; oh++)
                            new ReadOnlySpan<T>(dyo + (long)oh * s.OW, s.OW).CopyTo(new Span<T>(dyPad + (long)oh * rowOut, s.OW));
                        var tap = 0;
                        for (var c = 0; c < s.Cg; c++)
                            for (var kh = 0; kh < s.KH; kh++)
                                for (var kw = 0; kw < s.KW; kw++)
                                {
                                    var acc = Vector<T>.Zero;
                                    for (var oh = 0; oh < s.OH; oh++)
                                    {
                                        var src = pad + ((long)c * hp + oh + kh) * wp + kw;
                                        var d = dyPad + (long)oh * rowOut;
                                        for (var ow = 0; ow < rowOut; ow += v) acc += Vector.Load(d + ow) * Vector.Load(src + ow);
                                    }
                                    part[(long)oc * s.K + tap++] += Vector.Sum(acc);
                                }
                    }
                }
        });
        var dst = new Span<T>(dw, total);
        foreach (var (_, p) in partials.OrderBy(kv => kv.Key))
        {
            TensorPrimitives.Add(dst, new ReadOnlySpan<T>((T*)p, total), dst);
            CpuScratch.Return((void*)p);
        }
    }

    /// <summary>dx = the transposed convolution of dy: each dy row, times a weight, added onto the padded input row it came from.</summary>
    private static void DirectBackwardData<T>(T* dy, T* w, T* dx, ConvShape s, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hp = s.H + 2 * g.PadH, wp = PaddedWidth<T>(s, g), v = Vector<T>.Count;
        var rowOut = (s.OW + v - 1) / v * v;
        CpuParallel.For(s.N, 1, (n0, n1) =>
        {
            var pad = (T*)Scratch(((long)s.Cg * hp * wp + rowOut) * sizeof(T));
            var row = pad + (long)s.Cg * hp * wp;
            for (var n = (int)n0; n < n1; n++)
                for (var gi = 0; gi < s.Groups; gi++)
                {
                    new Span<T>(pad, s.Cg * hp * wp).Clear();
                    for (var o = 0; o < s.Og; o++)
                    {
                        var oc = gi * s.Og + o;
                        var wo = w + (long)oc * s.K;
                        var dyo = dy + ((long)n * s.O + oc) * s.Ohw;
                        for (var oh = 0; oh < s.OH; oh++)
                        {
                            new Span<T>(row, rowOut).Clear();
                            new ReadOnlySpan<T>(dyo + (long)oh * s.OW, s.OW).CopyTo(new Span<T>(row, s.OW));
                            var tap = 0;
                            for (var c = 0; c < s.Cg; c++)
                                for (var kh = 0; kh < s.KH; kh++)
                                {
                                    var dst = pad + ((long)c * hp + oh + kh) * wp;
                                    for (var kw = 0; kw < s.KW; kw++)
                                    {
                                        var wv = new Vector<T>(wo[tap++]);
                                        for (var ow = 0; ow < rowOut; ow += v)
                                            (Vector.Load(dst + kw + ow) + wv * Vector.Load(row + ow)).Store(dst + kw + ow);
                                    }
                                }
                        }
                    }
                    var dxg = XGroup(dx, s, n, gi);
                    for (var c = 0; c < s.Cg; c++)
                        for (var h = 0; h < s.H; h++)
                            new ReadOnlySpan<T>(pad + ((long)c * hp + h + g.PadH) * wp + g.PadW, s.W).CopyTo(new Span<T>(dxg + ((long)c * s.H + h) * s.W, s.W));
                }
        });
    }
}
