using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeNets.Backends;

// Winograd F(m x m, 3x3) for the 3x3, stride-1 convolutions that make up most of a ResNet (Lavin & Gray 2016), with
// output tiles of m = 2 or 4: each m x m block of outputs comes from an (m + 2)^2 block of input through (m + 2)^2
// products instead of 9 m^2, so the GEMM work falls by 2.25x (m = 2) or 4x (m = 4). Per chunk of images: the input
// tiles are transformed (V = B^T d B) into (m + 2)^2 matrices [C, tiles], the weights once per call (U = G g G^T) into
// as many matrices [O, C], one GEMM per plane gives M = U V, and the output transform (A^T M A) writes the blocks. The
// backward pass for the data is the same convolution of dy with the weights turned by 180 degrees and their channel
// axes swapped, padded by 2 - p. F32 only (F64 keeps the exact paths for gradient checks); the transforms round
// differently from a direct sum, within float32's accuracy (the layer tests hold them to 1e-4). The F(2x2, 3x3)
// transforms are in this file, the F(4x4, 3x3) ones in CpuWinograd4.cs.
public sealed unsafe partial class CpuBackend
{
    /// <summary>NATIVENETS_CPU_WINOGRAD: 0 turns it off (im2col + GEMM instead), 2 or 4 forces the tile size; unset, the shape picks it.</summary>
    private static readonly string? WinogradSetting = Environment.GetEnvironmentVariable("NATIVENETS_CPU_WINOGRAD");
    private static readonly bool WinogradEnabled = WinogradSetting != "0";

    /// <summary>
    /// The output tile side m of F(m x m, 3x3) for <paramref name="n"/> images whose output is <paramref name="oh"/> x
    /// <paramref name="ow"/>. 4 saves 1.78x of the GEMM work where the output divides into 4x4 tiles, less where the
    /// last tiles hang over the edge, and its transforms cost more; it is chosen where it saves at least 1.5x and the
    /// batch still gives the GEMMs <see cref="WinogradMinTiles"/> tiles, else 2. Measured on ResNet-18's four 3x3 shapes
    /// at batch 64 (Bench/RESULTS.md): 4 won at 28x28 and 7x7, 2 at 14x14 (1.36x) and 4x4 (64 tiles for 512x512 weights).
    /// </summary>
    internal static int WinogradTileSize(int n, int oh, int ow)
    {
        if (WinogradSetting is "2" or "4") return WinogradSetting[0] - '0';
        var (tiles2, tiles4) = (((oh + 1) / 2) * ((ow + 1) / 2), ((oh + 3) / 4) * ((ow + 3) / 4));
        return 16.0 * tiles2 >= 1.5 * 36 * tiles4 && (long)n * tiles4 >= WinogradMinTiles ? 4 : 2;
    }

    /// <summary>Whether a convolution goes through Winograd: F32, 3x3, stride 1, undilated, ungrouped, padding 0..2, enough channels.</summary>
    private static bool UseWinograd<T>(ConvShape s, Conv2dGeometry g) where T : unmanaged =>
        WinogradEnabled && typeof(T) == typeof(float) && s is { KH: 3, KW: 3, Groups: 1 } && s.C >= 16 && s.O >= 16 &&
        g is { StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1 } && g.PadH is >= 0 and <= 2 && g.PadW is >= 0 and <= 2;

    /// <summary>For tests: the tile side, and whether the batch runs as one chunk split by planes, for n images of oh x ow outputs.</summary>
    internal static (int Tile, bool ByPlanes) WinogradPlan(int n, int oh, int ow)
    {
        var m = WinogradTileSize(n, oh, ow);
        return (m, WinogradByPlanes(n, WinogradTiles.Of(oh, ow, m)));
    }

    /// <summary>For tests: whether an F32 convolution of this shape runs through Winograd.</summary>
    internal static bool WinogradApplies(int inChannels, int outChannels, int kernelH, int kernelW, Conv2dGeometry g) =>
        UseWinograd<float>(new ConvShape(1, inChannels, 8, 8, outChannels, kernelH, kernelW, 8, 8, g.Groups), g);

    /// <summary>Floats of transformed tiles (input and output) a chunk aims at: 2 MB, about L2 (2^19 to 2^21 measured on ResNet-18: smaller was faster).</summary>
    private const long WinogradBudget = 1 << 19;
    private const int WinogradMinTiles = 256;

    /// <summary>y = conv(x, w) + bias for a 3x3, stride-1 layer, through Winograd F(m x m, 3x3).</summary>
    private static void WinogradForward(float* x, float* w, float* bias, float* y, ConvShape s, Conv2dGeometry g)
    {
        var t = WinogradTiles.Of(s.OH, s.OW, WinogradTileSize(s.N, s.OH, s.OW));
        var u = (float*)CpuScratch.Rent(t.Planes * (long)s.O * s.C * sizeof(float), zeroed: false);
        try
        {
            TransformFilters(w, s.O, s.C, u, turned: false, t.M);
            WinogradConvolve(x, s.N, s.C, s.H, s.W, u, s.O, g.PadH, g.PadW, t, bias, y);
        }
        finally
        {
            CpuScratch.Return(u);
        }
    }

    /// <summary>dx = the gradient of a 3x3, stride-1 convolution with respect to its input, through Winograd F(m x m, 3x3).</summary>
    private static void WinogradBackwardData(float* dy, float* w, float* dx, ConvShape s, Conv2dGeometry g)
    {
        // dx = conv(dy, w') with w'[c][o] = w[o][c] turned by 180 degrees, padding 2 - p: an [N, O, OH, OW] input, C outputs.
        var t = WinogradTiles.Of(s.H, s.W, WinogradTileSize(s.N, s.H, s.W));
        var u = (float*)CpuScratch.Rent(t.Planes * (long)s.C * s.O * sizeof(float), zeroed: false);
        try
        {
            TransformFilters(w, s.O, s.C, u, turned: true, t.M);
            WinogradConvolve(dy, s.N, s.O, s.OH, s.OW, u, s.C, 2 - g.PadH, 2 - g.PadW, t, null, dx);
        }
        finally
        {
            CpuScratch.Return(u);
        }
    }

    /// <summary>
    /// The planes of U for weights w [O, C, 3, 3]: U_xi [O, C] = (G w[o][c] G^T)_xi, or, <paramref name="turned"/>, the
    /// backward pass's U_xi [C, O] of w[o][c] turned by 180 degrees, for tiles of side <paramref name="m"/>. Eight kernels
    /// at a time (gathered with their stride with AVX2), in the order the planes are written; the rest one at a time
    /// through the same transform, from broadcast vectors.
    /// </summary>
    private static void TransformFilters(float* w, int outChannels, int inChannels, float* u, bool turned, int m)
    {
        var plane = (long)outChannels * inChannels;
        var planes = (m + 2) * (m + 2);
        // Rows of U are o (forward) or c (turned); columns c or o. Kernel (row, col) is at w + its offset.
        int rows = turned ? inChannels : outChannels, cols = turned ? outChannels : inChannels;
        long rowStride = turned ? 9 : (long)inChannels * 9, colStride = turned ? (long)inChannels * 9 : 9;
        CpuParallel.For(rows, Math.Max(1, 4096 / cols), (r0, r1) =>
        {
            var g = stackalloc Vector256<float>[9];
            var one = stackalloc float[36 * 8];
            for (var r = (int)r0; r < r1; r++)
            {
                var col = 0;
                if (Avx2.IsSupported && colStride * 7 + 8 <= int.MaxValue)
                {
                    var offsets = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * (int)colStride;
                    for (; col + 8 <= cols; col += 8)
                    {
                        var k = w + r * rowStride + col * colStride;
                        for (var e = 0; e < 9; e++)
                            g[e] = Avx2.GatherVector256(k, offsets + Vector256.Create(turned ? 8 - e : e), 4);
                        FilterTransform(g, u + (long)r * cols + col, plane, m);
                    }
                }
                for (; col < cols; col++)
                {
                    var k = w + r * rowStride + col * colStride;
                    for (var e = 0; e < 9; e++) g[e] = Vector256.Create(k[turned ? 8 - e : e]);
                    FilterTransform(g, one, 8, m);
                    for (var xi = 0; xi < planes; xi++) u[xi * plane + (long)r * cols + col] = one[xi * 8];
                }
            }
        });
    }

    private static void FilterTransform(Vector256<float>* g, float* u, long plane, int m)
    {
        if (m == 2) FilterTransform2(g, u, plane);
        else FilterTransform4(g, u, plane);
    }

    /// <summary>U = G g G^T of eight kernels at once (g[e]: element e of each), stored at <paramref name="u"/> in each of the 16 planes.</summary>
    private static void FilterTransform2(Vector256<float>* g, float* u, long plane)
    {
        var half = Vector256.Create(0.5f);
        var t = stackalloc Vector256<float>[12]; // G g: 4 x 3
        for (var j = 0; j < 3; j++)
        {
            Vector256<float> g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
            t[j] = g0;
            t[3 + j] = half * (g0 + g1 + g2);
            t[6 + j] = half * (g0 - g1 + g2);
            t[9 + j] = g2;
        }
        for (var i = 0; i < 4; i++)
        {
            Vector256<float> a0 = t[3 * i], a1 = t[3 * i + 1], a2 = t[3 * i + 2];
            a0.Store(u + (4 * i + 0) * plane);
            (half * (a0 + a1 + a2)).Store(u + (4 * i + 1) * plane);
            (half * (a0 - a1 + a2)).Store(u + (4 * i + 2) * plane);
            a2.Store(u + (4 * i + 3) * plane);
        }
    }

    /// <summary>
    /// The tiles of one image: th x tw tiles of m x m outputs, each read from an (m + 2)^2 block of input; rows of lanes
    /// floats (one column phase of a padded row, with a vector of slack) for the column splits, RowsPadded of them per
    /// channel and phase.
    /// </summary>
    private readonly record struct WinogradTiles(int Th, int Tw, int M)
    {
        public static WinogradTiles Of(int oh, int ow, int m) => new((oh + m - 1) / m, (ow + m - 1) / m, m);
        public int Planes => (M + 2) * (M + 2);
        public int PerImage => Th * Tw;
        public int Lanes => (Tw + 1 + 7) / 8 * 8 + 8;
        public int RowsPadded => M * Th + 2;

        /// <summary>Floats of the split rows of one channel and their line of scratch.</summary>
        public long SplitFloats => (long)M * (RowsPadded + 1) * Lanes;

        /// <summary>Floats of the planes of one image's tiles, with their slack.</summary>
        public long LastImageFloats => Planes * (PerImage + 16L);

        /// <summary>Floats of a chunk's scratch: the planes of each of the two transformed operands, and the split rows.</summary>
        public long ScratchFloats(long plane1, long plane2) => Planes * (plane1 + plane2) + SplitFloats;
    }

    /// <summary>
    /// Whether a layer runs as one chunk of the whole batch with each step split over the threads (channels for the
    /// transforms, planes for the GEMMs) instead of chunks of images per thread: where the batch has few tiles for its
    /// weights (the deep, small layers), so that each thread reads only its share of the transformed weights and the
    /// weight gradient needs no partial sums per thread.
    /// </summary>
    private static bool WinogradByPlanes(int n, WinogradTiles t) => Threads > 1 && (long)n * t.PerImage <= WinogradByPlanesTiles;

    private const int WinogradByPlanesTiles = 1024;

    /// <summary>
    /// Runs transform(c0, c1, scratch) over channel ranges [c0, c1) of [0, count), one range per thread, with that thread's
    /// scratch for the split rows and the last image (see <see cref="TransformImages"/>).
    /// </summary>
    private static void ByChannelRanges(int count, WinogradTiles t, Action<int, int, nint> transform)
    {
        var ranges = Math.Min(Threads, count);
        CpuParallel.Items(ranges, r => transform(count * r / ranges, count * (r + 1) / ranges, (nint)Scratch((t.SplitFloats + t.LastImageFloats) * sizeof(float))));
    }

    /// <summary>V for channels [c0, c1) of images [n0, n0 + count) of x [N, C, H, W], laid out by <see cref="TransformImages"/>.</summary>
    private static void TransformInputs(float* x, int n0, int count, int c, int c0, int c1, int h, int w, int padH, int padW, WinogradTiles t,
        float* plane, float* v, long vPlane, float* lastImage = null) =>
        TransformImages(count, c0, c1, t, v, vPlane, lastImage, (ci, j, to, stride) =>
        {
            var image = x + ((long)(n0 + j) * c + ci) * h * w;
            if (t.M == 2) InputTransform2(image, h, w, padH, padW, t.Th, t.Tw, t.Lanes, plane, to, stride);
            else InputTransform4(image, h, w, padH, padW, t.Th, t.Tw, t.Lanes, plane, to, stride);
        });

    /// <summary>A dY A^T for channels [o0, o1) of images [n0, n0 + count) of dy [N, O, OH, OW], laid out by <see cref="TransformImages"/>.</summary>
    private static void TransformGradients(float* dy, int n0, int count, int o, int o0, int o1, int oh, int ow, WinogradTiles t,
        float* plane, float* gy, long gPlane, float* lastImage = null) =>
        TransformImages(count, o0, o1, t, gy, gPlane, lastImage, (oi, j, to, stride) =>
        {
            var src = dy + ((long)(n0 + j) * o + oi) * oh * ow;
            if (t.M == 2) GradientTransform2(src, oh, ow, t.Th, t.Tw, t.Lanes, plane, to, stride);
            else GradientTransform4(src, oh, ow, t.Th, t.Tw, t.Lanes, plane, to, stride);
        });

    /// <summary>Transforms one channel of one image into planes of <paramref name="stride"/> floats starting at <paramref name="to"/>.</summary>
    private delegate void ImageTransform(int channel, int image, float* to, long stride);

    /// <summary>
    /// Runs <paramref name="transform"/> for channels [c0, c1) of <paramref name="count"/> images: channel c of image j goes
    /// to tiles c * tiles + j * per image of each plane of <paramref name="dst"/>. The transforms write whole vectors past
    /// an image's last tile, up to 7 tiles into the next ones (written after it): given <paramref name="lastImage"/>
    /// (<see cref="WinogradTiles.LastImageFloats"/>), the images that end less than 8 tiles before the range does go
    /// there first and are copied in, so that ranges run side by side touch nothing of each other's.
    /// </summary>
    private static void TransformImages(int count, int c0, int c1, WinogradTiles t, float* dst, long plane, float* lastImage, ImageTransform transform)
    {
        var tiles = count * t.PerImage;
        for (var ci = c0; ci < c1; ci++)
            for (var j = 0; j < count; j++)
            {
                var at = dst + (long)ci * tiles + (long)j * t.PerImage;
                if (lastImage != null && ((long)(c1 - 1 - ci) * count + count - 1 - j) * t.PerImage < 8)
                {
                    transform(ci, j, lastImage, t.PerImage + 16L);
                    for (var xi = 0; xi < t.Planes; xi++)
                        new ReadOnlySpan<float>(lastImage + xi * (t.PerImage + 16L), t.PerImage).CopyTo(new Span<float>(at + xi * plane, t.PerImage));
                }
                else transform(ci, j, at, plane);
            }
    }

    /// <summary>y = A^T M A (plus bias) for channels [o0, o1) of images [n0, n0 + count) of y [N, O, OH, OW].</summary>
    private static void TransformOutputs(float* m, long mPlane, int n0, int count, int o, int o0, int o1, int oh, int ow, WinogradTiles t,
        float* bias, float* y)
    {
        var tiles = count * t.PerImage;
        for (var oi = o0; oi < o1; oi++)
            for (var j = 0; j < count; j++)
            {
                var src = m + (long)oi * tiles + (long)j * t.PerImage;
                var dst = y + ((long)(n0 + j) * o + oi) * oh * ow;
                var b = bias == null ? 0f : bias[oi];
                if (t.M == 2) OutputTransform2(src, mPlane, t.Th, t.Tw, oh, ow, b, dst);
                else OutputTransform4(src, mPlane, t.Th, t.Tw, oh, ow, b, dst);
            }
    }

    /// <summary>
    /// y [N, O, OH, OW] = the 3x3 stride-1 convolution of x [N, C, H, W] (zero padding padH, padW) with the transformed
    /// weights u (planes [O, C]), plus bias when given; <paramref name="t"/> is the tiling of the output.
    /// </summary>
    private static void WinogradConvolve(float* x, int n, int c, int h, int w, float* u, int o, int padH, int padW, WinogradTiles t,
        float* bias, float* y)
    {
        var (oh, ow) = (h + 2 * padH - 2, w + 2 * padW - 2);
        if (WinogradByPlanes(n, t))
        {
            var tiles = n * t.PerImage;
            long vPlane = (long)c * tiles + 16, mPlane = (long)o * tiles + 16;
            var v = (float*)CpuScratch.Rent(t.Planes * (vPlane + mPlane) * sizeof(float), zeroed: false);
            var m = v + t.Planes * vPlane;
            try
            {
                ByChannelRanges(c, t, (c0, c1, rows) =>
                    TransformInputs(x, 0, n, c, c0, c1, h, w, padH, padW, t, (float*)rows, v, vPlane, (float*)rows + t.SplitFloats));
                CpuParallel.Items(t.Planes, xi => GemmF32(false, false, o, tiles, c, 1f, u + (long)xi * o * c, v + xi * vPlane, 0f, m + xi * mPlane, allowThreads: false));
                ByChannelRanges(o, t, (o0, o1, _) => TransformOutputs(m, mPlane, 0, n, o, o0, o1, oh, ow, t, bias, y));
            }
            finally
            {
                CpuScratch.Return(v);
            }
            return;
        }
        ForChunks(n, WinogradChunkImages(n, c + o, t), (_, n0, count, threadedGemm) =>
        {
            var tiles = count * t.PerImage;
            // Each plane gets a vector of slack: the transforms write whole vectors past a row's last tile.
            long vPlane = (long)c * tiles + 16, mPlane = (long)o * tiles + 16;
            var buffer = (float*)Scratch(t.ScratchFloats(vPlane, mPlane) * sizeof(float));
            float* v = buffer, m = v + t.Planes * vPlane, plane = m + t.Planes * mPlane;
            TransformInputs(x, n0, count, c, 0, c, h, w, padH, padW, t, plane, v, vPlane);
            for (var xi = 0; xi < t.Planes; xi++)
                GemmF32(false, false, o, tiles, c, 1f, u + (long)xi * o * c, v + xi * vPlane, 0f, m + xi * mPlane, threadedGemm);
            TransformOutputs(m, mPlane, n0, count, o, 0, o, oh, ow, t, bias, y);
        });
    }

    /// <summary>
    /// Images per chunk (ForChunks then sends chunks to threads, each with single-threaded GEMMs, or runs them one after
    /// the other on the threaded GEMM): a chunk's transformed tiles aim at <see cref="WinogradBudget"/> floats but give
    /// the GEMMs at least <see cref="WinogradMinTiles"/> columns, and there are chunks for every thread when the batch allows.
    /// </summary>
    private static int WinogradChunkImages(int n, int channels, WinogradTiles t)
    {
        var byBudget = (int)Math.Max(1, WinogradBudget / ((long)t.Planes * channels * t.PerImage));
        var byTiles = (WinogradMinTiles + t.PerImage - 1) / t.PerImage;
        var images = Math.Clamp(Math.Max(byBudget, byTiles), 1, n);
        if ((n + images - 1) / images < Threads && n >= Threads) images = (n + Threads - 1) / Threads;
        return images;
    }

    /// <summary>
    /// dw = beta dw + the gradient of a 3x3, stride-1 convolution with respect to its weights, through Winograd: per tile,
    /// the gradient of U = G g G^T is (A dY A^T) * V elementwise, so dU_xi [O, C] = sum over tiles of dY'_xi V_xi^T (one GEMM
    /// per plane, whose inner dimension is the tiles), and dg = G^T dU G. Each worker sums its chunks into a partial of
    /// its own; the partials are added in worker order, so the result does not depend on which thread ran what.
    /// </summary>
    private static void WinogradBackwardFilter(float* x, float* dy, float* dw, ConvShape s, Conv2dGeometry g, float beta)
    {
        var tiling = WinogradTiles.Of(s.OH, s.OW, WinogradTileSize(s.N, s.OH, s.OW));
        var planes = tiling.Planes;
        var size = planes * (long)s.C * s.O;
        if (WinogradByPlanes(s.N, tiling))
        {
            // One chunk: dU_xi = dY'_xi V_xi^T whole, one plane per GEMM and thread, no partial sums.
            var tiles = s.N * tiling.PerImage;
            long vPlane = (long)s.C * tiles + 16, gPlane = (long)s.O * tiles + 16;
            var v = (float*)CpuScratch.Rent((planes * (vPlane + gPlane) + size) * sizeof(float), zeroed: false);
            float* gy = v + planes * vPlane, du = gy + planes * gPlane;
            try
            {
                ByChannelRanges(s.C, tiling, (c0, c1, rows) =>
                    TransformInputs(x, 0, s.N, s.C, c0, c1, s.H, s.W, g.PadH, g.PadW, tiling, (float*)rows, v, vPlane, (float*)rows + tiling.SplitFloats));
                ByChannelRanges(s.O, tiling, (o0, o1, rows) =>
                    TransformGradients(dy, 0, s.N, s.O, o0, o1, s.OH, s.OW, tiling, (float*)rows, gy, gPlane, (float*)rows + tiling.SplitFloats));
                CpuParallel.Items(planes, xi =>
                    GemmF32(false, true, s.O, s.C, tiles, 1f, gy + xi * gPlane, v + xi * vPlane, 0f, du + xi * (long)s.C * s.O, allowThreads: false));
                FilterGradients(du, dw, s.O, s.C, tiling.M, beta);
            }
            finally
            {
                CpuScratch.Return(v);
            }
            return;
        }
        var partials = new nint[Threads];
        ForChunks(s.N, WinogradChunkImages(s.N, s.C + s.O, tiling), (worker, n0, count, threadedGemm) =>
        {
            if (partials[worker] == 0) partials[worker] = (nint)CpuScratch.Rent(size * sizeof(float));
            var part = (float*)partials[worker];
            var tiles = count * tiling.PerImage;
            long vPlane = (long)s.C * tiles + 16, gPlane = (long)s.O * tiles + 16;
            var buffer = (float*)Scratch(tiling.ScratchFloats(vPlane, gPlane) * sizeof(float));
            float* v = buffer, gy = v + planes * vPlane, plane = gy + planes * gPlane;
            TransformInputs(x, n0, count, s.C, 0, s.C, s.H, s.W, g.PadH, g.PadW, tiling, plane, v, vPlane);
            TransformGradients(dy, n0, count, s.O, 0, s.O, s.OH, s.OW, tiling, plane, gy, gPlane);
            // dU_xi [O, C] += dY'_xi [O, tiles] V_xi^T: [O, C] so that the final transform below reads it in order.
            for (var xi = 0; xi < planes; xi++)
                GemmF32(false, true, s.O, s.C, tiles, 1f, gy + xi * gPlane, v + xi * vPlane, 1f, part + xi * (long)s.C * s.O, threadedGemm);
        });

        var sum = (float*)partials[0];
        for (var w = 1; w < partials.Length; w++)
        {
            if (partials[w] == 0) continue;
            var span = new Span<float>(sum, (int)size);
            System.Numerics.Tensors.TensorPrimitives.Add(span, new ReadOnlySpan<float>((float*)partials[w], (int)size), span);
            CpuScratch.Return((void*)partials[w]);
        }
        FilterGradients(sum, dw, s.O, s.C, tiling.M, beta);
        CpuScratch.Return(sum);
    }

    /// <summary>
    /// dw [O, C, 3, 3] = beta dw + G^T dU G for every kernel, dU in the planes of <paramref name="sum"/> ([O, C] each):
    /// eight input channels at a time, each of the nine results then written to its place in the eight kernels.
    /// </summary>
    private static void FilterGradients(float* sum, float* dw, int outChannels, int inChannels, int m, float beta)
    {
        var planes = (m + 2) * (m + 2);
        var plane = (long)outChannels * inChannels;
        var du = stackalloc Vector256<float>[36];
        var k9 = stackalloc Vector256<float>[9];
        var lanes = stackalloc float[8];
        for (var o = 0; o < outChannels; o++)
            for (var c = 0; c < inChannels; c += 8)
            {
                var count = Math.Min(8, inChannels - c);
                var at = sum + (long)o * inChannels + c;
                for (var xi = 0; xi < planes; xi++)
                {
                    if (count == 8) du[xi] = Vector256.Load(at + xi * plane);
                    else
                    {
                        for (var i = 0; i < 8; i++) lanes[i] = i < count ? at[xi * plane + i] : 0f;
                        du[xi] = Vector256.Load(lanes);
                    }
                }
                if (m == 2) FilterGradient2(du, k9);
                else FilterGradient4(du, k9);
                var kernels = dw + ((long)o * inChannels + c) * 9;
                for (var e = 0; e < 9; e++)
                {
                    k9[e].Store(lanes);
                    for (var i = 0; i < count; i++)
                        kernels[i * 9 + e] = beta == 0 ? lanes[i] : beta * kernels[i * 9 + e] + lanes[i];
                }
            }
    }

    /// <summary>dg = G^T dU G for F(2x2, 3x3): G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]; du 4 x 4, g 3 x 3.</summary>
    private static void FilterGradient2(Vector256<float>* du, Vector256<float>* g)
    {
        var half = Vector256.Create(0.5f);
        var t = stackalloc Vector256<float>[12];
        for (var b = 0; b < 4; b++) // G^T dU: 3 x 4
        {
            Vector256<float> a0 = du[b], a1 = du[4 + b], a2 = du[8 + b], a3 = du[12 + b];
            t[b] = a0 + half * (a1 + a2);
            t[4 + b] = half * (a1 - a2);
            t[8 + b] = half * (a1 + a2) + a3;
        }
        for (var i = 0; i < 3; i++)
        {
            Vector256<float> b0 = t[4 * i], b1 = t[4 * i + 1], b2 = t[4 * i + 2], b3 = t[4 * i + 3];
            g[3 * i] = b0 + half * (b1 + b2);
            g[3 * i + 1] = half * (b1 - b2);
            g[3 * i + 2] = half * (b1 + b2) + b3;
        }
    }

    /// <summary>
    /// A dY A^T for every 2x2 block of one channel of dy (zero past its bottom and right edges), as tiles [ti * tw + tj] of
    /// the 16 planes of <paramref name="gy"/>; A = [1 0; 1 1; 1 -1; 0 -1]. Even and odd columns are split first, as in
    /// <see cref="InputTransform2"/>.
    /// </summary>
    private static void GradientTransform2(float* dy, int oh, int ow, int th, int tw, int lanes, float* plane, float* gy, long gPlane)
    {
        float* even = plane, odd = plane + 2L * lanes;
        for (var ti = 0; ti < th; ti++)
        {
            for (var r = 0; r < 2; r++)
            {
                var er = even + (long)r * lanes;
                var or = odd + (long)r * lanes;
                var ir = 2 * ti + r;
                if (ir >= oh)
                {
                    new Span<float>(er, lanes).Clear();
                    new Span<float>(or, lanes).Clear();
                    continue;
                }
                SplitColumns(dy + (long)ir * ow, ow, 0, lanes, er, or, odd + 2L * lanes);
            }
            var dst = gy + (long)ti * tw;
            for (var k = 0; k < tw; k += 8)
            {
                // The block [a b; c d]: rows A [a b; c d] = (a, b), (a + c, b + d), (a - c, b - d), (-c, -d); then each
                // row (p, q) times A^T = (p, p + q, p - q, -q).
                var (a, b) = (Vector256.Load(even + k), Vector256.Load(odd + k));
                var (c, d) = (Vector256.Load(even + lanes + k), Vector256.Load(odd + lanes + k));
                RowTimesAt(a, b, dst + k, 0, gPlane);
                RowTimesAt(a + c, b + d, dst + k, 4, gPlane);
                RowTimesAt(a - c, b - d, dst + k, 8, gPlane);
                RowTimesAt(-c, -d, dst + k, 12, gPlane);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowTimesAt(Vector256<float> p, Vector256<float> q, float* dst, int first, long plane)
    {
        p.Store(dst + first * plane);
        (p + q).Store(dst + (first + 1) * plane);
        (p - q).Store(dst + (first + 2) * plane);
        (-q).Store(dst + (first + 3) * plane);
    }

    /// <summary>
    /// V = B^T d B for every 4x4 tile of one channel of one image, written as tiles [ti * tw + tj] of the 16 planes of v.
    /// The padded rows are split into even and odd columns first, so that every step runs over the tiles of a row as
    /// vectors: tile tj reads even columns tj, tj + 1 and odd columns tj, tj + 1.
    /// </summary>
    private static void InputTransform2(float* x, int h, int w, int padH, int padW, int th, int tw, int lanes, float* plane, float* v, long vPlane)
    {
        var rows = 2 * th + 2;
        float* even = plane, odd = plane + (long)rows * lanes;
        for (var r = 0; r < rows; r++)
        {
            var er = even + (long)r * lanes;
            var or = odd + (long)r * lanes;
            var ir = r - padH;
            if (ir < 0 || ir >= h)
            {
                new Span<float>(er, lanes).Clear();
                new Span<float>(or, lanes).Clear();
                continue;
            }
            SplitColumns(x + (long)ir * w, w, padW, lanes, er, or, odd + (long)rows * lanes);
        }
        for (var ti = 0; ti < th; ti++)
        {
            float* e0 = even + (long)(2 * ti) * lanes, e1 = e0 + lanes, e2 = e1 + lanes, e3 = e2 + lanes;
            float* o0 = odd + (long)(2 * ti) * lanes, o1 = o0 + lanes, o2 = o1 + lanes, o3 = o2 + lanes;
            var dst = v + (long)ti * tw;
            for (var k = 0; k < tw; k += 8)
            {
                // Rows: B^T applied down the 4 rows, for the even and the odd columns at k and k + 1.
                var (re0, re1, re2, re3) = RowsBt(Vector256.Load(e0 + k), Vector256.Load(e1 + k), Vector256.Load(e2 + k), Vector256.Load(e3 + k));
                var (rf0, rf1, rf2, rf3) = RowsBt(Vector256.Load(e0 + k + 1), Vector256.Load(e1 + k + 1), Vector256.Load(e2 + k + 1), Vector256.Load(e3 + k + 1));
                var (ro0, ro1, ro2, ro3) = RowsBt(Vector256.Load(o0 + k), Vector256.Load(o1 + k), Vector256.Load(o2 + k), Vector256.Load(o3 + k));
                var (rp0, rp1, rp2, rp3) = RowsBt(Vector256.Load(o0 + k + 1), Vector256.Load(o1 + k + 1), Vector256.Load(o2 + k + 1), Vector256.Load(o3 + k + 1));
                // Columns: the tile's columns are even k, odd k, even k + 1, odd k + 1.
                ColumnsBt(re0, ro0, rf0, rp0, dst + k, 0, vPlane);
                ColumnsBt(re1, ro1, rf1, rp1, dst + k, 4, vPlane);
                ColumnsBt(re2, ro2, rf2, rp2, dst + k, 8, vPlane);
                ColumnsBt(re3, ro3, rf3, rp3, dst + k, 12, vPlane);
            }
        }
    }

    /// <summary>
    /// even[k] = row[2k - pad], odd[k] = row[2k + 1 - pad] for k in [0, lanes), zero outside the row's <paramref name="w"/>
    /// values; <paramref name="temp"/> holds 2 x lanes floats. With AVX2 the row is copied once into a zero-padded line
    /// and split eight pairs at a time (a shuffle and a cross-lane permute); otherwise one value at a time.
    /// </summary>
    private static void SplitColumns(float* row, int w, int pad, int lanes, float* even, float* odd, float* temp)
    {
        if (Avx2.IsSupported)
        {
            PadRow(row, w, pad, temp, 2 * lanes);
            for (var k = 0; k < lanes; k += 8)
            {
                var a = Avx.LoadVector256(temp + 2 * k);
                var b = Avx.LoadVector256(temp + 2 * k + 8);
                // Per 128-bit half: (a0 a2 b0 b2 | a4 a6 b4 b6); then 64-bit pairs in the order 0 2 1 3.
                Avx2.Permute4x64(Avx.Shuffle(a, b, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle().Store(even + k);
                Avx2.Permute4x64(Avx.Shuffle(a, b, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle().Store(odd + k);
            }
            return;
        }
        for (var k = 0; k < lanes; k++)
        {
            int c0 = 2 * k - pad, c1 = c0 + 1;
            even[k] = (uint)c0 < (uint)w ? row[c0] : 0f;
            odd[k] = (uint)c1 < (uint)w ? row[c1] : 0f;
        }
    }

    /// <summary>
    /// line[0, length) = the row shifted right by <paramref name="pad"/>, zeros around it (length a multiple of 8, at least
    /// w + pad). Rows are short (4 to 60 floats here): vector loops, not the span helpers' calls.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PadRow(float* row, int w, int pad, float* line, int length)
    {
        for (var i = 0; i < length; i += 8) Vector256<float>.Zero.Store(line + i);
        CopyRow(row, line + pad, w);
    }

    /// <summary>dst[0, n) = src[0, n) for short rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(float* src, float* dst, int n)
    {
        var j = 0;
        for (; j + 8 <= n; j += 8) Vector256.Load(src + j).Store(dst + j);
        for (; j < n; j++) dst[j] = src[j];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) RowsBt(
        Vector256<float> d0, Vector256<float> d1, Vector256<float> d2, Vector256<float> d3) =>
        (d0 - d2, d1 + d2, d2 - d1, d1 - d3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ColumnsBt(Vector256<float> c0, Vector256<float> c1, Vector256<float> c2, Vector256<float> c3, float* dst, int first, long vPlane)
    {
        (c0 - c2).Store(dst + first * vPlane);
        (c1 + c2).Store(dst + (first + 1) * vPlane);
        (c2 - c1).Store(dst + (first + 2) * vPlane);
        (c1 - c3).Store(dst + (first + 3) * vPlane);
    }

    /// <summary>Y = A^T M A for the tiles of one output channel of one image, plus bias, into its [oh, ow] plane.</summary>
    private static void OutputTransform2(float* m, long mPlane, int th, int tw, int oh, int ow, float bias, float* y)
    {
        var y00 = stackalloc float[8];
        var y01 = stackalloc float[8];
        var y10 = stackalloc float[8];
        var y11 = stackalloc float[8];
        var vb = Vector256.Create(bias);
        // With AVX2, the two output rows of a tile row are built in these lines, eight tiles (16 values) per step, and
        // copied out whole: no per-value edge tests.
        var line = (tw + 7) / 8 * 16;
        var line0 = stackalloc float[Avx2.IsSupported ? 2 * line : 0];
        var line1 = line0 + line;
        for (var ti = 0; ti < th; ti++)
        {
            var src = m + (long)ti * tw;
            int r0 = 2 * ti, r1 = r0 + 1;
            for (var k = 0; k < tw; k += 8)
            {
                var p = src + k;
                // Rows: A^T = [1 1 1 0; 0 1 -1 -1] down the 4 rows of the tile, for each of its 4 columns.
                Vector256<float> s00, s01, s02, s03, s10, s11, s12, s13;
                {
                    var (a, b, cc, d) = (Vector256.Load(p), Vector256.Load(p + 4 * mPlane), Vector256.Load(p + 8 * mPlane), Vector256.Load(p + 12 * mPlane));
                    (s00, s10) = (a + b + cc, b - cc - d);
                    (a, b, cc, d) = (Vector256.Load(p + mPlane), Vector256.Load(p + 5 * mPlane), Vector256.Load(p + 9 * mPlane), Vector256.Load(p + 13 * mPlane));
                    (s01, s11) = (a + b + cc, b - cc - d);
                    (a, b, cc, d) = (Vector256.Load(p + 2 * mPlane), Vector256.Load(p + 6 * mPlane), Vector256.Load(p + 10 * mPlane), Vector256.Load(p + 14 * mPlane));
                    (s02, s12) = (a + b + cc, b - cc - d);
                    (a, b, cc, d) = (Vector256.Load(p + 3 * mPlane), Vector256.Load(p + 7 * mPlane), Vector256.Load(p + 11 * mPlane), Vector256.Load(p + 15 * mPlane));
                    (s03, s13) = (a + b + cc, b - cc - d);
                }
                var (v00, v01, v10, v11) = (s00 + s01 + s02 + vb, s01 - s02 - s03 + vb, s10 + s11 + s12 + vb, s11 - s12 - s13 + vb);
                if (Avx2.IsSupported)
                {
                    // (v00_i, v01_i) pairs in order: unpack within 128-bit halves, then join the halves.
                    var (lo, hi) = (Avx.UnpackLow(v00, v01), Avx.UnpackHigh(v00, v01));
                    Avx.Permute2x128(lo, hi, 0x20).Store(line0 + 2 * k);
                    Avx.Permute2x128(lo, hi, 0x31).Store(line0 + 2 * k + 8);
                    (lo, hi) = (Avx.UnpackLow(v10, v11), Avx.UnpackHigh(v10, v11));
                    Avx.Permute2x128(lo, hi, 0x20).Store(line1 + 2 * k);
                    Avx.Permute2x128(lo, hi, 0x31).Store(line1 + 2 * k + 8);
                    continue;
                }
                v00.Store(y00);
                v01.Store(y01);
                v10.Store(y10);
                v11.Store(y11);
                var end = Math.Min(8, tw - k);
                for (var i = 0; i < end; i++)
                {
                    var col = 2 * (k + i);
                    var row0 = y + (long)r0 * ow;
                    row0[col] = y00[i];
                    if (col + 1 < ow) row0[col + 1] = y01[i];
                    if (r1 < oh)
                    {
                        var row1 = row0 + ow;
                        row1[col] = y10[i];
                        if (col + 1 < ow) row1[col + 1] = y11[i];
                    }
                }
            }
            if (Avx2.IsSupported)
            {
                CopyRow(line0, y + (long)r0 * ow, ow);
                if (r1 < oh) CopyRow(line1, y + (long)r1 * ow, ow);
            }
        }
    }
}
