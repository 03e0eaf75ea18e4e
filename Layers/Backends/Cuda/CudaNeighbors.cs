using NativeNets.Tensors;

namespace NativeNets.Backends;

// Nearest-neighbour ops: runtime/kernels/neighbors.cu (tiled L1 on bytes, exact top-k) and cuBLAS for the L2 GEMM.
public sealed unsafe partial class CudaBackend
{
    private const string Neighbors = "neighbors.cu";

    public override void L1DistancesU8(Tensor queries, Tensor references, Tensor distances)
    {
        const string op = nameof(L1DistancesU8);
        Check.OnDevice(op, Device, queries, references, distances);
        Check.DType(op, "queries", queries, DType.U8);
        Check.DType(op, "references", references, DType.U8);
        Check.DType(op, "distances", distances, DType.I32);
        var (q, d) = queries.AsMatrix;
        var (r, dr) = references.AsMatrix;
        if (d != dr)
            throw new ArgumentException($"{op}: queries {queries.ShapeText} and references {references.ShapeText} have rows of different lengths ({d} and {dr})");
        if (d > int.MaxValue / 255) throw new ArgumentException($"{op}: rows of {d} bytes could overflow an I32 distance");
        Check.Shape(op, "distances", distances, q, r);
        var args = new KernelArgs().Ptr(queries.Pointer).Ptr(references.Pointer).Ptr(distances.Pointer).I32(q).I32(r).I32(d);
        _kernels.Launch(Neighbors, "nn_l1_distances_u8", (uint)Math.Min((r + 63) / 64, 65535), (uint)Math.Min((q + 63) / 64, 65535), 256, 0, ref args);
    }

    public override void SquaredL2Distances(Tensor queries, Tensor references, Tensor referenceNormsSquared, Tensor distances)
    {
        const string op = nameof(SquaredL2Distances);
        Check.OnDevice(op, Device, queries, references, referenceNormsSquared, distances);
        foreach (var (name, t) in new[] { ("queries", queries), ("references", references), ("referenceNormsSquared", referenceNormsSquared), ("distances", distances) })
            Check.DType(op, name, t, DType.F32);
        var (q, d) = queries.AsMatrix;
        var (r, dr) = references.AsMatrix;
        if (d != dr)
            throw new ArgumentException($"{op}: queries {queries.ShapeText} and references {references.ShapeText} have rows of different lengths ({d} and {dr})");
        Check.Shape(op, "distances", distances, q, r);
        if (referenceNormsSquared.Count != r)
            throw new ArgumentException($"{op}: referenceNormsSquared {referenceNormsSquared.ShapeText} must have one value per reference ({r})");
        // Q R^T on cuBLAS, then ((-2 dot) + |r|^2) + |q|^2 in the CPU's order.
        Gemm(false, true, 1.0, queries, references, 0.0, distances);
        using var queryNorms = new ScratchBuffer(this, (long)q * sizeof(float));
        var norms = new KernelArgs().Ptr(queries.Pointer).Ptr(queryNorms.Pointer).I32(q).I32(d);
        _kernels.Launch(Neighbors, "nn_squared_norms_rows_f32", (uint)Math.Min(q, 65535), 1, Threads, 0, ref norms);
        var combine = new KernelArgs().Ptr(distances.Pointer).Ptr(queryNorms.Pointer).Ptr(referenceNormsSquared.Pointer).I32(q).I32(r);
        _kernels.Launch(Neighbors, "nn_l2_combine_f32", (uint)Math.Min((r + 255) / 256, 65535), (uint)Math.Min(q, 65535), 256, 0, ref combine);
    }

    public override void SmallestK(Tensor distances, int k, Tensor indices)
    {
        const string op = nameof(SmallestK);
        Check.OnDevice(op, Device, distances, indices);
        Check.DType(op, "distances", distances, DType.I32, DType.F32);
        Check.DType(op, "indices", indices, DType.I32);
        var (q, r) = distances.AsMatrix;
        if (k < 1 || k > r)
            throw new ArgumentOutOfRangeException(nameof(k), $"{op}: k = {k} must be between 1 and the {r} references");
        Check.Shape(op, "indices", indices, q, k);
        using var error = new ScratchBuffer(this, sizeof(int));
        var args = new KernelArgs().Ptr(distances.Pointer).Ptr(indices.Pointer).I32(q).I32(r).I32(k).Ptr(error.Pointer);
        _kernels.Launch(Neighbors, $"nn_smallest_k_{ShortName(distances.DType)}", (uint)Math.Min(q, 65535), 1, Threads, 0, ref args);
    }
}
