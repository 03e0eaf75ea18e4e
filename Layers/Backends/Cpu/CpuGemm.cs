using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// The GEMM: Goto/BLIS-style blocking. op(B) is packed into NR-wide strips (KC deep), op(A) into MR-tall
// strips, and a register-blocked micro-kernel (6x32 with AVX-512, 6x16 with 256-bit vectors) does the
// multiply-adds with FMA. Threads split C once per call (by rows, or by columns when C is short), so a
// small GEMM pays one fork/join, not one per block.
public sealed unsafe partial class CpuBackend
{
    private const int MR = 6;
    // Measured on the 2-core AVX-512 machine (Bench/RESULTS.md): KC 384 beat 128..768 on 2048^3 and the MLP shapes.
    private const int KC = 384;
    private const int MC = 96;
    private const int NC = 2048;
    private static readonly int NR = Vector512.IsHardwareAccelerated ? 32 : 16;

    [ThreadStatic] private static float* _packA;
    [ThreadStatic] private static float* _packB;

    public override void Gemm(bool transposeA, bool transposeB, double alpha, Tensor a, Tensor b, double beta, Tensor c)
    {
        if (Widened.Find(a, b, c) is { } reduced)
        {
            Widened.Run(nameof(Gemm), reduced, wide => Gemm(transposeA, transposeB, alpha, wide.In(a), wide.In(b), beta, wide.Out(c)));
            return;
        }
        const string op = nameof(Gemm);
        Check.OnDevice(op, Device, a, b, c);
        var (m, n, k) = Check.GemmShapes(op, transposeA, transposeB, a, b, c);
        switch (c.DType)
        {
            case DType.F32:
                GemmF32(transposeA, transposeB, m, n, k, (float)alpha, (float*)a.Pointer, (float*)b.Pointer, (float)beta, (float*)c.Pointer);
                break;
            case DType.F64:
                GemmF64(transposeA, transposeB, m, n, k, alpha, (double*)a.Pointer, (double*)b.Pointer, beta, (double*)c.Pointer);
                break;
            default:
                throw new NotSupportedException($"{op}: dtype {c.DType.Name()} is not implemented on the CPU backend (F32, F64)");
        }
    }

    /// <summary>
    /// The F64 GEMM, for gradient checks and float64 parity runs: row by row over threads, each row of C a sum of
    /// rows of B (or dot products with them when B is transposed), vectorised by TensorPrimitives.
    /// </summary>
    internal static void GemmF64(bool ta, bool tb, int m, int n, int k, double alpha, double* a, double* b, double beta, double* c)
    {
        CpuParallel.For(m, Math.Max(1, 1_000_000 / Math.Max(1L, (long)n * k)), (i0, i1) =>
        {
            var aRow = new double[k];
            var acc = new double[n];
            for (var i = (int)i0; i < i1; i++)
            {
                if (ta) for (var p = 0; p < k; p++) aRow[p] = a[(long)p * m + i];
                else new ReadOnlySpan<double>(a + (long)i * k, k).CopyTo(aRow);
                if (tb)
                {
                    for (var j = 0; j < n; j++) acc[j] = TensorPrimitives.Dot(aRow, new ReadOnlySpan<double>(b + (long)j * k, k));
                }
                else
                {
                    Array.Clear(acc);
                    for (var p = 0; p < k; p++)
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<double>(b + (long)p * n, n), aRow[p], acc, acc);
                }
                var row = new Span<double>(c + (long)i * n, n);
                if (beta == 0) TensorPrimitives.Multiply(acc, alpha, row);
                else
                {
                    TensorPrimitives.Multiply(row, beta, row);
                    TensorPrimitives.MultiplyAdd(acc, alpha, row, row);
                }
            }
        });
    }

    /// <summary>Plain triple loop in double: the GEMM's own test oracle.</summary>
    internal static void GemmReference(bool ta, bool tb, int m, int n, int k, double alpha, double* a, double* b, double beta, double* c)
    {
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                double s = 0;
                for (var p = 0; p < k; p++)
                    s += (ta ? a[(long)p * m + i] : a[(long)i * k + p]) * (tb ? b[(long)j * k + p] : b[(long)p * n + j]);
                var idx = (long)i * n + j;
                c[idx] = alpha * s + (beta == 0 ? 0 : beta * c[idx]);
            }
    }

    internal static void GemmF32(bool ta, bool tb, int m, int n, int k, float alpha, float* a, float* b, float beta, float* c, bool allowThreads = true)
    {
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0)
        {
            ScaleByBeta(new Span<float>(c, checked(m * n)), beta);
            return;
        }
        var threads = allowThreads ? CpuBackend.Threads : 1;
        var flops = 2.0 * m * n * k;
        if (threads == 1 || flops < 2e6)
        {
            GemmBlock(ta, tb, m, n, k, alpha, a, b, beta, c, 0, m, 0, n);
            return;
        }
        var nr = NR;
        // Split the longer side of C: each thread packs the whole of the other operand, so splitting the
        // short side would have every thread pack (and read) the big operand in full.
        var splitRows = m >= 2 * MR * threads && (m >= n || n < 2 * nr * threads);
        if (splitRows)
        {
            // Split rows, in whole MR strips so that no strip is cut between threads.
            var strips = (m + MR - 1) / MR;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var i0 = (int)Math.Min(m, (long)strips * t / threads * MR);
                var i1 = (int)Math.Min(m, (long)strips * (t + 1) / threads * MR);
                if (i0 < i1) GemmBlock(ta, tb, m, n, k, alpha, a, b, beta, c, i0, i1, 0, n);
            });
        }
        else if (n >= 2 * nr * threads)
        {
            var strips = (n + nr - 1) / nr;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var j0 = (int)Math.Min(n, (long)strips * t / threads * nr);
                var j1 = (int)Math.Min(n, (long)strips * (t + 1) / threads * nr);
                if (j0 < j1) GemmBlock(ta, tb, m, n, k, alpha, a, b, beta, c, 0, m, j0, j1);
            });
        }
        else if (k >= 1024 * threads && (long)m * n <= 1 << 16)
        {
            // C is small and the sum is long (a weight gradient over a whole batch): split the sum, add the parts.
            // One part per iteration, not per thread: Parallel.For may run two iterations on one thread.
            var block = (float*)CpuScratch.Rent((long)threads * m * n * sizeof(float));
            var parts = new nint[threads];
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var p0 = (int)((long)k * t / threads);
                var p1 = (int)((long)k * (t + 1) / threads);
                var pc = block + (long)t * m * n;
                parts[t] = (nint)pc;
                {
                    var aPart = ta ? a + (long)p0 * m : a + p0;
                    var bPart = tb ? b + p0 : b + (long)p0 * n;
                    GemmStrided(ta, tb, m, n, p1 - p0, alpha, aPart, ta ? m : k, bPart, tb ? k : n, pc);
                }
            });
            var cs = new Span<float>(c, m * n);
            ScaleByBeta(cs, beta);
            foreach (var part in parts) System.Numerics.Tensors.TensorPrimitives.Add(cs, new ReadOnlySpan<float>((float*)part, m * n), cs);
            CpuScratch.Return(block);
        }
        else
        {
            GemmBlock(ta, tb, m, n, k, alpha, a, b, beta, c, 0, m, 0, n);
        }
    }

    /// <summary>
    /// C = alpha op(A) op(B) for a slice of the K dimension whose operands keep the row strides (lda, ldb) of
    /// the whole matrices: the slice is copied to contiguous scratch, then multiplied on one thread.
    /// </summary>
    private static void GemmStrided(bool ta, bool tb, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float* c)
    {
        var pa = (float*)CpuScratch.Get(CpuScratch.GemmA, (long)m * k * sizeof(float));
        var pb = (float*)CpuScratch.Get(CpuScratch.GemmB, (long)k * n * sizeof(float));
        {
            var (aRows, aCols) = ta ? (k, m) : (m, k);
            for (var r = 0; r < aRows; r++) new ReadOnlySpan<float>(a + (long)r * lda, aCols).CopyTo(new Span<float>(pa + (long)r * aCols, aCols));
            var (bRows, bCols) = tb ? (n, k) : (k, n);
            for (var r = 0; r < bRows; r++) new ReadOnlySpan<float>(b + (long)r * ldb, bCols).CopyTo(new Span<float>(pb + (long)r * bCols, bCols));
            GemmBlock(ta, tb, m, n, k, alpha, pa, pb, 0, c, 0, m, 0, n);
        }
    }


    /// <summary>
    /// One thread's part: rows [i0, i1) and columns [j0, j1) of C. Packing pays only when a strip is reused:
    /// op(B) is packed when many row strips will read it (or when it is transposed), op(A) when it is
    /// transposed; otherwise the kernel reads the row-major operand in place (edge strips are packed, so
    /// that no load runs past a row).
    /// </summary>
    private static void GemmBlock(bool ta, bool tb, int m, int n, int k, float alpha, float* a, float* b, float beta, float* c,
        int i0, int i1, int j0, int j1)
    {
        var nr = NR;
        if (_packA == null)
        {
            _packA = (float*)NativeMemory.AlignedAlloc((nuint)(MC * KC * sizeof(float)), 64);
            _packB = (float*)NativeMemory.AlignedAlloc((nuint)(KC * (NC + 32) * sizeof(float)), 64);
        }
        var pa = _packA;
        var pb = _packB;
        var packWholeB = tb || i1 - i0 > 4 * MR;
        var tile = stackalloc float[MR * 32];
        for (var jc = j0; jc < j1; jc += NC)
        {
            var nc = Math.Min(NC, j1 - jc);
            var fullStrips = nc / nr * nr;
            for (var pc = 0; pc < k; pc += KC)
            {
                var kc = Math.Min(KC, k - pc);
                var betaBlock = pc == 0 ? beta : 1f;
                if (packWholeB) PackB(tb, b, n, k, pc, kc, jc, nc, nr, pb);
                else if (fullStrips < nc) PackB(tb, b, n, k, pc, kc, jc + fullStrips, nc - fullStrips, nr, pb + (long)fullStrips * kc);
                for (var ic = i0; ic < i1; ic += MC)
                {
                    var mc = Math.Min(MC, i1 - ic);
                    var fullRows = mc / MR * MR;
                    if (ta) PackA(ta, a, m, k, ic, mc, pc, kc, pa);
                    else if (fullRows < mc) PackA(ta, a, m, k, ic + fullRows, mc - fullRows, pc, kc, pa + (long)fullRows * kc);
                    for (var jr = 0; jr < nc; jr += nr)
                    {
                        var nrEff = Math.Min(nr, nc - jr);
                        float* bStrip;
                        nint ldb;
                        if (packWholeB || jr >= fullStrips) { bStrip = pb + (long)jr * kc; ldb = nr; }
                        else { bStrip = b + (long)pc * n + jc + jr; ldb = n; }
                        for (var ir = 0; ir < mc; ir += MR)
                        {
                            var mrEff = Math.Min(MR, mc - ir);
                            float* aStrip;
                            nint aRow, aStep;
                            if (ta || ir >= fullRows) { aStrip = pa + (long)ir * kc; aRow = 1; aStep = MR; }
                            else { aStrip = a + (long)(ic + ir) * k + pc; aRow = k; aStep = 1; }
                            var cTile = c + (long)(ic + ir) * n + jc + jr;
                            if (nr == 32 && nrEff <= 16) Kernel6x16Of32(kc, aStrip, aRow, aStep, bStrip, ldb, cTile, n, alpha, betaBlock, mrEff, nrEff, tile);
                            else if (nr == 32) Kernel6x32(kc, aStrip, aRow, aStep, bStrip, ldb, cTile, n, alpha, betaBlock, mrEff, nrEff, tile);
                            else Kernel6x16(kc, aStrip, aRow, aStep, bStrip, ldb, cTile, n, alpha, betaBlock, mrEff, nrEff, tile);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Packs op(A)[ic..ic+mc, pc..pc+kc] into MR-tall strips, k-major inside a strip, zero-padded.</summary>
    private static void PackA(bool ta, float* a, int m, int k, int ic, int mc, int pc, int kc, float* dst)
    {
        for (var ir = 0; ir < mc; ir += MR)
        {
            var rows = Math.Min(MR, mc - ir);
            var d = dst + (long)ir * kc;
            if (ta)
            {
                // A is stored K x M: the MR values of one k are contiguous.
                for (var p = 0; p < kc; p++)
                {
                    var src = a + (long)(pc + p) * m + ic + ir;
                    var o = d + p * MR;
                    var r = 0;
                    for (; r < rows; r++) o[r] = src[r];
                    for (; r < MR; r++) o[r] = 0;
                }
            }
            else
            {
                for (var r = 0; r < MR; r++)
                {
                    if (r < rows)
                    {
                        var src = a + (long)(ic + ir + r) * k + pc;
                        for (var p = 0; p < kc; p++) d[p * MR + r] = src[p];
                    }
                    else
                    {
                        for (var p = 0; p < kc; p++) d[p * MR + r] = 0;
                    }
                }
            }
        }
    }

    /// <summary>Packs op(B)[pc..pc+kc, jc..jc+nc] into NR-wide strips, k-major inside a strip, zero-padded.</summary>
    private static void PackB(bool tb, float* b, int n, int k, int pc, int kc, int jc, int nc, int nr, float* dst)
    {
        for (var jr = 0; jr < nc; jr += nr)
        {
            var cols = Math.Min(nr, nc - jr);
            var d = dst + (long)jr * kc;
            if (!tb)
            {
                for (var p = 0; p < kc; p++)
                {
                    var src = b + (long)(pc + p) * n + jc + jr;
                    var o = d + p * nr;
                    if (cols == nr)
                    {
                        if (nr == 32)
                        {
                            Vector512.Store(Vector512.Load(src), o);
                            Vector512.Store(Vector512.Load(src + 16), o + 16);
                        }
                        else
                        {
                            Vector256.Store(Vector256.Load(src), o);
                            Vector256.Store(Vector256.Load(src + 8), o + 8);
                        }
                    }
                    else
                    {
                        var c = 0;
                        for (; c < cols; c++) o[c] = src[c];
                        for (; c < nr; c++) o[c] = 0;
                    }
                }
            }
            else
            {
                // B is stored N x K: each column of the strip is a row of B. Eight columns by eight k at a time through
                // an 8x8 transpose (weight gradients are NT products with long rows), the rest one column at a time.
                var col = 0;
                if (Avx.IsSupported)
                    for (; col + 8 <= cols; col += 8)
                    {
                        var src = b + (long)(jc + jr + col) * k + pc;
                        var p = 0;
                        for (; p + 8 <= kc; p += 8) Transpose8x8(src + p, k, d + p * nr + col, nr);
                        for (; p < kc; p++)
                            for (var c = 0; c < 8; c++) d[p * nr + col + c] = src[(long)c * k + p];
                    }
                for (; col < nr; col++)
                {
                    if (col < cols)
                    {
                        var src = b + (long)(jc + jr + col) * k + pc;
                        for (var p = 0; p < kc; p++) d[p * nr + col] = src[p];
                    }
                    else
                    {
                        for (var p = 0; p < kc; p++) d[p * nr + col] = 0;
                    }
                }
            }
        }
    }

    /// <summary>dst row i = column i of the 8x8 block at src: unpacks, 64-bit shuffles and a 128-bit lane swap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, long srcStride, float* dst, long dstStride)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + srcStride);
        var r2 = Avx.LoadVector256(src + 2 * srcStride);
        var r3 = Avx.LoadVector256(src + 3 * srcStride);
        var r4 = Avx.LoadVector256(src + 4 * srcStride);
        var r5 = Avx.LoadVector256(src + 5 * srcStride);
        var r6 = Avx.LoadVector256(src + 6 * srcStride);
        var r7 = Avx.LoadVector256(src + 7 * srcStride);
        var (t0, t1, t2, t3) = (Avx.UnpackLow(r0, r1), Avx.UnpackHigh(r0, r1), Avx.UnpackLow(r2, r3), Avx.UnpackHigh(r2, r3));
        var (t4, t5, t6, t7) = (Avx.UnpackLow(r4, r5), Avx.UnpackHigh(r4, r5), Avx.UnpackLow(r6, r7), Avx.UnpackHigh(r6, r7));
        var (u0, u1, u2, u3) = (Avx.Shuffle(t0, t2, 0x44), Avx.Shuffle(t0, t2, 0xEE), Avx.Shuffle(t1, t3, 0x44), Avx.Shuffle(t1, t3, 0xEE));
        var (u4, u5, u6, u7) = (Avx.Shuffle(t4, t6, 0x44), Avx.Shuffle(t4, t6, 0xEE), Avx.Shuffle(t5, t7, 0x44), Avx.Shuffle(t5, t7, 0xEE));
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(u3, u7, 0x31));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x32(int kc, float* pa, nint aRow, nint aStep, float* pb, nint ldb, float* c, int ldc, float alpha, float beta, int mr, int nr, float* tile)
    {
        nint a2 = 2 * aRow, a3 = 3 * aRow, a4 = 4 * aRow, a5 = 5 * aRow;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(pb);
            var b1 = Vector512.Load(pb + 16);
            var a = Vector512.Create(pa[0]);
            c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(pa[aRow]);
            c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(pa[a2]);
            c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(pa[a3]);
            c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(pa[a4]);
            c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(pa[a5]);
            c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            pa += aStep;
            pb += ldb;
        }
        var full = mr == MR && nr == 32;
        var dst = full ? c : tile;
        var ld = full ? ldc : 32;
        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(full ? beta : 0f);
        StoreRow512(dst, c00, c01, va, vb);
        StoreRow512(dst + ld, c10, c11, va, vb);
        StoreRow512(dst + 2 * ld, c20, c21, va, vb);
        StoreRow512(dst + 3 * ld, c30, c31, va, vb);
        StoreRow512(dst + 4 * ld, c40, c41, va, vb);
        StoreRow512(dst + 5 * ld, c50, c51, va, vb);
        if (!full) MergeTile(tile, 32, c, ldc, beta, mr, nr);
    }

    /// <summary>A column tail of at most 16 in a 32-wide strip: half the multiply-adds of the 6x32 kernel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16Of32(int kc, float* pa, nint aRow, nint aStep, float* pb, nint ldb, float* c, int ldc, float alpha, float beta, int mr, int nr, float* tile)
    {
        nint a2 = 2 * aRow, a3 = 3 * aRow, a4 = 4 * aRow, a5 = 5 * aRow;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(pb);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(pa[0]), b0, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(pa[aRow]), b0, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(pa[a2]), b0, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(pa[a3]), b0, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(pa[a4]), b0, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(pa[a5]), b0, c5);
            pa += aStep;
            pb += ldb;
        }
        var va = Vector512.Create(alpha);
        Vector512.Store(c0 * va, tile);
        Vector512.Store(c1 * va, tile + 32);
        Vector512.Store(c2 * va, tile + 64);
        Vector512.Store(c3 * va, tile + 96);
        Vector512.Store(c4 * va, tile + 128);
        Vector512.Store(c5 * va, tile + 160);
        MergeTile(tile, 32, c, ldc, beta, mr, nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow512(float* row, Vector512<float> lo, Vector512<float> hi, Vector512<float> alpha, Vector512<float> beta)
    {
        if (beta == Vector512<float>.Zero)
        {
            Vector512.Store(lo * alpha, row);
            Vector512.Store(hi * alpha, row + 16);
        }
        else
        {
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(row), beta, lo * alpha), row);
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(row + 16), beta, hi * alpha), row + 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int kc, float* pa, nint aRow, nint aStep, float* pb, nint ldb, float* c, int ldc, float alpha, float beta, int mr, int nr, float* tile)
    {
        nint a2 = 2 * aRow, a3 = 3 * aRow, a4 = 4 * aRow, a5 = 5 * aRow;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(pb);
            var b1 = Vector256.Load(pb + 8);
            var a = Vector256.Create(pa[0]);
            c00 = Vector256.FusedMultiplyAdd(a, b0, c00); c01 = Vector256.FusedMultiplyAdd(a, b1, c01);
            a = Vector256.Create(pa[aRow]);
            c10 = Vector256.FusedMultiplyAdd(a, b0, c10); c11 = Vector256.FusedMultiplyAdd(a, b1, c11);
            a = Vector256.Create(pa[a2]);
            c20 = Vector256.FusedMultiplyAdd(a, b0, c20); c21 = Vector256.FusedMultiplyAdd(a, b1, c21);
            a = Vector256.Create(pa[a3]);
            c30 = Vector256.FusedMultiplyAdd(a, b0, c30); c31 = Vector256.FusedMultiplyAdd(a, b1, c31);
            a = Vector256.Create(pa[a4]);
            c40 = Vector256.FusedMultiplyAdd(a, b0, c40); c41 = Vector256.FusedMultiplyAdd(a, b1, c41);
            a = Vector256.Create(pa[a5]);
            c50 = Vector256.FusedMultiplyAdd(a, b0, c50); c51 = Vector256.FusedMultiplyAdd(a, b1, c51);
            pa += aStep;
            pb += ldb;
        }
        var full = mr == MR && nr == 16;
        var dst = full ? c : tile;
        var ld = full ? ldc : 16;
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(full ? beta : 0f);
        StoreRow256(dst, c00, c01, va, vb);
        StoreRow256(dst + ld, c10, c11, va, vb);
        StoreRow256(dst + 2 * ld, c20, c21, va, vb);
        StoreRow256(dst + 3 * ld, c30, c31, va, vb);
        StoreRow256(dst + 4 * ld, c40, c41, va, vb);
        StoreRow256(dst + 5 * ld, c50, c51, va, vb);
        if (!full) MergeTile(tile, 16, c, ldc, beta, mr, nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow256(float* row, Vector256<float> lo, Vector256<float> hi, Vector256<float> alpha, Vector256<float> beta)
    {
        if (beta == Vector256<float>.Zero)
        {
            Vector256.Store(lo * alpha, row);
            Vector256.Store(hi * alpha, row + 8);
        }
        else
        {
            Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(row), beta, lo * alpha), row);
            Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(row + 8), beta, hi * alpha), row + 8);
        }
    }

    /// <summary>Edge tiles: the kernel wrote alpha*AB to a scratch tile; copy the valid part, adding beta*C.</summary>
    private static void MergeTile(float* tile, int ldt, float* c, int ldc, float beta, int mr, int nr)
    {
        for (var r = 0; r < mr; r++)
        {
            var t = tile + r * ldt;
            var row = c + (long)r * ldc;
            if (beta == 0)
                for (var j = 0; j < nr; j++) row[j] = t[j];
            else
                for (var j = 0; j < nr; j++) row[j] = t[j] + beta * row[j];
        }
    }
}
