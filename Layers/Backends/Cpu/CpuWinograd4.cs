using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeNets.Backends;

// The transforms of Winograd F(4x4, 3x3) (Lavin & Gray 2016, interpolation points 0, 1, -1, 2, -2 and infinity): each
// 4x4 block of outputs from a 6x6 block of input through 36 products instead of 144. The driver (chunks, GEMMs, the
// choice of tile size) is in CpuWinograd.cs. Every transform runs over eight tiles at once: the padded rows are first
// split into their four column phases (column 4k + q in lane k of phase q), so that column e of tile k is lane k + e / 4
// of phase e % 4.
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
public sealed unsafe partial class CpuBackend
{
    /// <summary>U = G g G^T of eight kernels at once (g[e]: element e of each), stored at <paramref name="u"/> in each of the 36 planes.</summary>
    private static void FilterTransform4(Vector256<float>* g, float* u, long plane)
    {
        var t = stackalloc Vector256<float>[18]; // G g: 6 x 3
        for (var j = 0; j < 3; j++)
        {
            var (r0, r1, r2, r3, r4, r5) = G6(g[j], g[3 + j], g[6 + j]);
            (t[j], t[3 + j], t[6 + j], t[9 + j], t[12 + j], t[15 + j]) = (r0, r1, r2, r3, r4, r5);
        }
        for (var i = 0; i < 6; i++)
        {
            var (r0, r1, r2, r3, r4, r5) = G6(t[3 * i], t[3 * i + 1], t[3 * i + 2]);
            Store6(r0, r1, r2, r3, r4, r5, u + 6 * i * plane, plane);
        }
    }

    /// <summary>Six vectors into six consecutive planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store6(Vector256<float> o0, Vector256<float> o1, Vector256<float> o2, Vector256<float> o3, Vector256<float> o4,
        Vector256<float> o5, float* d, long plane)
    {
        o0.Store(d);
        o1.Store(d + plane);
        o2.Store(d + 2 * plane);
        o3.Store(d + 3 * plane);
        o4.Store(d + 4 * plane);
        o5.Store(d + 5 * plane);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) G6(
        Vector256<float> g0, Vector256<float> g1, Vector256<float> g2)
    {
        var sixth = Vector256.Create(-1f / 6);
        var outer = g0 + g2;
        var p = Vector256.FusedMultiplyAdd(g0, Vector256.Create(1f / 24), g2 * Vector256.Create(1f / 6));
        var q = g1 * Vector256.Create(1f / 12);
        return (g0 * Vector256.Create(0.25f), (outer + g1) * sixth, (outer - g1) * sixth, p + q, p - q, g2);
    }

    /// <summary>
    /// V = B^T d B for every 6x6 tile (stride 4) of one channel of one image, written as tiles [ti * tw + tj] of the 36
    /// planes of v. <paramref name="plane"/> holds the four column phases of the padded rows and a line of scratch.
    /// </summary>
    private static void InputTransform4(float* x, int h, int w, int padH, int padW, int th, int tw, int lanes, float* plane, float* v, long vPlane)
    {
        var rows = 4 * th + 2;
        var phase = (long)rows * lanes; // phase q of padded row r: plane + q * phase + r * lanes
        var temp = plane + 4 * phase;
        for (var r = 0; r < rows; r++)
        {
            var line = plane + (long)r * lanes;
            var ir = r - padH;
            if (ir < 0 || ir >= h)
            {
                for (var q = 0; q < 4; q++) new Span<float>(line + q * phase, lanes).Clear();
                continue;
            }
            SplitPhases(x + (long)ir * w, w, padW, lanes, line, phase, temp);
        }
        var col = stackalloc Vector256<float>[36]; // B^T d: [i * 6 + e]
        for (var ti = 0; ti < th; ti++)
        {
            var top = plane + (long)(4 * ti) * lanes;
            var dst = v + (long)ti * tw;
            for (var k = 0; k < tw; k += 8)
            {
                for (var e = 0; e < 6; e++)
                {
                    var s = top + (e & 3) * phase + k + (e >> 2);
                    var (o0, o1, o2, o3, o4, o5) = Bt6(Vector256.Load(s), Vector256.Load(s + lanes), Vector256.Load(s + 2 * lanes),
                        Vector256.Load(s + 3 * lanes), Vector256.Load(s + 4 * lanes), Vector256.Load(s + 5 * lanes));
                    (col[e], col[6 + e], col[12 + e], col[18 + e], col[24 + e], col[30 + e]) = (o0, o1, o2, o3, o4, o5);
                }
                for (var i = 0; i < 6; i++)
                {
                    var c = col + 6 * i;
                    var (o0, o1, o2, o3, o4, o5) = Bt6(c[0], c[1], c[2], c[3], c[4], c[5]);
                    Store6(o0, o1, o2, o3, o4, o5, dst + k + 6 * i * vPlane, vPlane);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) Bt6(
        Vector256<float> d0, Vector256<float> d1, Vector256<float> d2, Vector256<float> d3, Vector256<float> d4, Vector256<float> d5)
    {
        var four = Vector256.Create(4f);
        var minusFour = Vector256.Create(-4f);
        var minusFive = Vector256.Create(-5f);
        var t1 = Vector256.FusedMultiplyAdd(d2, minusFour, d4);
        var t2 = Vector256.FusedMultiplyAdd(d1, minusFour, d3);
        var t3 = d4 - d2;
        var t4 = (d3 - d1) * Vector256.Create(2f);
        return (Vector256.FusedMultiplyAdd(d0, four, Vector256.FusedMultiplyAdd(d2, minusFive, d4)), t1 + t2, t1 - t2, t3 + t4, t3 - t4,
            Vector256.FusedMultiplyAdd(d1, four, Vector256.FusedMultiplyAdd(d3, minusFive, d5)));
    }

    /// <summary>
    /// dst[q * phaseStride + k] = row[4k + q - pad] for the four phases q and k in [0, lanes), zero outside the row's
    /// <paramref name="w"/> values; <paramref name="temp"/> holds 4 x lanes floats. The row is copied once into a
    /// zero-padded line, then split four columns at a time by a 4x4 transpose.
    /// </summary>
    private static void SplitPhases(float* row, int w, int pad, int lanes, float* dst, long phaseStride, float* temp)
    {
        PadRow(row, w, pad, temp, 4 * lanes);
        if (Sse.IsSupported)
        {
            for (var k = 0; k < lanes; k += 4)
            {
                var s = temp + 4 * k;
                Vector128<float> a = Sse.LoadVector128(s), b = Sse.LoadVector128(s + 4), c = Sse.LoadVector128(s + 8), d = Sse.LoadVector128(s + 12);
                Vector128<float> ab01 = Sse.UnpackLow(a, b), cd01 = Sse.UnpackLow(c, d), ab23 = Sse.UnpackHigh(a, b), cd23 = Sse.UnpackHigh(c, d);
                Sse.MoveLowToHigh(ab01, cd01).Store(dst + k);
                Sse.MoveHighToLow(cd01, ab01).Store(dst + phaseStride + k);
                Sse.MoveLowToHigh(ab23, cd23).Store(dst + 2 * phaseStride + k);
                Sse.MoveHighToLow(cd23, ab23).Store(dst + 3 * phaseStride + k);
            }
            return;
        }
        for (var k = 0; k < lanes; k++)
            for (var q = 0; q < 4; q++)
                dst[q * phaseStride + k] = temp[4 * k + q];
    }

    /// <summary>Y = A^T M A for the tiles of one output channel of one image, plus bias, into its [oh, ow] plane.</summary>
    private static void OutputTransform4(float* m, long mPlane, int th, int tw, int oh, int ow, float bias, float* y)
    {
        var vb = Vector256.Create(bias);
        // The four output rows of a tile row are built in these lines, eight tiles (32 values) per step, and copied out whole.
        var line = (tw + 7) / 8 * 32;
        var lines = stackalloc float[4 * line];
        var s = stackalloc Vector256<float>[24]; // A^T M: [a * 6 + j]
        for (var ti = 0; ti < th; ti++)
        {
            var src = m + (long)ti * tw;
            for (var k = 0; k < tw; k += 8)
            {
                var p = src + k;
                for (var j = 0; j < 6; j++)
                {
                    var c = p + j * mPlane;
                    var (o0, o1, o2, o3) = At4(Vector256.Load(c), Vector256.Load(c + 6 * mPlane), Vector256.Load(c + 12 * mPlane),
                        Vector256.Load(c + 18 * mPlane), Vector256.Load(c + 24 * mPlane), Vector256.Load(c + 30 * mPlane));
                    (s[j], s[6 + j], s[12 + j], s[18 + j]) = (o0, o1, o2, o3);
                }
                for (var a = 0; a < 4; a++)
                {
                    var r = s + 6 * a;
                    var (o0, o1, o2, o3) = At4(r[0], r[1], r[2], r[3], r[4], r[5]);
                    Interleave4(o0 + vb, o1 + vb, o2 + vb, o3 + vb, lines + a * line + 4 * k);
                }
            }
            for (var a = 0; a < 4 && 4 * ti + a < oh; a++)
                CopyRow(lines + a * line, y + (long)(4 * ti + a) * ow, ow);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) At4(
        Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3, Vector256<float> m4, Vector256<float> m5)
    {
        var (s12, d12, s34, d34) = (m1 + m2, m1 - m2, m3 + m4, m3 - m4);
        return (m0 + s12 + s34, Vector256.FusedMultiplyAdd(d34, Vector256.Create(2f), d12),
            Vector256.FusedMultiplyAdd(s34, Vector256.Create(4f), s12), Vector256.FusedMultiplyAdd(d34, Vector256.Create(8f), d12) + m5);
    }

    /// <summary>dst[4i + b] = v_b[i] for the eight lanes i: four columns of eight tiles into 32 consecutive values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave4(Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3, float* dst)
    {
        if (Avx.IsSupported)
        {
            // Per 128-bit half: (v0_i v1_i v0_i+1 v1_i+1), then 64-bit pairs give (v0_i v1_i v2_i v3_i); the halves hold tiles i and i + 4.
            var (lo01, hi01) = (Avx.UnpackLow(v0, v1), Avx.UnpackHigh(v0, v1));
            var (lo23, hi23) = (Avx.UnpackLow(v2, v3), Avx.UnpackHigh(v2, v3));
            var t04 = Avx.UnpackLow(lo01.AsDouble(), lo23.AsDouble()).AsSingle();
            var t15 = Avx.UnpackHigh(lo01.AsDouble(), lo23.AsDouble()).AsSingle();
            var t26 = Avx.UnpackLow(hi01.AsDouble(), hi23.AsDouble()).AsSingle();
            var t37 = Avx.UnpackHigh(hi01.AsDouble(), hi23.AsDouble()).AsSingle();
            Avx.Permute2x128(t04, t15, 0x20).Store(dst);
            Avx.Permute2x128(t26, t37, 0x20).Store(dst + 8);
            Avx.Permute2x128(t04, t15, 0x31).Store(dst + 16);
            Avx.Permute2x128(t26, t37, 0x31).Store(dst + 24);
            return;
        }
        for (var i = 0; i < 8; i++)
        {
            dst[4 * i] = v0.GetElement(i);
            dst[4 * i + 1] = v1.GetElement(i);
            dst[4 * i + 2] = v2.GetElement(i);
            dst[4 * i + 3] = v3.GetElement(i);
        }
    }

    /// <summary>
    /// A dY A^T for every 4x4 block of one channel of dy (zero past its bottom and right edges), as tiles [ti * tw + tj]
    /// of the 36 planes of <paramref name="gy"/>; A = (A^T)^T, 6 x 4.
    /// </summary>
    private static void GradientTransform4(float* dy, int oh, int ow, int th, int tw, int lanes, float* plane, float* gy, long gPlane)
    {
        // Row r's phase q at plane + (4r + q) * lanes; then a line of scratch.
        var temp = plane + 16L * lanes;
        var s = stackalloc Vector256<float>[24]; // A dY: [i * 4 + b]
        for (var ti = 0; ti < th; ti++)
        {
            for (var r = 0; r < 4; r++)
            {
                var line = plane + 4L * r * lanes;
                var ir = 4 * ti + r;
                if (ir >= oh) new Span<float>(line, 4 * lanes).Clear();
                else SplitPhases(dy + (long)ir * ow, ow, 0, lanes, line, lanes, temp);
            }
            var dst = gy + (long)ti * tw;
            for (var k = 0; k < tw; k += 8)
            {
                for (var b = 0; b < 4; b++)
                {
                    var c = plane + (long)b * lanes + k;
                    var (o0, o1, o2, o3, o4, o5) = A6(Vector256.Load(c), Vector256.Load(c + 4 * lanes), Vector256.Load(c + 8 * lanes), Vector256.Load(c + 12 * lanes));
                    (s[b], s[4 + b], s[8 + b], s[12 + b], s[16 + b], s[20 + b]) = (o0, o1, o2, o3, o4, o5);
                }
                for (var i = 0; i < 6; i++)
                {
                    var r = s + 4 * i;
                    var (o0, o1, o2, o3, o4, o5) = A6(r[0], r[1], r[2], r[3]);
                    Store6(o0, o1, o2, o3, o4, o5, dst + k + 6 * i * gPlane, gPlane);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) A6(
        Vector256<float> y0, Vector256<float> y1, Vector256<float> y2, Vector256<float> y3)
    {
        var (a, b) = (y0 + y2, y1 + y3);
        var c = Vector256.FusedMultiplyAdd(y2, Vector256.Create(4f), y0);
        var d = Vector256.FusedMultiplyAdd(y3, Vector256.Create(8f), y1 * Vector256.Create(2f));
        return (y0, a + b, a - b, c + d, c - d, y3);
    }

    /// <summary>dg = G^T dU G for F(4x4, 3x3): du 6 x 6 (eight kernels per vector), g 3 x 3.</summary>
    private static void FilterGradient4(Vector256<float>* du, Vector256<float>* g)
    {
        var t = stackalloc Vector256<float>[18]; // G^T dU: [r * 6 + j]
        for (var j = 0; j < 6; j++)
        {
            var (r0, r1, r2) = Gt3(du[j], du[6 + j], du[12 + j], du[18 + j], du[24 + j], du[30 + j]);
            (t[j], t[6 + j], t[12 + j]) = (r0, r1, r2);
        }
        for (var r = 0; r < 3; r++)
        {
            var row = t + 6 * r;
            (g[3 * r], g[3 * r + 1], g[3 * r + 2]) = Gt3(row[0], row[1], row[2], row[3], row[4], row[5]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>) Gt3(
        Vector256<float> u0, Vector256<float> u1, Vector256<float> u2, Vector256<float> u3, Vector256<float> u4, Vector256<float> u5)
    {
        var (s12, d21, s34, d34) = (u1 + u2, u2 - u1, u3 + u4, u3 - u4);
        var sixth = Vector256.Create(1f / 6);
        return (
            u0 * Vector256.Create(0.25f) - s12 * sixth + s34 * Vector256.Create(1f / 24),
            d21 * sixth + d34 * Vector256.Create(1f / 12),
            (s34 - s12) * sixth + u5);
    }
}
