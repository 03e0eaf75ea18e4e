using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// k-NN kernels. L1 works on the raw bytes: the x86 "sum of absolute differences" instruction
// (vpsadbw) does 64 byte differences at once, and integer sums make the distances exact.
// References are taken in chunks that stay in L2 while groups of four queries pass over them.
public sealed unsafe partial class CpuBackend
{
    private const int L1RefChunk = 192;

    public override void L1DistancesU8(Tensor queries, Tensor references, Tensor distances)
    {
        const string op = nameof(L1DistancesU8);
        var (q, r, d) = Check.L1Distances(op, Device, queries, references, distances);
        byte* pq = (byte*)queries.Pointer, pr = (byte*)references.Pointer;
        var pd = (int*)distances.Pointer;
        var chunks = (r + L1RefChunk - 1) / L1RefChunk;
        CpuParallel.Items(chunks, chunk =>
        {
            var r0 = chunk * L1RefChunk;
            var r1 = Math.Min(r, r0 + L1RefChunk);
            var qi = 0;
            for (; qi + 4 <= q; qi += 4)
            {
                byte* q0 = pq + (long)qi * d, q1 = q0 + d, q2 = q1 + d, q3 = q2 + d;
                for (var ri = r0; ri < r1; ri++)
                {
                    var (s0, s1, s2, s3) = Sad4(q0, q1, q2, q3, pr + (long)ri * d, d);
                    pd[(long)qi * r + ri] = s0;
                    pd[(long)(qi + 1) * r + ri] = s1;
                    pd[(long)(qi + 2) * r + ri] = s2;
                    pd[(long)(qi + 3) * r + ri] = s3;
                }
            }
            for (; qi < q; qi++)
                for (var ri = r0; ri < r1; ri++)
                    pd[(long)qi * r + ri] = Sad1(pq + (long)qi * d, pr + (long)ri * d, d);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int, int, int, int) Sad4(byte* q0, byte* q1, byte* q2, byte* q3, byte* rr, int d)
    {
        var i = 0;
        long s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (Avx512BW.IsSupported)
        {
            Vector512<ulong> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 64 <= d; i += 64)
            {
                var v = Vector512.Load(rr + i);
                a0 += Avx512BW.SumAbsoluteDifferences(Vector512.Load(q0 + i), v).AsUInt64();
                a1 += Avx512BW.SumAbsoluteDifferences(Vector512.Load(q1 + i), v).AsUInt64();
                a2 += Avx512BW.SumAbsoluteDifferences(Vector512.Load(q2 + i), v).AsUInt64();
                a3 += Avx512BW.SumAbsoluteDifferences(Vector512.Load(q3 + i), v).AsUInt64();
            }
            s0 = (long)Vector512.Sum(a0); s1 = (long)Vector512.Sum(a1); s2 = (long)Vector512.Sum(a2); s3 = (long)Vector512.Sum(a3);
        }
        if (Avx2.IsSupported)
        {
            Vector256<ulong> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 32 <= d; i += 32)
            {
                var v = Vector256.Load(rr + i);
                a0 += Avx2.SumAbsoluteDifferences(Vector256.Load(q0 + i), v).AsUInt64();
                a1 += Avx2.SumAbsoluteDifferences(Vector256.Load(q1 + i), v).AsUInt64();
                a2 += Avx2.SumAbsoluteDifferences(Vector256.Load(q2 + i), v).AsUInt64();
                a3 += Avx2.SumAbsoluteDifferences(Vector256.Load(q3 + i), v).AsUInt64();
            }
            s0 += (long)Vector256.Sum(a0); s1 += (long)Vector256.Sum(a1); s2 += (long)Vector256.Sum(a2); s3 += (long)Vector256.Sum(a3);
        }
        if (Sse2.IsSupported)
        {
            Vector128<ulong> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 16 <= d; i += 16)
            {
                var v = Vector128.Load(rr + i);
                a0 += Sse2.SumAbsoluteDifferences(Vector128.Load(q0 + i), v).AsUInt64();
                a1 += Sse2.SumAbsoluteDifferences(Vector128.Load(q1 + i), v).AsUInt64();
                a2 += Sse2.SumAbsoluteDifferences(Vector128.Load(q2 + i), v).AsUInt64();
                a3 += Sse2.SumAbsoluteDifferences(Vector128.Load(q3 + i), v).AsUInt64();
            }
            s0 += (long)Vector128.Sum(a0); s1 += (long)Vector128.Sum(a1); s2 += (long)Vector128.Sum(a2); s3 += (long)Vector128.Sum(a3);
        }
        for (; i < d; i++)
        {
            int v = rr[i];
            s0 += Math.Abs(q0[i] - v); s1 += Math.Abs(q1[i] - v); s2 += Math.Abs(q2[i] - v); s3 += Math.Abs(q3[i] - v);
        }
        return ((int)s0, (int)s1, (int)s2, (int)s3);
    }

    private static int Sad1(byte* q, byte* rr, int d)
    {
        var (s, _, _, _) = Sad4(q, q, q, q, rr, d);
        return s;
    }

    public override void SquaredL2Distances(Tensor queries, Tensor references, Tensor referenceNormsSquared, Tensor distances)
    {
        if (Widened.Find(queries, references, referenceNormsSquared, distances) is { } reduced)
        {
            Widened.Run(nameof(SquaredL2Distances), reduced, wide => SquaredL2Distances(wide.In(queries), wide.In(references), wide.In(referenceNormsSquared), wide.Out(distances)));
            return;
        }
        const string op = nameof(SquaredL2Distances);
        var (q, r, d) = Check.L2Distances(op, Device, queries, references, referenceNormsSquared, distances);
        // -2 Q R^T on the GEMM, then + |r|^2 per column and + |q|^2 per row.
        Gemm(false, true, -2.0, queries, references, 0.0, distances);
        AddRowVector(distances, referenceNormsSquared);
        var pq = (float*)queries.Pointer;
        var pd = (float*)distances.Pointer;
        for (var i = 0; i < q; i++)
        {
            var row = new ReadOnlySpan<float>(pq + (long)i * d, d);
            var qn = System.Numerics.Tensors.TensorPrimitives.SumOfSquares(row);
            var drow = new Span<float>(pd + (long)i * r, r);
            System.Numerics.Tensors.TensorPrimitives.Add(drow, qn, drow);
        }
    }

    public override void SmallestK(Tensor distances, int k, Tensor indices)
    {
        if (Widened.Find(distances) is { } reduced)
        {
            Widened.Run(nameof(SmallestK), reduced, wide => SmallestK(wide.In(distances), k, indices));
            return;
        }
        const string op = nameof(SmallestK);
        var (q, r) = Check.SmallestK(op, Device, distances, k, indices);
        var isInt = distances.DType == DType.I32;
        var pd = distances.Pointer;
        var pi = (int*)indices.Pointer;
        CpuParallel.For(q, 16, (s, e) =>
        {
            var best = new double[k];
            for (var row = s; row < e; row++)
            {
                var idx = pi + row * k;
                var filled = 0;
                for (var j = 0; j < r; j++)
                {
                    double v = isInt ? ((int*)pd)[row * r + j] : ((float*)pd)[row * r + j];
                    // Strictly smaller than the current k-th: an equal distance never displaces a lower index.
                    if (filled == k && !(v < best[k - 1])) continue;
                    var pos = filled < k ? filled++ : k - 1;
                    while (pos > 0 && v < best[pos - 1])
                    {
                        best[pos] = best[pos - 1];
                        idx[pos] = idx[pos - 1];
                        pos--;
                    }
                    best[pos] = v;
                    idx[pos] = j;
                }
            }
        });
    }
}
