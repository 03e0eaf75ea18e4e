// NativeNets CUDA kernels: k-nearest-neighbour distances and the k smallest per row.
// Compiled at run time by NVRTC, after the shared helpers of common.cuh (no #include). See README.md;
// the CPU methods matched are in Layers/Backends/Cpu/CpuNeighbors.cs.

// ---- L1 distances over U8 rows, exact -----------------------------------------------------------
// distances[q, r] = sum over d of |queries[q, d] - references[r, d]| as int (the host checks
// D <= int.MaxValue / 255 as the CPU does). Each block computes 64 x 64 output tiles (queries along
// y, references along x; each thread a 4 x 4 sub-tile), walking D in chunks of 64 bytes staged in
// shared memory as 32-bit words and summed four bytes at a time with __vsadu4. Bytes past D and rows
// past Q or R are staged as zeros, so any D and any row alignment work; when D % 4 == 0 and both
// base pointers are 4-byte aligned the chunks are loaded a word at a time, otherwise a byte at a time.
// Launch: blockDim.x = 256 exactly (1-D; thread t works on sub-tile column t % 16, row t / 16);
// grid (min(ceil(R / 64), 65535), min(ceil(Q / 64), 65535)) (the tiles are walked grid-stride, so a
// smaller grid is also correct). No dynamic shared memory (8.5 KiB static).

#define NN_L1_TILE 64
#define NN_L1_WORDS 16 // 64 bytes of each row per chunk
#define NN_L1_PITCH 17 // words per shared row: odd, so the 16 reference rows a warp reads hit distinct banks

NN_DEV void nn_l1_stage(u32 (*tile)[NN_L1_PITCH], const u8* rows, int first, int count, int d, int k0, bool words, int t)
{
    if (words)
    {
        for (int s = 0; s < (NN_L1_TILE * NN_L1_WORDS) / 256; s++)
        {
            int w = t + 256 * s;
            int row = w >> 4, col = w & 15;
            int k = k0 + 4 * col;
            u32 v = 0;
            if (row < count && k < d) v = __ldg((const u32*)(rows + (i64)(first + row) * d + k));
            tile[row][col] = v;
        }
    }
    else
    {
        for (int s = 0; s < (NN_L1_TILE * NN_L1_WORDS * 4) / 256; s++)
        {
            int b = t + 256 * s;
            int row = b >> 6, col = b & 63;
            int k = k0 + col;
            u8 v = 0;
            if (row < count && k < d) v = __ldg(rows + (i64)(first + row) * d + k);
            ((u8*)tile[row])[col] = v;
        }
    }
}

extern "C" __global__ void nn_l1_distances_u8(const unsigned char* queries, const unsigned char* references, int* distances,
    int Q, int R, int D)
{
    __shared__ u32 qs[NN_L1_TILE][NN_L1_PITCH];
    __shared__ u32 rs[NN_L1_TILE][NN_L1_PITCH];
    int t = threadIdx.x, tx = t & 15, ty = t >> 4;
    bool words = (D & 3) == 0 && (((u64)queries | (u64)references) & 3) == 0;
    for (int q0 = blockIdx.y * NN_L1_TILE; q0 < Q; q0 += gridDim.y * NN_L1_TILE)
        for (int r0 = blockIdx.x * NN_L1_TILE; r0 < R; r0 += gridDim.x * NN_L1_TILE)
        {
            int qn = Q - q0 < NN_L1_TILE ? Q - q0 : NN_L1_TILE;
            int rn = R - r0 < NN_L1_TILE ? R - r0 : NN_L1_TILE;
            u32 acc[4][4];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) acc[i][j] = 0;
            for (int k0 = 0; k0 < D; k0 += NN_L1_WORDS * 4)
            {
                __syncthreads(); // the previous chunk has been used
                nn_l1_stage(qs, queries, q0, qn, D, k0, words, t);
                nn_l1_stage(rs, references, r0, rn, D, k0, words, t);
                __syncthreads();
                for (int k = 0; k < NN_L1_WORDS; k++)
                {
                    u32 a[4], b[4];
                    for (int i = 0; i < 4; i++) a[i] = qs[ty + 16 * i][k];
                    for (int j = 0; j < 4; j++) b[j] = rs[tx + 16 * j][k];
                    for (int i = 0; i < 4; i++)
                        for (int j = 0; j < 4; j++) acc[i][j] = __vsadu4(a[i], b[j]) + acc[i][j];
                }
            }
            for (int i = 0; i < 4; i++)
            {
                int q = ty + 16 * i;
                if (q >= qn) continue;
                for (int j = 0; j < 4; j++)
                {
                    int r = tx + 16 * j;
                    if (r < rn) distances[(i64)(q0 + q) * R + r0 + r] = (int)acc[i][j];
                }
            }
        }
}

// ---- squared L2 distances: |q|^2 + |r|^2 - 2 q.r around the GEMM -------------------------------
// The CPU runs the GEMM with alpha = -2 into distances, adds |r|^2 per column, then |q|^2 per row:
// d = ((-2 q.r) + rn[r]) + qn[q], in float, no clamp (a tiny negative distance stays negative).
// On the device the host runs the GEMM with alpha = 1 (distances = Q R^T), computes the query norms
// with nn_squared_norms_rows_f32, and nn_l2_combine_f32 finishes with the same two additions in the
// same order (-2 * dot is exact, so this equals the CPU's formula on the GEMM's dot products).

// norms[r] = sum over c of x[r, c]^2: one block per row (grid-stride over rows; blockDim a multiple
// of 32, at most 1024), accumulated in double and rounded once to float. The CPU sums the squares in
// float (TensorPrimitives.SumOfSquares), so the two agree to a few float ulps, not bit for bit. F16 /
// BF16 rows give float norms too (the CPU computes them from the F32 twin).
template <typename E>
NN_DEV void nn_squared_norms_rows_body(const E* x, float* norms, int rows, int cols)
{
    for (int r = blockIdx.x; r < rows; r += gridDim.x)
    {
        const E* row = x + (i64)r * cols;
        double acc = 0.0;
        for (int c = threadIdx.x; c < cols; c += blockDim.x)
        {
            double v = (double)nn_ld(row, c);
            acc += v * v;
        }
        acc = nn_block_sum(acc);
        if (threadIdx.x == 0) norms[r] = (float)acc;
    }
}

#define NN_SQUARED_NORMS(S)                                                                                            \
    extern "C" __global__ void nn_squared_norms_rows_##S(const NN_P_##S* x, float* norms, int rows, int cols)         \
    {                                                                                                                  \
        nn_squared_norms_rows_body<NN_E_##S>((const NN_E_##S*)x, norms, rows, cols);                                   \
    }

NN_SQUARED_NORMS(f32)
NN_SQUARED_NORMS(f16)
NN_SQUARED_NORMS(bf16)

// distances[q, r] = ((-2 * dots[q, r]) + refNorms[r]) + queryNorms[q] in float; 2-D grid-stride: x over
// references, y over queries (blockDim (256, 1), grid (min(ceil(R / 256), 65535), min(Q, 65535))).
// F32: dots is distances itself (the GEMM wrote Q R^T there). F16 / BF16: dots is a float [Q, R] scratch
// (the GEMM of the reduced rows with a float output), refNorms are of the tensors' dtype, and each
// distance is rounded once, as the CPU's F32 arithmetic on widened tensors.
template <typename E>
NN_DEV void nn_l2_combine_body(const float* dots, E* distances, const float* queryNorms, const E* refNorms, int Q, int R)
{
    for (int q = blockIdx.y; q < Q; q += gridDim.y)
    {
        float qn = queryNorms[q];
        for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < R; r += gridDim.x * blockDim.x)
        {
            i64 at = (i64)q * R + r;
            nn_st(distances, at, __fadd_rn(__fadd_rn(-2.0f * dots[at], nn_ld(refNorms, r)), qn));
        }
    }
}

extern "C" __global__ void nn_l2_combine_f32(float* distances, const float* queryNorms, const float* refNorms, int Q, int R)
{
    nn_l2_combine_body<float>(distances, distances, queryNorms, refNorms, Q, R);
}

#define NN_L2_COMBINE_REDUCED(S)                                                                                       \
    extern "C" __global__ void nn_l2_combine_##S(const float* dots, NN_P_##S* distances, const float* queryNorms,     \
        const NN_P_##S* refNorms, int Q, int R)                                                                        \
    {                                                                                                                  \
        nn_l2_combine_body<NN_E_##S>(dots, (NN_E_##S*)distances, queryNorms, (const NN_E_##S*)refNorms, Q, R);        \
    }

NN_L2_COMBINE_REDUCED(f16)
NN_L2_COMBINE_REDUCED(bf16)

// ---- the k smallest of each row ------------------------------------------------------------------
// indices[row, 0 .. k) = the columns of the k smallest distances of the row in ascending order of
// (distance, column): equal distances keep the lower column first, as CpuBackend.SmallestK. F32 NaN
// distances sort after every number (the CPU's insertion sort has no consistent rule for NaN).
// Method: k passes; pass p takes the block-wide minimum of the pairs strictly after pass p - 1's pair.
// Exact, O(k * cols) reads per row. One block per row (grid-stride over rows), blockDim a multiple of
// 32, at most 1024 (256 suggested). k outside [1, cols] writes 1 into *error (zeroed by the host) and
// nothing else.

NN_DEV bool nn_isnan(float v) { return v != v; }
NN_DEV bool nn_isnan(int) { return false; }

template <typename T>
NN_DEV bool nn_before(T a, int ia, T b, int ib) // (a, ia) < (b, ib)
{
    bool an = nn_isnan(a), bn = nn_isnan(b);
    if (an != bn) return bn;
    if (!an)
    {
        if (a < b) return true;
        if (b < a) return false;
    }
    return ia < ib;
}

// F16 / BF16 distances compare as float (exact, order-preserving), as the CPU's F32 twin does.
template <typename E>
NN_DEV void nn_smallest_k_body(const E* distances, int* indices, int rows, int cols, int k, int* error)
{
    typedef nn_c<E> T;
    __shared__ T warp_v[32];
    __shared__ int warp_i[32];
    __shared__ T prev_v;
    __shared__ int prev_i;
    if (k < 1 || k > cols)
    {
        if (threadIdx.x == 0 && blockIdx.x == 0 && error != 0) atomicCAS(error, 0, 1);
        return;
    }
    unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    for (int r = blockIdx.x; r < rows; r += gridDim.x)
    {
        const E* row = distances + (i64)r * cols;
        for (int p = 0; p < k; p++)
        {
            T pv = prev_v;
            int pi = p == 0 ? -1 : prev_i;
            T best = (T)0;
            int at = -1;
            for (int j = threadIdx.x; j < cols; j += blockDim.x)
            {
                T v = nn_ld(row, j);
                if (pi >= 0 && !nn_before(pv, pi, v, j)) continue;
                if (at < 0 || nn_before(v, j, best, at)) { best = v; at = j; }
            }
            for (int o = 16; o > 0; o >>= 1)
            {
                T ov = __shfl_down_sync(NN_FULL, best, o);
                int oi = __shfl_down_sync(NN_FULL, at, o);
                if (oi >= 0 && (at < 0 || nn_before(ov, oi, best, at))) { best = ov; at = oi; }
            }
            if (lane == 0) { warp_v[warp] = best; warp_i[warp] = at; }
            __syncthreads();
            if (warp == 0)
            {
                unsigned warps = (blockDim.x + 31u) >> 5;
                best = lane < warps ? warp_v[lane] : (T)0;
                at = lane < warps ? warp_i[lane] : -1;
                for (int o = 16; o > 0; o >>= 1)
                {
                    T ov = __shfl_down_sync(NN_FULL, best, o);
                    int oi = __shfl_down_sync(NN_FULL, at, o);
                    if (oi >= 0 && (at < 0 || nn_before(ov, oi, best, at))) { best = ov; at = oi; }
                }
                if (lane == 0)
                {
                    indices[(i64)r * k + p] = at;
                    prev_v = best;
                    prev_i = at;
                }
            }
            __syncthreads();
        }
    }
}

extern "C" __global__ void nn_smallest_k_i32(const int* distances, int* indices, int rows, int cols, int k, int* error)
{
    nn_smallest_k_body<int>(distances, indices, rows, cols, k, error);
}

#define NN_SMALLEST_K(S)                                                                                               \
    extern "C" __global__ void nn_smallest_k_##S(const NN_P_##S* distances, int* indices, int rows, int cols, int k,   \
        int* error)                                                                                                    \
    {                                                                                                                  \
        nn_smallest_k_body<NN_E_##S>((const NN_E_##S*)distances, indices, rows, cols, k, error);                       \
    }

NN_SMALLEST_K(f32)
NN_SMALLEST_K(f16)
NN_SMALLEST_K(bf16)

// The kernels this file defines, for README.md and runtime/scripts/check-kernels.sh (which checks this
// list against the compiled PTX):
// kernels: nn_l1_distances_u8 nn_squared_norms_rows_f32 nn_l2_combine_f32 nn_smallest_k_i32 nn_smallest_k_f32
// kernels: nn_squared_norms_rows_f16 nn_squared_norms_rows_bf16 nn_l2_combine_f16 nn_l2_combine_bf16
// kernels: nn_smallest_k_f16 nn_smallest_k_bf16
