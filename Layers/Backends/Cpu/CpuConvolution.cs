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
    private static void* Scratch(long bytes) => CpuScratch.Get(CpuScratch.Columns, bytes);

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

    /// <summary>A kernel that covers the whole unpadded input (LeNet's C5): the convolution is a fully connected layer on [N, C*H*W].</summary>
    private static bool IsFullyConnected(ConvShape s, Conv2dGeometry g) =>
        s.Groups == 1 && s.OH == 1 && s.OW == 1 && s.KH == s.H && s.KW == s.W && g.PadH == 0 && g.PadW == 0;

    private static bool IsPointwise(ConvShape s, Conv2dGeometry g) =>
        s.KH == 1 && s.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0;

    // Images are taken in chunks: one GEMM per chunk and group covers G images side by side ([K, G*OH*OW]
    // columns). A chunk's column matrix aims at L2's size, but never gives the GEMM fewer than MinColumns columns
    // (its N, or its K for the weight gradient): small feature maps (LeNet's, a ResNet's last stage) would otherwise
    // make GEMMs too thin to run near peak. Chunks go to threads when there are enough of them; otherwise one chunk
    // at a time runs on the threaded GEMM.
    private const long ColumnBudget = 1 << 19; // floats in one chunk's column matrix (2 MB in F32)
    private const int MinColumns = 1024;
    private const long ColumnCap = 1 << 24;    // floats: no chunk's column matrix beyond 64 MB

    private static int ChunkImages(ConvShape s)
    {
        var perImage = Math.Max(1L, (long)s.K * s.Ohw);
        var byBudget = ColumnBudget / perImage;
        var byColumns = (MinColumns + s.Ohw - 1) / s.Ohw;
        var g = (int)Math.Clamp(Math.Min(Math.Max(byBudget, byColumns), ColumnCap / perImage), 1, s.N);
        if ((s.N + g - 1) / g < Threads && s.N >= Threads && (long)((s.N + Threads - 1) / Threads) * s.Ohw >= MinColumns)
            g = (s.N + Threads - 1) / Threads;
        return g;
    }

    /// <summary>Runs body(firstImage, images, threadedGemm) over chunks of images.</summary>
    private static void ForChunks(ConvShape s, Action<int, int, bool> body) => ForChunks(s, (_, n0, images, threaded) => body(n0, images, threaded));

    /// <summary>
    /// Runs body(worker, firstImage, images, threadedGemm) over chunks of images; worker w (0 .. Threads - 1) takes chunks
    /// w, w + Threads, ... in order, whatever OS thread runs it, so per-worker partial sums are the same from run to run.
    /// </summary>
    private static void ForChunks(ConvShape s, Action<int, int, int, bool> body) => ForChunks(s.N, ChunkImages(s), body);

    /// <summary>The same over <paramref name="n"/> images in chunks of <paramref name="imagesPerChunk"/> (Winograd sizes its own).</summary>
    private static void ForChunks(int n, int imagesPerChunk, Action<int, int, int, bool> body)
    {
        var g = imagesPerChunk;
        var chunks = (n + g - 1) / g;
        if (chunks >= Threads && Threads > 1)
            CpuParallel.Items(Threads, w =>
            {
                for (var c = w; c < chunks; c += Threads) body(w, c * g, Math.Min(g, n - c * g), false);
            });
        else
            for (var c = 0; c < chunks; c++) body(0, c * g, Math.Min(g, n - c * g), true);
    }

    public override void ConvForward(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g)
    {
        Check.Nchw(nameof(ConvForward), x, w, bias, y);
        if (Widened.Find(x, w, bias, y) is { } reduced)
        {
            Widened.Run(nameof(ConvForward), reduced, wide => ConvForward(wide.In(x), wide.In(w), wide.In(bias), wide.Out(y), g));
            return;
        }
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
        if (UseDirect(s, g))
        {
            DirectForward(x, w, b, y, s, g);
            return;
        }
        if (UseWinograd<T>(s, g))
        {
            WinogradForward((float*)x, (float*)w, (float*)b, (float*)y, s, g);
            return;
        }
        if (IsFullyConnected(s, g))
        {
            // y [N, O] = x [N, K] W^T
            Gemm(false, true, s.N, s.O, s.K, T.One, x, w, T.Zero, y, true);
            if (b != null)
                for (var n = 0; n < s.N; n++)
                {
                    var row = new Span<T>(y + (long)n * s.O, s.O);
                    TensorPrimitives.Add(row, new ReadOnlySpan<T>(b, s.O), row);
                }
            return;
        }
        var pointwise = IsPointwise(s, g);
        ForChunks(s, (n0, count, threaded) =>
        {
            var cols = count * s.Ohw;
            var direct = pointwise && count == 1;
            var col = direct ? null : (T*)Scratch((long)(s.K + s.Og) * cols * sizeof(T));
            var tmp = direct ? null : col + (long)s.K * cols;
            for (var gi = 0; gi < s.Groups; gi++)
            {
                var wg = w + (long)gi * s.Og * s.K;
                if (direct)
                {
                    Gemm(false, false, s.Og, s.Ohw, s.K, T.One, wg, XGroup(x, s, n0, gi), T.Zero, YGroup(y, s, n0, gi), threaded);
                    continue;
                }
                for (var j = 0; j < count; j++) Im2Col(XGroup(x, s, n0 + j, gi), s, g, col + (long)j * s.Ohw, cols);
                if (count == 1)
                {
                    Gemm(false, false, s.Og, s.Ohw, s.K, T.One, wg, col, T.Zero, YGroup(y, s, n0, gi), threaded);
                    continue;
                }
                Gemm(false, false, s.Og, cols, s.K, T.One, wg, col, T.Zero, tmp, threaded);
                // [Og, count*OHW] back to NCHW.
                for (var o = 0; o < s.Og; o++)
                    for (var j = 0; j < count; j++)
                        new ReadOnlySpan<T>(tmp + (long)o * cols + (long)j * s.Ohw, s.Ohw).CopyTo(new Span<T>(YGroup(y, s, n0 + j, gi) + (long)o * s.Ohw, s.Ohw));
            }
            if (b != null)
                for (var j = 0; j < count; j++)
                    for (var o = 0; o < s.O; o++)
                    {
                        var row = new Span<T>(y + ((long)(n0 + j) * s.O + o) * s.Ohw, s.Ohw);
                        TensorPrimitives.Add(row, b[o], row);
                    }
        });
    }

    private static T* XGroup<T>(T* x, ConvShape s, int n, int group) where T : unmanaged => x + ((long)n * s.C + group * s.Cg) * s.H * s.W;

    private static T* YGroup<T>(T* y, ConvShape s, int n, int group) where T : unmanaged => y + ((long)n * s.O + group * s.Og) * s.Ohw;

    /// <summary>Gathers dy of images [n0, n0 + count), one group, as [Og, count*OHW] into <paramref name="dst"/>.</summary>
    private static void GatherOutput<T>(T* dy, ConvShape s, int n0, int count, int group, T* dst) where T : unmanaged
    {
        var cols = count * s.Ohw;
        for (var o = 0; o < s.Og; o++)
            for (var j = 0; j < count; j++)
                new ReadOnlySpan<T>(YGroup(dy, s, n0 + j, group) + (long)o * s.Ohw, s.Ohw).CopyTo(new Span<T>(dst + (long)o * cols + (long)j * s.Ohw, s.Ohw));
    }

    public override void ConvBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g)
    {
        Check.Nchw(nameof(ConvBackwardData), dy, w, dx);
        if (Widened.Find(dy, w, dx) is { } reduced)
        {
            Widened.Run(nameof(ConvBackwardData), reduced, wide => ConvBackwardData(wide.In(dy), wide.In(w), wide.Out(dx), g));
            return;
        }
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
        if (UseDirect(s, g))
        {
            DirectBackwardData(dy, w, dx, s, g);
            return;
        }
        if (UseWinograd<T>(s, g))
        {
            WinogradBackwardData((float*)dy, (float*)w, (float*)dx, s, g);
            return;
        }
        if (IsFullyConnected(s, g))
        {
            // dx [N, K] = dy [N, O] W
            Gemm(false, false, s.N, s.K, s.O, T.One, dy, w, T.Zero, dx, true);
            return;
        }
        var pointwise = IsPointwise(s, g);
        ForChunks(s, (n0, count, threaded) =>
        {
            var cols = count * s.Ohw;
            var direct = pointwise && count == 1;
            var dcol = direct ? null : (T*)Scratch((long)(s.K + s.Og) * cols * sizeof(T));
            var dyg = direct ? null : dcol + (long)s.K * cols;
            for (var gi = 0; gi < s.Groups; gi++)
            {
                var wg = w + (long)gi * s.Og * s.K;
                if (direct)
                {
                    Gemm(true, false, s.K, s.Ohw, s.Og, T.One, wg, YGroup(dy, s, n0, gi), T.Zero, XGroup(dx, s, n0, gi), threaded);
                    continue;
                }
                var src = count == 1 ? YGroup(dy, s, n0, gi) : dyg;
                if (count > 1) GatherOutput(dy, s, n0, count, gi, dyg);
                // dcol = W_g^T dy_g, then scattered back onto each image.
                Gemm(true, false, s.K, cols, s.Og, T.One, wg, src, T.Zero, dcol, threaded);
                for (var j = 0; j < count; j++) Col2Im(dcol + (long)j * s.Ohw, cols, s, g, XGroup(dx, s, n0 + j, gi));
            }
        });
    }

    public override void ConvBackwardFilter(Tensor x, Tensor dy, Tensor dw, Conv2dGeometry g, double beta)
    {
        Check.Nchw(nameof(ConvBackwardFilter), x, dy, dw);
        if (Widened.Find(x, dy, dw) is { } reduced)
        {
            Widened.Run(nameof(ConvBackwardFilter), reduced, wide => ConvBackwardFilter(wide.In(x), wide.In(dy), wide.Out(dw), g, beta));
            return;
        }
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
        var count = checked((int)dwt.Count);
        if (UseDirect(s, g))
        {
            ScaleByBeta(new Span<T>(dw, count), beta);
            DirectBackwardFilter(x, dy, dw, s, g);
            return;
        }
        if (UseWinograd<T>(s, g))
        {
            WinogradBackwardFilter((float*)x, (float*)dy, (float*)dw, s, g, float.CreateTruncating(beta));
            return;
        }
        if (IsFullyConnected(s, g))
        {
            // dW [O, K] = beta dW + dy^T [O, N] x [N, K]
            Gemm(true, false, s.O, s.K, s.N, T.One, dy, x, beta, dw, true);
            return;
        }
        var pointwise = IsPointwise(s, g);
        // Each worker sums its chunks into a partial of its own; the partials are added at the end, in worker order, so
        // the result does not depend on which thread ran what. Rented per call: pool threads are shared between calls.
        var partials = new nint[Threads];
        ForChunks(s, (worker, n0, images, threaded) =>
        {
            if (partials[worker] == 0) partials[worker] = (nint)CpuScratch.Rent((long)count * sizeof(T));
            var part = (T*)partials[worker];
            var cols = images * s.Ohw;
            var direct = pointwise && images == 1;
            var col = direct ? null : (T*)Scratch((long)(s.K + s.Og) * cols * sizeof(T));
            var dyg = direct ? null : col + (long)s.K * cols;
            for (var gi = 0; gi < s.Groups; gi++)
            {
                var dwg = part + (long)gi * s.Og * s.K;
                if (direct)
                {
                    // dW_g += dy_g [Og, HW] x_g^T: a 1x1 convolution's image is its own column matrix.
                    Gemm(false, true, s.Og, s.K, cols, T.One, YGroup(dy, s, n0, gi), XGroup(x, s, n0, gi), T.One, dwg, threaded);
                    continue;
                }
                for (var j = 0; j < images; j++) Im2Col(XGroup(x, s, n0 + j, gi), s, g, col + (long)j * s.Ohw, cols);
                if (images > 1) GatherOutput(dy, s, n0, images, gi, dyg);
                var dyChunk = images == 1 ? YGroup(dy, s, n0, gi) : dyg;
                // dW^T [K, Og] = col [K, cols] dy_g^T reads the big column matrix in place and packs only dy_g,
                // where dy_g col^T would pack (transpose) the whole column matrix: 1.2-2.7x faster measured
                // on ResNet-18's and LeNet-5's shapes; the transpose back is K x Og, small beside the product.
                var t = (T*)CpuScratch.Get(CpuScratch.Transpose, (long)s.K * s.Og * sizeof(T));
                Gemm(false, true, s.K, s.Og, cols, T.One, col, dyChunk, T.Zero, t, threaded);
                for (var k = 0; k < s.K; k++)
                    for (var o = 0; o < s.Og; o++) dwg[(long)o * s.K + k] += t[(long)k * s.Og + o];
            }
        });
        var d = new Span<T>(dw, count);
        ScaleByBeta(d, beta);
        foreach (var p in partials)
        {
            if (p == 0) continue;
            TensorPrimitives.Add(d, new ReadOnlySpan<T>((T*)p, count), d);
            CpuScratch.Return((void*)p);
        }
    }

    public override void ConvBackwardBias(Tensor dy, Tensor db, double beta)
    {
        Check.Nchw(nameof(ConvBackwardBias), dy, db);
        if (Widened.Find(dy, db) is { } reduced)
        {
            Widened.Run(nameof(ConvBackwardBias), reduced, wide => ConvBackwardBias(wide.In(dy), wide.Out(db), beta));
            return;
        }
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

    private static void Gemm<T>(bool ta, bool tb, int m, int n, int k, T alpha, T* a, T* b, T beta, T* c, bool threaded)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            GemmF32(ta, tb, m, n, k, float.CreateTruncating(alpha), (float*)a, (float*)b, float.CreateTruncating(beta), (float*)c, threaded);
        else
            GemmF64(ta, tb, m, n, k, double.CreateTruncating(alpha), (double*)a, (double*)b, double.CreateTruncating(beta), (double*)c);
    }

    /// <summary>col[(c, kh, kw), (oh, ow)] = x[c, oh*s - p + kh*d, ow*s - p + kw*d], zero outside the image; rows of col are <paramref name="ld"/> apart.</summary>
    private static void Im2Col<T>(T* x, ConvShape s, Conv2dGeometry g, T* col, long ld) where T : unmanaged, IFloatingPointIeee754<T>
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
                        // Output columns whose input column falls inside the image; the rest are padding.
                        var lo = iw0 >= 0 ? 0 : (-iw0 + g.StrideW - 1) / g.StrideW;
                        var hi = Math.Min(s.OW, s.W - iw0 <= 0 ? 0 : (s.W - iw0 + g.StrideW - 1) / g.StrideW);
                        lo = Math.Min(lo, hi);
                        for (var ow = 0; ow < lo; ow++) dst[ow] = T.Zero;
                        for (var ow = hi; ow < s.OW; ow++) dst[ow] = T.Zero;
                        if (g.StrideW == 1)
                            CopyShort(src + iw0 + lo, dst + lo, hi - lo);
                        else
                            for (var ow = lo; ow < hi; ow++) dst[ow] = src[iw0 + ow * g.StrideW];
                    }
                    row += ld;
                }
        }
    }

    /// <summary>
    /// dst[0..n) = src[0..n) for the short rows of im2col (a 10-pixel row of LeNet's second layer), a vector at a time
    /// and without the call that a span copy costs: at these lengths the call is most of the work.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void CopyShort<T>(T* src, T* dst, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var i = 0;
        for (; i + Vector<T>.Count <= n; i += Vector<T>.Count) Vector.Load(src + i).Store(dst + i);
        for (; i < n; i++) dst[i] = src[i];
    }

    /// <summary>dst[0..n) += src[0..n), for the short rows of col2im.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void AddShort<T>(T* src, T* dst, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var i = 0;
        for (; i + Vector<T>.Count <= n; i += Vector<T>.Count) (Vector.Load(dst + i) + Vector.Load(src + i)).Store(dst + i);
        for (; i < n; i++) dst[i] += src[i];
    }

    /// <summary>The adjoint of <see cref="Im2Col{T}"/>: x is zeroed, then every column entry is added back to its pixel.</summary>
    private static void Col2Im<T>(T* col, long ld, ConvShape s, Conv2dGeometry g, T* x) where T : unmanaged, IFloatingPointIeee754<T>
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
                        var lo = iw0 >= 0 ? 0 : (-iw0 + g.StrideW - 1) / g.StrideW;
                        var hi = Math.Min(s.OW, s.W - iw0 <= 0 ? 0 : (s.W - iw0 + g.StrideW - 1) / g.StrideW);
                        if (hi <= lo) continue;
                        if (g.StrideW == 1)
                        {
                            AddShort(src + lo, dst + iw0 + lo, hi - lo);
                        }
                        else
                        {
                            for (var ow = lo; ow < hi; ow++) dst[iw0 + ow * g.StrideW] += src[ow];
                        }
                    }
                    row += ld;
                }
        }
    }
}
