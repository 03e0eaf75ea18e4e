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

template <typename T>
NN_DEV void nn_sum_partials_body(const T* x, i64 n, double* partials, bool squares)
{
    double acc = 0.0;
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
    {
        double v = (double)x[i];
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
// leak), beta == 1 leaves it, anything else scales it (ScaleByBeta).

template <typename T>
NN_DEV void nn_sum_rows_body(const T* x, T* sums, int rows, int cols, T beta)
{
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += gridDim.x * blockDim.x)
    {
        T s = beta == (T)0 ? (T)0 : beta == (T)1 ? sums[c] : beta * sums[c];
        for (i64 r = 0; r < rows; r++) s += x[r * cols + c];
        sums[c] = s;
    }
}

// ---- channel sums (ConvBackwardBias): db[c] = beta * db[c] + sum over n, h, w of dy[n, c, h, w] ----
// One block per channel (grid-stride over channels); the block walks the channel's N * HW elements
// flat, so small planes still use every thread. Accumulates in double, rounds once to T, then adds
// to beta * db[c] (db[c] is not read when beta == 0).

template <typename T>
NN_DEV void nn_channel_sum_body(const T* dy, T* db, int n, int c, int hw, T beta)
{
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
            acc += (double)dy[(ni * c + ch) * hw + j];
            j += step_j;
            ni += step_n;
            if (j >= hw) { j -= hw; ni++; }
        }
        acc = nn_block_sum(acc);
        if (threadIdx.x == 0) db[ch] = (beta == (T)0 ? (T)0 : beta * db[ch]) + (T)acc;
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

template <typename T>
NN_DEV void nn_argmax_rows_body(const T* x, int* indices, int rows, int cols)
{
    __shared__ T warp_v[32];
    __shared__ int warp_i[32];
    unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    for (int r = blockIdx.x; r < rows; r += gridDim.x)
    {
        const T* row = x + (i64)r * cols;
        T best = (T)0;
        int at = -1;
        for (int j = threadIdx.x; j < cols; j += blockDim.x)
        {
            T v = row[j];
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

#define NN_REDUCTION_KERNELS(T, S)                                                                                   \
    extern "C" __global__ void nn_sum_partials_##S(const T* x, long long n, double* partials)                        \
    {                                                                                                                \
        nn_sum_partials_body<T>(x, n, partials, false);                                                              \
    }                                                                                                                \
    extern "C" __global__ void nn_sum_squares_partials_##S(const T* x, long long n, double* partials)                \
    {                                                                                                                \
        nn_sum_partials_body<T>(x, n, partials, true);                                                               \
    }                                                                                                                \
    extern "C" __global__ void nn_sum_rows_##S(const T* x, T* sums, int rows, int cols, T beta)                      \
    {                                                                                                                \
        nn_sum_rows_body<T>(x, sums, rows, cols, beta);                                                              \
    }                                                                                                                \
    extern "C" __global__ void nn_channel_sum_##S(const T* dy, T* db, int n, int c, int hw, T beta)                  \
    {                                                                                                                \
        nn_channel_sum_body<T>(dy, db, n, c, hw, beta);                                                              \
    }                                                                                                                \
    extern "C" __global__ void nn_argmax_rows_##S(const T* x, int* indices, int rows, int cols)                      \
    {                                                                                                                \
        nn_argmax_rows_body<T>(x, indices, rows, cols);                                                              \
    }

NN_REDUCTION_KERNELS(float, f32)
NN_REDUCTION_KERNELS(double, f64)

// The kernels this file defines, for README.md and runtime/scripts/check-kernels.sh (which checks this
// list against the compiled PTX):
// kernels: nn_sum_finish nn_sum_partials_f32 nn_sum_squares_partials_f32 nn_sum_rows_f32 nn_channel_sum_f32
// kernels: nn_argmax_rows_f32 nn_sum_partials_f64 nn_sum_squares_partials_f64 nn_sum_rows_f64
// kernels: nn_channel_sum_f64 nn_argmax_rows_f64
