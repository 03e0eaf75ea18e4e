// NativeNets CUDA kernels: sums, column sums, per-channel sums and row arg-max.
// Compiled at run time by NVRTC, after the shared helpers of common.cuh (no #include). See README.md for
// signatures and launch rules; the CPU methods matched are in Layers/Backends/Cpu/CpuReductions.cs,
// CpuElementwise.cs (SumRows) and CpuConvolution.cs (ConvBackwardBias).
//
// Block reductions use warp shuffles and a 32-slot static shared array (nn_block_sum, in common.cuh):
// blockDim.x must be a multiple of 32, at most 1024 (256 suggested); no dynamic shared memory. Every
// reduction adds in a fixed order for a given (grid, block), so results are the same run to run.

// ---- Sum and SumOfSquares: partials per block, then a fixed-order finish ------------------------
// Each block writes the double sum of its grid-stride share of x to partials[blockIdx.x]. With
// gridDim.x == 1, partials[0] is already the total. The host picks the grid from n alone (e.g.
// min(ceil(n / 256), 1024) blocks of 256) so that the result does not change run to run.

template <typename E>
NN_DEV void nn_sum_partials_body(const E* x, i64 n, double* partials, bool squares)
{
    double acc = 0.0;
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
    {
        double v = (double)nn_ld(x, i);
        acc += squares ? v * v : v;
    }
    acc = nn_block_sum(acc);
    if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

// One block: result[0] = the sum of partials[0 .. count), in a fixed order.
extern "C" __global__ void nn_sum_finish(const double* partials, int count, double* result)
{
    double acc = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) acc += partials[i];
    acc = nn_block_sum(acc);
    if (threadIdx.x == 0 && blockIdx.x == 0) result[0] = acc;
}

// ---- SumRows: sums[c] = beta * sums[c] + sum over rows of x[r, c] ------------------------------
// One thread per column (grid-stride over columns), rows added one after another in T, as the CPU
// does: the result is bit-identical to CpuBackend.SumRows. beta == 0 clears sums (NaN in it does not
// leak), beta == 1 leaves it, anything else scales it (ScaleByBeta). F16 / BF16: the sum runs in float
// and is rounded once, as the CPU's F32 kernel on widened tensors.

template <typename E>
NN_DEV void nn_sum_rows_body(const E* x, E* sums, int rows, int cols, nn_c<E> beta)
{
    typedef nn_c<E> T;
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += gridDim.x * blockDim.x)
    {
        T s = beta == (T)0 ? (T)0 : beta == (T)1 ? nn_ld(sums, c) : nn_mul(beta, nn_ld(sums, c));
        for (i64 r = 0; r < rows; r++) s = nn_add(s, nn_ld(x, r * cols + c));
        nn_st(sums, c, s);
    }
}

// ---- channel sums (ConvBackwardBias): db[c] = beta * db[c] + sum over n, h, w of dy[n, c, h, w] ----
// One block per channel (grid-stride over channels); the block walks the channel's N * HW elements
// flat, so small planes still use every thread. Accumulates in double, rounds once to T, then adds
// to beta * db[c] (db[c] is not read when beta == 0).

template <typename E>
NN_DEV void nn_channel_sum_body(const E* dy, E* db, int n, int c, int hw, nn_c<E> beta)
{
    typedef nn_c<E> T;
    i64 total = (i64)n * hw;
    int hws = hw > 0 ? hw : 1; // hw == 0: nothing to add (and no division by zero)
    int step_n = (int)blockDim.x / hws, step_j = (int)blockDim.x % hws;
    for (int ch = blockIdx.x; ch < c; ch += gridDim.x)
    {
        double acc = 0.0;
        i64 ni = threadIdx.x / hws;
        int j = threadIdx.x % hws;
        for (i64 i = threadIdx.x; i < total; i += blockDim.x)
        {
            acc += (double)nn_ld(dy, (ni * c + ch) * hw + j);
            j += step_j;
            ni += step_n;
            if (j >= hw) { j -= hw; ni++; }
        }
        acc = nn_block_sum(acc);
        if (threadIdx.x == 0) nn_st(db, ch, nn_add(beta == (T)0 ? (T)0 : nn_mul(beta, nn_ld(db, ch)), (T)acc));
    }
}

// ---- ArgMaxRows: indices[r] = the first column of the largest value in row r ------------------
// TensorPrimitives.IndexOfMax's rules: a NaN beats every number (the first NaN wins), +0 beats -0,
// equal values keep the lower column. One block per row (grid-stride over rows).

NN_DEV bool nn_signbit(float v) { return (__float_as_uint(v) >> 31) != 0; }
NN_DEV bool nn_signbit(double v) { return __double_as_longlong(v) < 0; }

template <typename T>
NN_DEV bool nn_argmax_better(T a, int ia, T b, int ib) // is (a, ia) chosen over (b, ib)?
{
    bool an = a != a, bn = b != b;
    if (an || bn) return an && (!bn || ia < ib);
    if (a > b) return true;
    if (b > a) return false;
    if (a == (T)0) // equal zeros: +0 beats -0
    {
        bool sa = nn_signbit(a), sb = nn_signbit(b);
        if (sa != sb) return sb;
    }
    return ia < ib;
}

template <typename E>
NN_DEV void nn_argmax_rows_body(const E* x, int* indices, int rows, int cols)
{
    typedef nn_c<E> T; // F16 / BF16 compare as float: the conversion is exact and keeps the order
    __shared__ T warp_v[32];
    __shared__ int warp_i[32];
    unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    for (int r = blockIdx.x; r < rows; r += gridDim.x)
    {
        const E* row = x + (i64)r * cols;
        T best = (T)0;
        int at = -1;
        for (int j = threadIdx.x; j < cols; j += blockDim.x)
        {
            T v = nn_ld(row, j);
            if (at < 0 || nn_argmax_better(v, j, best, at)) { best = v; at = j; }
        }
        for (int o = 16; o > 0; o >>= 1)
        {
            T ov = __shfl_down_sync(NN_FULL, best, o);
            int oi = __shfl_down_sync(NN_FULL, at, o);
            if (oi >= 0 && (at < 0 || nn_argmax_better(ov, oi, best, at))) { best = ov; at = oi; }
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
                if (oi >= 0 && (at < 0 || nn_argmax_better(ov, oi, best, at))) { best = ov; at = oi; }
            }
            if (lane == 0) indices[r] = at;
        }
        __syncthreads();
    }
}

#define NN_REDUCTION_KERNELS(S)                                                                                      \
    extern "C" __global__ void nn_sum_partials_##S(const NN_P_##S* x, long long n, double* partials)                 \
    {                                                                                                                \
        nn_sum_partials_body<NN_E_##S>((const NN_E_##S*)x, n, partials, false);                                      \
    }                                                                                                                \
    extern "C" __global__ void nn_sum_squares_partials_##S(const NN_P_##S* x, long long n, double* partials)         \
    {                                                                                                                \
        nn_sum_partials_body<NN_E_##S>((const NN_E_##S*)x, n, partials, true);                                       \
    }                                                                                                                \
    extern "C" __global__ void nn_sum_rows_##S(const NN_P_##S* x, NN_P_##S* sums, int rows, int cols, NN_C_##S beta) \
    {                                                                                                                \
        nn_sum_rows_body<NN_E_##S>((const NN_E_##S*)x, (NN_E_##S*)sums, rows, cols, beta);                           \
    }                                                                                                                \
    extern "C" __global__ void nn_channel_sum_##S(const NN_P_##S* dy, NN_P_##S* db, int n, int c, int hw,           \
        NN_C_##S beta)                                                                                               \
    {                                                                                                                \
        nn_channel_sum_body<NN_E_##S>((const NN_E_##S*)dy, (NN_E_##S*)db, n, c, hw, beta);                           \
    }                                                                                                                \
    extern "C" __global__ void nn_argmax_rows_##S(const NN_P_##S* x, int* indices, int rows, int cols)               \
    {                                                                                                                \
        nn_argmax_rows_body<NN_E_##S>((const NN_E_##S*)x, indices, rows, cols);                                      \
    }

NN_REDUCTION_KERNELS(f32)
NN_REDUCTION_KERNELS(f64)
NN_REDUCTION_KERNELS(f16)
NN_REDUCTION_KERNELS(bf16)

// The kernels this file defines, for README.md and runtime/scripts/check-kernels.sh (which checks this
// list against the compiled PTX):
// kernels: nn_sum_finish nn_sum_partials_f32 nn_sum_squares_partials_f32 nn_sum_rows_f32 nn_channel_sum_f32
// kernels: nn_argmax_rows_f32 nn_sum_partials_f64 nn_sum_squares_partials_f64 nn_sum_rows_f64
// kernels: nn_channel_sum_f64 nn_argmax_rows_f64 nn_sum_partials_f16 nn_sum_squares_partials_f16 nn_sum_rows_f16
// kernels: nn_channel_sum_f16 nn_argmax_rows_f16 nn_sum_partials_bf16 nn_sum_squares_partials_bf16
// kernels: nn_sum_rows_bf16 nn_channel_sum_bf16 nn_argmax_rows_bf16
