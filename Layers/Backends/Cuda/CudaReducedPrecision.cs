using NativeNets.Native;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// F16 and BF16 on the CUDA backend, as the CPU backend has them (CpuReducedPrecision.cs): every op that takes F16 or
// BF16 tensors computes in F32 and rounds each output once, to nearest even. The NVRTC kernels have f16 / bf16
// instantiations that load to float, compute as their f32 twins do and round each store (runtime/kernels/common.cuh);
// GEMMs are cublasGemmEx with F16 / BF16 matrices and F32 compute; convolutions and batch norm are cuDNN with
// HALF / BFLOAT16 data and FLOAT compute. The one op without a reduced path (LRN) and the batch-norm parameters given
// as F16 / BF16 run on F32 twins made and rounded back on the device, which is what the CPU does for every op.
// The dtype rules are the CPU's: the F16 / BF16 tensors of one op share one dtype, and every other floating tensor of
// the op must have it too, except batch norm's parameters and statistics, which may be F32 (cuDNN's rule for half data).
public sealed unsafe partial class CudaBackend
{
    private static bool IsReduced(DType d) => d is DType.F16 or DType.BF16;

    /// <summary>One tensor of an op, by the name its messages use; <see cref="MayBeF32"/> for batch norm's parameters.</summary>
    internal readonly record struct Operand(string Name, Tensor? Tensor, bool MayBeF32 = false);

    /// <summary>
    /// The F16 or BF16 dtype among an op's tensors, or null when none is (the op then runs as before). Throws, naming the
    /// op and the tensor, where the CPU backend would: an F16 beside a BF16 tensor, or an F32 / F64 tensor beside a reduced
    /// one (an F32 operand marked <see cref="Operand.MayBeF32"/> excepted). Integer tensors (labels, indices, masks,
    /// images) are not concerned.
    /// </summary>
    internal static DType? ReducedType(string op, params ReadOnlySpan<Operand> operands)
    {
        DType? reduced = null;
        foreach (var o in operands)
            if (o.Tensor is { } t && IsReduced(t.DType))
            {
                reduced = t.DType;
                break;
            }
        if (reduced is not { } r) return null;
        foreach (var o in operands)
        {
            if (o.Tensor is not { } t || !t.DType.IsFloatingPoint() || t.DType == r) continue;
            if (IsReduced(t.DType))
                throw new ArgumentException($"{op}: {o.Name} is {t.DType.Name()} beside {r.Name()} tensors; the F16 / BF16 tensors of one op share a dtype: cast one of them first");
            if (!(o.MayBeF32 && t.DType == DType.F32))
                throw new ArgumentException($"{op}: {o.Name} is a {t.DType.Name()} tensor {t.ShapeText} beside {r.Name()} ones; " +
                    "the floating tensors of one op share a dtype (batch-norm parameters may be f32)");
        }
        return r;
    }

    /// <summary>
    /// F32 twins of F16 / BF16 tensors on the device, for the ops that have no reduced-precision path of their own: made by
    /// the exact f16/bf16 -> f32 cast, rounded back (to nearest even) by <see cref="Commit"/> for the outputs, freed in
    /// stream order by Dispose. A tensor named twice gets one twin, so in-place ops stay in place. Tensors that are not
    /// F16 / BF16 are used as they are (the dtype rules are checked before, by <see cref="ReducedType"/>).
    /// </summary>
    private sealed class F32Twins(CudaBackend backend) : IDisposable
    {
        private readonly List<(Tensor Original, Tensor Wide, bool Output)> _twins = [];

        public Tensor In(Tensor t) => Twin(t, output: false);

        /// <summary>An output: its twin starts with its values (ops that accumulate read them) and is rounded back on Commit.</summary>
        public Tensor Out(Tensor t) => Twin(t, output: true);

        private Tensor Twin(Tensor t, bool output)
        {
            if (!IsReduced(t.DType)) return t;
            for (var i = 0; i < _twins.Count; i++)
                if (ReferenceEquals(_twins[i].Original, t))
                {
                    if (output && !_twins[i].Output) _twins[i] = _twins[i] with { Output = true };
                    return _twins[i].Wide;
                }
            var wide = new Tensor(t.Shape, DType.F32, t.Device, t.Layout);
            try
            {
                backend.Cast(t, wide);
            }
            catch
            {
                wide.Dispose();
                throw;
            }
            _twins.Add((t, wide, output));
            return wide;
        }

        public void Commit()
        {
            foreach (var (original, wide, output) in _twins)
                if (output) backend.Cast(wide, original);
        }

        public void Dispose()
        {
            foreach (var (_, wide, _) in _twins) wide.Dispose();
            _twins.Clear();
        }
    }

    private static cudaDataType_t CudaDataType(string op, Tensor t) => t.DType switch
    {
        DType.F32 => cudaDataType_t.CUDA_R_32F,
        DType.F64 => cudaDataType_t.CUDA_R_64F,
        DType.F16 => cudaDataType_t.CUDA_R_16F,
        DType.BF16 => cudaDataType_t.CUDA_R_16BF,
        _ => throw Unsupported(op, t),
    };

    /// <summary>
    /// C = alpha op(A) op(B) + beta C (row-major views, as <see cref="Gemm"/>) with F16 / BF16 A and B, C of their dtype or
    /// F32, through cublasGemmEx with F32 compute: products and sums in F32, C rounded once. For these calls the handle's
    /// math mode is cuBLAS's default (tensor cores) with reduced-precision reductions disallowed, so split-K partial sums
    /// stay in F32; the F32 / F64 mode (pedantic, or TF32 when allowed) is restored afterwards.
    /// </summary>
    private void GemmReduced(bool transposeA, bool transposeB, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta,
        nint c, cudaDataType_t cType)
    {
        const string op = nameof(Gemm);
        var opA = transposeA ? cublasOperation_t.CUBLAS_OP_T : cublasOperation_t.CUBLAS_OP_N;
        var opB = transposeB ? cublasOperation_t.CUBLAS_OP_T : cublasOperation_t.CUBLAS_OP_N;
        var lda = transposeA ? m : k;
        var ldb = transposeB ? k : n;
        var abType = CudaDataType(op, a);
        cublasMath_t previous;
        Cublas.Check(Cublas.cublasGetMathMode(_cublas, &previous));
        Cublas.Check(Cublas.cublasSetMathMode(_cublas, cublasMath_t.CUBLAS_DEFAULT_MATH | cublasMath_t.CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION));
        try
        {
            // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: B first (see CudaGemm.cs).
            Cublas.Check(Cublas.cublasGemmEx(_cublas, opB, opA, n, m, k, &alpha,
                b.Pointer, abType, Math.Max(1, ldb),
                a.Pointer, abType, Math.Max(1, lda),
                &beta,
                c, cType, n,
                cublasComputeType_t.CUBLAS_COMPUTE_32F, cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT));
        }
        finally
        {
            Cublas.Check(Cublas.cublasSetMathMode(_cublas, previous));
        }
    }

    // ---- argument checks for the ops whose shared checks (Check.*) want F32 -------------------------------------------

    /// <summary>Check.ImageBatch for an F16 / BF16 output (the CPU normalises into an F32 twin and rounds it back).</summary>
    private (int N, int C, long Plane) ReducedImageBatch(string op, Tensor images, Tensor output, int means, int stds)
    {
        Check.OnDevice(op, Device, images, output);
        Check.DType(op, "images", images, DType.U8);
        Check.DType(op, "output", output, DType.F32, DType.F16, DType.BF16);
        Check.Rank(op, "images", images, 4);
        if (images.Layout != Layout.NHWC) throw new ArgumentException($"{op}: images must be in NHWC memory order, got {images.Layout}");
        Check.Shape(op, "output", output, images.Shape);
        if (means != images[1] || stds != images[1])
            throw new ArgumentException($"{op}: {images[1]} channels need {images[1]} means and stds, got {means} and {stds}");
        return (images[0], images[1], (long)images[2] * images[3]);
    }

    /// <summary>Check.L2Distances for F16 / BF16 rows, norms and distances (one dtype, checked by <see cref="ReducedType"/>).</summary>
    private (int Q, int R, int D) ReducedL2Distances(string op, Tensor queries, Tensor references, Tensor referenceNormsSquared, Tensor distances)
    {
        Check.OnDevice(op, Device, queries, references, referenceNormsSquared, distances);
        var (q, d) = queries.AsMatrix;
        var (r, dr) = references.AsMatrix;
        if (d != dr)
            throw new ArgumentException($"{op}: queries {queries.ShapeText} and references {references.ShapeText} have rows of different lengths ({d} and {dr})");
        Check.Shape(op, "distances", distances, q, r);
        if (referenceNormsSquared.Count != r)
            throw new ArgumentException($"{op}: referenceNormsSquared {referenceNormsSquared.ShapeText} must have one value per reference ({r})");
        return (q, r, d);
    }

    /// <summary>Check.SmallestK for F16 / BF16 distances.</summary>
    private (int Q, int R) ReducedSmallestK(string op, Tensor distances, int k, Tensor indices)
    {
        Check.OnDevice(op, Device, distances, indices);
        Check.DType(op, "distances", distances, DType.F16, DType.BF16);
        Check.DType(op, "indices", indices, DType.I32);
        var (q, r) = distances.AsMatrix;
        if (k < 1 || k > r)
            throw new ArgumentOutOfRangeException(nameof(k), $"{op}: k = {k} must be between 1 and the {r} references");
        Check.Shape(op, "indices", indices, q, k);
        return (q, r);
    }
}
