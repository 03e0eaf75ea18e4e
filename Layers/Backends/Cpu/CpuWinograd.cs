using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeNets.Backends;

// Winograd F(2x2, 3x3) for the 3x3, stride-1 convolutions that make up most of a ResNet (Lavin & Gray 2016): each 2x2
// block of outputs comes from a 4x4 block of input through 16 products instead of 36, so the GEMM work falls by 2.25x.
// Per chunk of images: the input tiles are transformed (V = B^T d B) into 16 matrices [C, tiles], the weights once
// per call (U = G g G^T) into 16 matrices [O, C], 16 GEMMs give M = U V, and the output transform (A^T M A) writes
// the 2x2 blocks. The backward pass for the data is the same convolution of dy with the weights turned by 180 degrees
// and their channel axes swapped, padded by 2 - p. F32 only (F64 keeps the exact paths for gradient checks); the
// transforms round differently from a direct sum, within float32's accuracy (the layer tests hold them to 1e-4).
public sealed unsafe partial class CpuBackend
{
    /// <summary>NATIVENETS_CPU_WINOGRAD=0 turns it off (im2col + GEMM instead), to compare the two.</summary>
    private static readonly bool WinogradEnabled = Environment.GetEnvironmentVariable("NATIVENETS_CPU_WINOGRAD") != "0";

    /// <summary>Whether a convolution goes through Winograd: F32, 3x3, stride 1, undilated, ungrouped, padding 0..2, enough channels.</summary>
    private static bool UseWinograd<T>(ConvShape s, Conv2dGeometry g) where T : unmanaged =>
        WinogradEnabled && typeof(T) == typeof(float) && s is { KH: 3, KW: 3, Groups: 1 } && s.C >= 16 && s.O >= 16 &&
        g is { StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1 } && g.PadH is >= 0 and <= 2 && g.PadW is >= 0 and <= 2;

    /// <summary>For tests: whether an F32 convolution of this shape runs through Winograd.</summary>
    internal static bool WinogradApplies(int inChannels, int outChannels, int kernelH, int kernelW, Conv2dGeometry g) =>
        UseWinograd<float>(new ConvShape(1, inChannels, 8, 8, outChannels, kernelH, kernelW, 8, 8, g.Groups), g);

    /// <summary>Floats of transformed tiles (input and output) a chunk aims at: 2 MB, about L2 (2^19 to 2^21 measured on ResNet-18: smaller was faster).</summary>
    private const long WinogradBudget = 1 << 19;
    private const int WinogradMinTiles = 256;

    /// <summary>y = conv(x, w) + bias for a 3x3, stride-1 layer, through Winograd F(2x2, 3x3).</summary>
    private static void WinogradForward(float* x, float* w, float* bias, float* y, ConvShape s, Conv2dGeometry g)
    {
        var u = (float*)CpuScratch.Rent(16L * s.O * s.C * sizeof(float), zeroed: false);
        try
        {
            TransformFilters(w, s.O, s.C, u, turned: false);
            WinogradConvolve(x, s.N, s.C, s.H, s.W, u, s.O, g.PadH, g.PadW, s.OH, s.OW, bias, y);
        }
        finally
        {
            CpuScratch.Return(u);
        }
    }

    /// <summary>dx = the gradient of a 3x3, stride-1 convolution with respect to its input, through Winograd F(2x2, 3x3).</summary>
    private static void WinogradBackwardData(float* dy, float* w, float* dx, ConvShape s, Conv2dGeometry g)
    {
        // dx = conv(dy, w') with w'[c][o] = w[o][c] turned by 180 degrees, padding 2 - p: an [N, O, OH, OW] input, C outputs.
        var u = (float*)CpuScratch.Rent(16L * s.C * s.O * sizeof(float), zeroed: false);
        try
        {
            TransformFilters(w, s.O, s.C, u, turned: true);
            WinogradConvolve(dy, s.N, s.O, s.OH, s.OW, u, s.C, 2 - g.PadH, 2 - g.PadW, s.H, s.W, null, dx);
        }
        finally
        {
            CpuScratch.Return(u);
        }
    }

    /// <summary>
    /// The 16 planes of U for weights w [O, C, 3, 3]: U_xi [O, C] = (G w[o][c] G^T)_xi, or, <paramref name="turned"/>, the
    /// backward pass's U_xi [C, O] of w[o][c] turned by 180 degrees. Eight kernels at a time with AVX2 (gathered with
    /// their stride), in the order the planes are written.
    /// </summary>
    private static void TransformFilters(float* w, int outChannels, int inChannels, float* u, bool turned)
    {
        var plane = (long)outChannels * inChannels;
        // Rows of U are o (forward) or c (turned); columns c or o. Kernel (row, col) is at w + its offset.
        int rows = turned ? inChannels : outChannels, cols = turned ? outChannels : inChannels;
        long rowStride = turned ? 9 : (long)inChannels * 9, colStride = turned ? (long)inChannels * 9 : 9;
        var g = stackalloc Vector256<float>[9];
        var one = stackalloc float[9];
        for (var r = 0; r < rows; r++)
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
                    FilterTransform8(g, u + (long)r * cols + col, plane);
                }
            }
            for (; col < cols; col++)
            {
                var k = w + r * rowStride + col * colStride;
                for (var e = 0; e < 9; e++) one[e] = k[turned ? 8 - e : e];
                FilterTransform(one, u, (int)plane, r * cols + col);
            }
        }
    }

    /// <summary>U = G g G^T of eight kernels at once (g[e]: element e of each), stored at <paramref name="u"/> in each of the 16 planes.</summary>
    private static void FilterTransform8(Vector256<float>* g, float* u, long plane)
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

    /// <summary>U = G g G^T of one 3x3 kernel, scattered as element <paramref name="index"/> of the 16 planes of <paramref name="plane"/> floats.</summary>
    private static void FilterTransform(float* k, float* u, int plane, int index)
    {
        // G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
        var t = stackalloc float[12]; // G g: 4 x 3
        for (var j = 0; j < 3; j++)
        {
            float g0 = k[j], g1 = k[3 + j], g2 = k[6 + j];
            t[j] = g0;
            t[3 + j] = 0.5f * (g0 + g1 + g2);
            t[6 + j] = 0.5f * (g0 - g1 + g2);
            t[9 + j] = g2;
        }
        for (var i = 0; i < 4; i++)
        {
            float a0 = t[3 * i], a1 = t[3 * i + 1], a2 = t[3 * i + 2];
            u[(long)(4 * i + 0) * plane + index] = a0;
            u[(long)(4 * i + 1) * plane + index] = 0.5f * (a0 + a1 + a2);
            u[(long)(4 * i + 2) * plane + index] = 0.5f * (a0 - a1 + a2);
            u[(long)(4 * i + 3) * plane + index] = a2;
        }
    }

    /// <summary>
    /// The tiles of one image: th x tw tiles of 2x2 outputs; rows of lanes floats (the even or odd columns of a padded row,
    /// with a vector of slack) for the column splits, RowsPadded of them per channel.
    /// </summary>
    private readonly record struct WinogradTiles(int Th, int Tw)
    {
        public static WinogradTiles Of(int oh, int ow) => new((oh + 1) / 2, (ow + 1) / 2);
        public int PerImage => Th * Tw;
        public int Lanes => (Tw + 1 + 7) / 8 * 8 + 8;
        public int RowsPadded => 2 * Th + 2;

        /// <summary>Floats of a chunk's scratch: 16 planes of each of the two transformed operands, and the split rows.</summary>
        public long ScratchFloats(long plane1, long plane2) => 16 * (plane1 + plane2) + 2L * (RowsPadded + 1) * Lanes;
    }

    /// <summary>V for images [n0, n0 + count) of x [N, C, H, W]: tile t of image j and channel c at c * tiles + j * per image + t of each plane.</summary>
    private static void TransformInputs(float* x, int n0, int count, int c, int h, int w, int padH, int padW, WinogradTiles t, float* plane,
        float* v, long vPlane)
    {
        var tiles = count * t.PerImage;
        for (var ci = 0; ci < c; ci++)
            for (var j = 0; j < count; j++)
                InputTransform(x + ((long)(n0 + j) * c + ci) * h * w, h, w, padH, padW, t.Th, t.Tw, t.Lanes, plane,
                    v + (long)ci * tiles + (long)j * t.PerImage, vPlane);
    }

    /// <summary>
    /// y [N, O, OH, OW] = the 3x3 stride-1 convolution of x [N, C, H, W] (zero padding padH, padW) with the transformed
    /// weights u (16 planes [O, C]), plus bias when given.
    /// </summary>
    private static void WinogradConvolve(float* x, int n, int c, int h, int w, float* u, int o, int padH, int padW, int oh, int ow,
        float* bias, float* y)
    {
        var t = WinogradTiles.Of(oh, ow);
        ForChunks(n, WinogradChunkImages(n, c + o, t.PerImage), (_, n0, count, threadedGemm) =>
        {
            var tiles = count * t.PerImage;
            // Each of the 16 planes gets a vector of slack: the transforms write whole vectors past a row's last tile.
            long vPlane = (long)c * tiles + 16, mPlane = (long)o * tiles + 16;
            var buffer = (float*)Scratch(t.ScratchFloats(vPlane, mPlane) * sizeof(float));
            float* v = buffer, m = v + 16 * vPlane, plane = m + 16 * mPlane;
            TransformInputs(x, n0, count, c, h, w, padH, padW, t, plane, v, vPlane);
            for (var xi = 0; xi < 16; xi++)
                GemmF32(false, false, o, tiles, c, 1f, u + (long)xi * o * c, v + xi * vPlane, 0f, m + xi * mPlane, threadedGemm);
            for (var oi = 0; oi < o; oi++)
                for (var j = 0; j < count; j++)
                    OutputTransform(m + (long)oi * tiles + (long)j * t.PerImage, mPlane, t.Th, t.Tw, oh, ow, bias == null ? 0f : bias[oi],
                        y + ((long)(n0 + j) * o + oi) * oh * ow);
        });
    }

    /// <summary>
    /// Images per chunk (ForChunks then sends chunks to threads, each with single-threaded GEMMs, or runs them one after
    /// the other on the threaded GEMM): a chunk's transformed tiles aim at <see cref="WinogradBudget"/> floats but give
    /// the GEMMs at least <see cref="WinogradMinTiles"/> columns, and there are chunks for every thread when the batch allows.
    /// </summary>
    private static int WinogradChunkImages(int n, int channels, int tilesPerImage)
    {
        var byBudget = (int)Math.Max(1, WinogradBudget / (16L * channels * tilesPerImage));
        var byTiles = (WinogradMinTiles + tilesPerImage - 1) / tilesPerImage;
        var images = Math.Clamp(Math.Max(byBudget, byTiles), 1, n);
        if ((n + images - 1) / images < Threads && n >= Threads) images = (n + Threads - 1) / Threads;
        return images;
    }

    /// <summary>
    /// dw = beta dw + the gradient of a 3x3, stride-1 convolution with respect to its weights, through Winograd: per tile,
    /// the gradient of U = G g G^T is (A dY A^T) * V elementwise, so dU_xi [O, C] = sum over tiles of dY'_xi V_xi^T (16 GEMMs
    /// whose inner dimension is the tiles), and dg = G^T dU G. Each worker sums its chunks into a partial of its own; the
    /// partials are added in worker order, so the result does not depend on which thread ran what.
    /// </summary>
    private static void WinogradBackwardFilter(float* x, float* dy, float* dw, ConvShape s, Conv2dGeometry g, float beta)
    {
        var tiling = WinogradTiles.Of(s.OH, s.OW);
        var size = 16L * s.C * s.O;
        var partials = new nint[Threads];
        ForChunks(s.N, WinogradChunkImages(s.N, s.C + s.O, tiling.PerImage), (worker, n0, count, threadedGemm) =>
        {
            if (partials[worker] == 0) partials[worker] = (nint)CpuScratch.Rent(size * sizeof(float));
            var part = (float*)partials[worker];
            var tiles = count * tiling.PerImage;
            long vPlane = (long)s.C * tiles + 16, gPlane = (long)s.O * tiles + 16;
            var buffer = (float*)Scratch(tiling.ScratchFloats(vPlane, gPlane) * sizeof(float));
            float* v = buffer, gy = v + 16 * vPlane, plane = gy + 16 * gPlane;
            TransformInputs(x, n0, count, s.C, s.H, s.W, g.PadH, g.PadW, tiling, plane, v, vPlane);
            for (var oi = 0; oi < s.O; oi++)
                for (var j = 0; j < count; j++)
                    GradientTransform(dy + ((long)(n0 + j) * s.O + oi) * s.Ohw, s.OH, s.OW, tiling.Th, tiling.Tw, tiling.Lanes, plane,
                        gy + (long)oi * tiles + (long)j * tiling.PerImage, gPlane);
            // dU_xi [O, C] += dY'_xi [O, tiles] V_xi^T: [O, C] so that the final transform below reads it in order.
            for (var xi = 0; xi < 16; xi++)
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
        // dg = G^T dU G, G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
        var du = stackalloc float[16];
        var t = stackalloc float[12];
        for (var o = 0; o < s.O; o++)
            for (var c = 0; c < s.C; c++)
            {
                for (var xi = 0; xi < 16; xi++) du[xi] = sum[xi * (long)s.C * s.O + (long)o * s.C + c];
                for (var b = 0; b < 4; b++) // G^T dU: 3 x 4
                {
                    float a0 = du[b], a1 = du[4 + b], a2 = du[8 + b], a3 = du[12 + b];
                    t[b] = a0 + 0.5f * (a1 + a2);
                    t[4 + b] = 0.5f * (a1 - a2);
                    t[8 + b] = 0.5f * (a1 + a2) + a3;
                }
                var k = dw + ((long)o * s.C + c) * 9;
                for (var i = 0; i < 3; i++)
                {
                    float b0 = t[4 * i], b1 = t[4 * i + 1], b2 = t[4 * i + 2], b3 = t[4 * i + 3];
                    var (g0, g1, g2) = (b0 + 0.5f * (b1 + b2), 0.5f * (b1 - b2), 0.5f * (b1 + b2) + b3);
                    k[3 * i] = beta == 0 ? g0 : beta * k[3 * i] + g0;
                    k[3 * i + 1] = beta == 0 ? g1 : beta * k[3 * i + 1] + g1;
                    k[3 * i + 2] = beta == 0 ? g2 : beta * k[3 * i + 2] + g2;
                }
            }
        CpuScratch.Return(sum);
    }

    /// <summary>
    /// A dY A^T for every 2x2 block of one channel of dy (zero past its bottom and right edges), as tiles [ti * tw + tj] of
    /// the 16 planes of <paramref name="gy"/>; A = [1 0; 1 1; 1 -1; 0 -1]. Even and odd columns are split first, as in
    /// <see cref="InputTransform"/>.
    /// </summary>
    private static void GradientTransform(float* dy, int oh, int ow, int th, int tw, int lanes, float* plane, float* gy, long gPlane)
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
    private static void InputTransform(float* x, int h, int w, int padH, int padW, int th, int tw, int lanes, float* plane, float* v, long vPlane)
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
            new Span<float>(temp, 2 * lanes).Clear();
            new ReadOnlySpan<float>(row, w).CopyTo(new Span<float>(temp + pad, w));
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
    private static void OutputTransform(float* m, long mPlane, int th, int tw, int oh, int ow, float bias, float* y)
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
                new ReadOnlySpan<float>(line0, ow).CopyTo(new Span<float>(y + (long)r0 * ow, ow));
                if (r1 < oh) new ReadOnlySpan<float>(line1, ow).CopyTo(new Span<float>(y + (long)r1 * ow, ow));
            }
        }
    }
}
