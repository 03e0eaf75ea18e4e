using NativeNets.Native;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// Nearest-neighbour ops: runtime/kernels/neighbors.cu (tiled L1 on bytes, exact top-k) and cuBLAS for the L2 GEMM.
public sealed unsafe partial class CudaBackend
{
    private const string Neighbors = "neighbors.cu";

    public override void L1DistancesU8(Tensor queries, Tensor references, Tensor distances)
    {
        const string op = nameof(L1DistancesU8);
        var (q, r, d) = Check.L1Distances(op, Device, queries, references, distances);
        var args = new KernelArgs().Ptr(queries.Pointer).Ptr(references.Pointer).Ptr(distances.Pointer).I32(q).I32(r).I32(d);
        _kernels.Launch(Neighbors, "nn_l1_distances_u8", (uint)Math.Min((r + 63) / 64, 65535), (uint)Math.Min((q + 63) / 64, 65535), 256, 0, ref args);
    }

    public override void SquaredL2Distances(Tensor queries, Tensor references, Tensor referenceNormsSquared, Tensor distances)
    {
        const string op = nameof(SquaredL2Distances);
        if (ReducedType(op, new("queries", queries), new("references", references), new("referenceNormsSquared", referenceNormsSquared),
                new("distances", distances)) is not null)
        {
            SquaredL2DistancesReduced(queries, references, referenceNormsSquared, distances);
            return;
        }
        var (q, r, d) = Check.L2Distances(op, Device, queries, references, referenceNormsSquared, distances);
        // Q R^T on cuBLAS, then ((-2 dot) + |r|^2) + |q|^2 in the CPU's order.
        Gemm(false, true, 1.0, queries, references, 0.0, distances);
        using var queryNorms = new ScratchBuffer(this, (long)q * sizeof(float));
        var norms = new KernelArgs().Ptr(queries.Pointer).Ptr(queryNorms.Pointer).I32(q).I32(d);
        _kernels.Launch(Neighbors, "nn_squared_norms_rows_f32", (uint)Math.Min(q, 65535), 1, Threads, 0, ref norms);
        var combine = new KernelArgs().Ptr(distances.Pointer).Ptr(queryNorms.Pointer).Ptr(referenceNormsSquared.Pointer).I32(q).I32(r);
        _kernels.Launch(Neighbors, "nn_l2_combine_f32", (uint)Math.Min((r + 255) / 256, 65535), (uint)Math.Min(q, 65535), 256, 0, ref combine);
    }

    /// <summary>
    /// F16 / BF16 rows, norms and distances, as the CPU does them on F32 twins: Q R^T from cublasGemmEx into an F32 scratch
    /// (F32 compute), query norms in float, then ((-2 dot) + |r|^2) + |q|^2 in float, each distance rounded once.
    /// </summary>
    private void SquaredL2DistancesReduced(Tensor queries, Tensor references, Tensor referenceNormsSquared, Tensor distances)
    {
        const string op = nameof(SquaredL2Distances);
        var (q, r, d) = ReducedL2Distances(op, queries, references, referenceNormsSquared, distances);
        MakeCurrent();
        if (q == 0 || r == 0) return;
        var s = ShortName(distances.DType);
        using var dots = new ScratchBuffer(this, (long)q * r * sizeof(float)); // zero-filled: the dots of empty rows
        if (d > 0) GemmReduced(false, true, q, r, d, 1f, queries, references, 0f, dots.Pointer, cudaDataType_t.CUDA_R_32F);
        using var queryNorms = new ScratchBuffer(this, (long)q * sizeof(float));
        var norms = new KernelArgs().Ptr(queries.Pointer).Ptr(queryNorms.Pointer).I32(q).I32(d);
        _kernels.Launch(Neighbors, $"nn_squared_norms_rows_{s}", (uint)Math.Min(q, 65535), 1, Threads, 0, ref norms);
        var combine = new KernelArgs().Ptr(dots.Pointer).Ptr(distances.Pointer).Ptr(queryNorms.Pointer).Ptr(referenceNormsSquared.Pointer).I32(q).I32(r);
        _kernels.Launch(Neighbors, $"nn_l2_combine_{s}", (uint)Math.Min((r + 255) / 256, 65535), (uint)Math.Min(q, 65535), 256, 0, ref combine);
    }

    public override void SmallestK(Tensor distances, int k, Tensor indices)
    {
        const string op = nameof(SmallestK);
        // F16 / BF16 distances compare as float (the conversion is exact and keeps the order), as the CPU's F32 twin.
        var (q, r) = IsReduced(distances.DType) ? ReducedSmallestK(op, distances, k, indices) : Check.SmallestK(op, Device, distances, k, indices);
        using var error = new ScratchBuffer(this, sizeof(int));
        var args = new KernelArgs().Ptr(distances.Pointer).Ptr(indices.Pointer).I32(q).I32(r).I32(k).Ptr(error.Pointer);
        _kernels.Launch(Neighbors, $"nn_smallest_k_{ShortName(distances.DType)}", (uint)Math.Min(q, 65535), 1, Threads, 0, ref args);
    }
}
