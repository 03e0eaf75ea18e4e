using NativeNets.Native;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// GEMM through cuBLAS. cuBLAS is column-major and our matrices are row-major: a row-major C (M x N) is a column-major
// C^T (N x M), and C^T = op(B)^T op(A)^T, so we ask cuBLAS for that product with A and B swapped. No copies.
public sealed unsafe partial class CudaBackend
{
    public override void Gemm(bool transposeA, bool transposeB, double alpha, Tensor a, Tensor b, double beta, Tensor c)
    {
        const string op = nameof(Gemm);
        var reduced = ReducedType(op, new("A", a), new("B", b), new("C", c));
        Check.OnDevice(op, Device, a, b, c);
        var (m, n, k) = Check.GemmShapes(op, transposeA, transposeB, a, b, c);
        MakeCurrent();
        if (m == 0 || n == 0) return;
        var opA = transposeA ? cublasOperation_t.CUBLAS_OP_T : cublasOperation_t.CUBLAS_OP_N;
        var opB = transposeB ? cublasOperation_t.CUBLAS_OP_T : cublasOperation_t.CUBLAS_OP_N;
        var lda = transposeA ? m : k;
        var ldb = transposeB ? k : n;
        if (k == 0)
        {
            // cuBLAS with k = 0 scales C by beta, as BLAS does; keep that meaning explicit.
            Scale(c, beta);
            return;
        }
        if (reduced is not null)
        {
            // F16 / BF16: cublasGemmEx, F32 compute and scalars, C rounded once (as the CPU's F32 GEMM on widened matrices).
            GemmReduced(transposeA, transposeB, m, n, k, (float)alpha, a, b, (float)beta, c.Pointer, CudaDataType(op, c));
            return;
        }
        switch (c.DType)
        {
            case DType.F32:
            {
                float fa = (float)alpha, fb = (float)beta;
                Cublas.Check(Cublas.cublasSgemm_v2(_cublas, opB, opA, n, m, k, &fa, b.Pointer, Math.Max(1, ldb), a.Pointer, Math.Max(1, lda), &fb, c.Pointer, n));
                break;
            }
            case DType.F64:
                Cublas.Check(Cublas.cublasDgemm_v2(_cublas, opB, opA, n, m, k, &alpha, b.Pointer, Math.Max(1, ldb), a.Pointer, Math.Max(1, lda), &beta, c.Pointer, n));
                break;
            default:
                throw Unsupported(op, c);
        }
    }
}
