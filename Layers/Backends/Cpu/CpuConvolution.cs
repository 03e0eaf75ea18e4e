using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Numerics;
using System.Runtime.InteropServices;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// Convolution as im2col + GEMM, per image and per group: the column matrix of one image stays in L2.
// With a batch of at least as many images as threads, images are split over threads and each GEMM runs
// on one thread; a smaller batch runs image by image on the threaded GEMM. A 1x1, stride-1, unpadded
// convolution needs no im2col: the image is its own column matrix.
public sealed unsafe partial class CpuBackend
{
    [ThreadStatic] private static byte* _scratch;
    [ThreadStatic] private static long _scratchBytes;

    /// <summary>A per-thread scratch buffer of at least <paramref name="bytes"/>, kept for the next call.</summary>
    private static void* Scratch(long bytes)
    {
        if (_scratchBytes < bytes)
        {
            if (_scratch != null) NativeMemory.AlignedFree(_scratch);
            var size = Math.Max(bytes, _scratchBytes * 2);
            _scratch = (byte*)NativeMemory.AlignedAlloc((nuint)size, 64);
            _scratchBytes = size;
        }
        return _scratch;
    }

    private readonly record struct ConvShape(int N, int C, int H, int W, int O, int KH, int KW, int OH, int OW, int Groups)
    {
        public int Cg => C / Groups;
        public int Og => O / Groups;
        public int K => Cg * KH * KW;
        public int Ohw => OH * OW;
    }

    private ConvShape CheckConv(string op, Tensor x, Tensor w, Tensor y, Conv2dGeometry g)
    {
        Check.OnDevice(op, Device, x, w, y);
        Check.Rank(op, "input", x, 4);
        Check.Rank(op, "weight", w, 4);
        Check.Rank(op, "output", y, 4);
        Check.SameDType(op, x, w);
        Check.SameDType(op, x, y);
        int n = x[0], c = x[1], h = x[2], wd = x[3], o = w[0];
        if (g.Groups < 1 || c % g.Groups != 0 || o % g.Groups != 0)
            throw new ArgumentException($"{op}: {c} input and {o} output channels must both divide into {g.Groups} groups");
        if (w[1] != c / g.Groups)
            throw new ArgumentException($"{op}: weight {w.ShapeText} takes {w[1]} channels per group, the input has {c} in {g.Groups} group(s)");
        var (oh, ow) = g.OutputSize(h, wd, w[2], w[3]);
        Check.Shape(op, "output", y, n, o, oh, ow);
        return new ConvShape(n, c, h, wd, o, w[2], w[3], oh, ow, g.Groups);
    }

    private static bool IsPointwise(ConvShape s, Conv2dGeometry g) =>
        s.KH == 1 && s.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0;

    public override void ConvForward(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g)
    {
        const string op = nameof(ConvForward);
        var s = CheckConv(op, x, w, y, g);
        if (bias is not null)
        {
            Check.SameDType(op, x, bias);
            if (bias.Count != s.O) throw new ArgumentException($"{op}: bias {bias.ShapeText} must have {s.O} elements");
        }
        switch (x.DType)
        {
            case DType.F32: ConvForwardT<float>(x, w, bias, y, g, s); break;
            case DType.F64: ConvForwardT<double>(x, w, bias, y, g, s); break;
            default: throw Unsupported(op, x);
        }
    }

    private static void ConvForwardT<T>(Tensor xt, Tensor wt, Tensor? bt, Tensor yt, Conv2dGeometry g, ConvShape s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* x = (T*)xt.Pointer, w = (T*)wt.Pointer, y = (T*)yt.Pointer;
        T* b = bt is null ? null : (T*)bt.Pointer;
        var pointwise = IsPointwise(s, g);
        ForImages(s.N, (n, threaded) =>
        {
            var col = pointwise ? null : (T*)Scratch((long)s.K * s.Ohw * sizeof(T));
            for (var gi = 0; gi < s.Groups; gi++)
            {
                var xg = x + ((long)n * s.C + gi * s.Cg) * s.H * s.W;
                if (!pointwise) Im2Col(xg, s, g, col);
                var yg = y + ((long)n * s.O + gi * s.Og) * s.Ohw;
                Gemm(false, false, s.Og, s.Ohw, s.K, T.One, w + (long)gi * s.Og * s.K, pointwise ? xg : col, T.Zero, yg, threaded);
            }
            if (b != null)
                for (var o = 0; o < s.O; o++)
                {
                    var row = new Span<T>(y + ((long)n * s.O + o) * s.Ohw, s.Ohw);
                    TensorPrimitives.Add(row, b[o], row);
                }
        });
    }

    public override void ConvBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g)
    {
        const string op = nameof(ConvBackwardData);
        var s = CheckConv(op, dx, w, dy, g);
        switch (dy.DType)
        {
            case DType.F32: ConvBackwardDataT<float>(dy, w, dx, g, s); break;
            case DType.F64: ConvBackwardDataT<double>(dy, w, dx, g, s); break;
            default: throw Unsupported(op, dy);
        }
    }

    private static void ConvBackwardDataT<T>(Tensor dyt, Tensor wt, Tensor dxt, Conv2dGeometry g, ConvShape s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* dy = (T*)dyt.Pointer, w = (T*)wt.Pointer, dx = (T*)dxt.Pointer;
        var pointwise = IsPointwise(s, g);
        ForImages(s.N, (n, threaded) =>
        {
            var col = pointwise ? null : (T*)Scratch((long)s.K * s.Ohw * sizeof(T));
            for (var gi = 0; gi < s.Groups; gi++)
            {
                var dxg = dx + ((long)n * s.C + gi * s.Cg) * s.H * s.W;
                var dyg = dy + ((long)n * s.O + gi * s.Og) * s.Ohw;
                // dcol = W_g^T dy_g, then scattered back onto the image.
                Gemm(true, false, s.K, s.Ohw, s.Og, T.One, w + (long)gi * s.Og * s.K, dyg, T.Zero, pointwise ? dxg : col, threaded);
                if (!pointwise) Col2Im(col, s, g, dxg);
            }
        });
    }

    public override void ConvBackwardFilter(Tensor x, Tensor dy, Tensor dw, Conv2dGeometry g, double beta)
    {
        const string op = nameof(ConvBackwardFilter);
        var s = CheckConv(op, x, dw, dy, g);
        switch (x.DType)
        {
            case DType.F32: ConvBackwardFilterT(x, dy, dw, g, s, (float)beta); break;
            case DType.F64: ConvBackwardFilterT(x, dy, dw, g, s, beta); break;
            default: throw Unsupported(op, x);
        }
    }

    private static void ConvBackwardFilterT<T>(Tensor xt, Tensor dyt, Tensor dwt, Conv2dGeometry g, ConvShape s, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* x = (T*)xt.Pointer, dy = (T*)dyt.Pointer, dw = (T*)dwt.Pointer;
        var count = dwt.Count;
        var pointwise = IsPointwise(s, g);
        // Each thread accumulates its images into its own partial sum; the partials are added at the end.
        var chunks = s.N >= Threads ? Threads : 1;
        var partials = new T[chunks][];
        CpuParallel.For(s.N, Math.Max(1, s.N / chunks), (start, end) =>
        {
            var part = new T[count];
            var threaded = chunks == 1;
            fixed (T* acc = part)
            {
                var col = pointwise ? null : (T*)Scratch((long)s.K * s.Ohw * sizeof(T));
                for (var n = (int)start; n < end; n++)
                    for (var gi = 0; gi < s.Groups; gi++)
                    {
                        var xg = x + ((long)n * s.C + gi * s.Cg) * s.H * s.W;
                        if (!pointwise) Im2Col(xg, s, g, col);
                        var dyg = dy + ((long)n * s.O + gi * s.Og) * s.Ohw;
                        Gemm(false, true, s.Og, s.K, s.Ohw, T.One, dyg, pointwise ? xg : col, T.One, acc + (long)gi * s.Og * s.K, threaded);
                    }
            }
            lock (partials) partials[Array.IndexOf(partials, null)] = part;
        });
        var d = new Span<T>(dw, checked((int)count));
        if (T.IsZero(beta)) d.Clear();
        else if (beta != T.One) TensorPrimitives.Multiply(d, beta, d);
        foreach (var p in partials)
            if (p is not null) TensorPrimitives.Add(d, p, d);
    }

    public override void ConvBackwardBias(Tensor dy, Tensor db, double beta)
    {
        const string op = nameof(ConvBackwardBias);
        Check.OnDevice(op, Device, dy, db);
        Check.Rank(op, "dy", dy, 4);
        Check.SameDType(op, dy, db);
        if (db.Count != dy[1]) throw new ArgumentException($"{op}: db {db.ShapeText} must have one value per channel of dy {dy.ShapeText}");
        switch (dy.DType)
        {
            case DType.F32: ChannelSums<float>(dy, db, (float)beta); break;
            case DType.F64: ChannelSums<double>(dy, db, beta); break;
            default: throw Unsupported(op, dy);
        }
    }

    /// <summary>sums[c] = beta * sums[c] + sum over n, h, w of x[n, c, h, w].</summary>
    private static void ChannelSums<T>(Tensor xt, Tensor st, T beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = xt[0], c = xt[1], hw = xt[2] * xt[3];
        T* x = (T*)xt.Pointer, sums = (T*)st.Pointer;
        for (var ci = 0; ci < c; ci++)
        {
            var total = T.Zero;
            for (var ni = 0; ni < n; ni++) total += TensorPrimitives.Sum(new ReadOnlySpan<T>(x + ((long)ni * c + ci) * hw, hw));
            sums[ci] = (T.IsZero(beta) ? T.Zero : beta * sums[ci]) + total;
        }
    }

    /// <summary>Runs body(image, threadedGemm) for every image: images over threads, or the GEMM over threads when the batch is small.</summary>
    private static void ForImages(int n, Action<int, bool> body)
    {
        if (n >= Threads && Threads > 1)
            CpuParallel.For(n, 1, (s, e) => { for (var i = (int)s; i < e; i++) body(i, false); });
        else
            for (var i = 0; i < n; i++) body(i, true);
    }

    private static void Gemm<T>(bool ta, bool tb, int m, int n, int k, T alpha, T* a, T* b, T beta, T* c, bool threaded)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            GemmF32(ta, tb, m, n, k, float.CreateTruncating(alpha), (float*)a, (float*)b, float.CreateTruncating(beta), (float*)c, threaded);
        else
            GemmF64(ta, tb, m, n, k, double.CreateTruncating(alpha), (double*)a, (double*)b, double.CreateTruncating(beta), (double*)c);
    }

    /// <summary>col[(c, kh, kw), (oh, ow)] = x[c, oh*s - p + kh*d, ow*s - p + kw*d], zero outside the image.</summary>
    private static void Im2Col<T>(T* x, ConvShape s, Conv2dGeometry g, T* col) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var row = col;
        for (var c = 0; c < s.Cg; c++)
        {
            var xc = x + (long)c * s.H * s.W;
            for (var kh = 0; kh < s.KH; kh++)
                for (var kw = 0; kw < s.KW; kw++)
                {
                    for (var oh = 0; oh < s.OH; oh++)
                    {
                        var ih = oh * g.StrideH - g.PadH + kh * g.DilationH;
                        var dst = row + oh * s.OW;
                        if ((uint)ih >= (uint)s.H)
                        {
                            new Span<T>(dst, s.OW).Clear();
                            continue;
                        }
                        var src = xc + ih * s.W;
                        var iw0 = kw * g.DilationW - g.PadW;
                        if (g.StrideW == 1 && iw0 >= 0 && iw0 + s.OW <= s.W)
                        {
                            new ReadOnlySpan<T>(src + iw0, s.OW).CopyTo(new Span<T>(dst, s.OW));
                            continue;
                        }
                        for (var ow = 0; ow < s.OW; ow++)
                        {
                            var iw = iw0 + ow * g.StrideW;
                            dst[ow] = (uint)iw < (uint)s.W ? src[iw] : T.Zero;
                        }
                    }
                    row += s.Ohw;
                }
        }
    }

    /// <summary>The adjoint of <see cref="Im2Col{T}"/>: x is zeroed, then every column entry is added back to its pixel.</summary>
    private static void Col2Im<T>(T* col, ConvShape s, Conv2dGeometry g, T* x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        new Span<T>(x, s.Cg * s.H * s.W).Clear();
        var row = col;
        for (var c = 0; c < s.Cg; c++)
        {
            var xc = x + (long)c * s.H * s.W;
            for (var kh = 0; kh < s.KH; kh++)
                for (var kw = 0; kw < s.KW; kw++)
                {
                    for (var oh = 0; oh < s.OH; oh++)
                    {
                        var ih = oh * g.StrideH - g.PadH + kh * g.DilationH;
                        if ((uint)ih >= (uint)s.H) continue;
                        var src = row + oh * s.OW;
                        var dst = xc + ih * s.W;
                        var iw0 = kw * g.DilationW - g.PadW;
                        if (g.StrideW == 1 && iw0 >= 0 && iw0 + s.OW <= s.W)
                        {
                            var d = new Span<T>(dst + iw0, s.OW);
                            TensorPrimitives.Add(d, new ReadOnlySpan<T>(src, s.OW), d);
                            continue;
                        }
                        for (var ow = 0; ow < s.OW; ow++)
                        {
                            var iw = iw0 + ow * g.StrideW;
                            if ((uint)iw < (uint)s.W) dst[iw] += src[ow];
                        }
                    }
                    row += s.Ohw;
                }
        }
    }
}
