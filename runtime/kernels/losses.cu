// NativeNets CUDA kernels: softmax cross-entropy and multiclass hinge, loss and gradient in one pass.
// Compiled at run time by NVRTC, after the shared helpers of common.cuh (no #include). See README.md;
// the CPU methods matched are in Layers/Backends/Cpu/CpuLosses.cs.
//
// One block per row (grid-stride over rows): blockDim.x a multiple of 32, at most 1024 (256
// suggested), no dynamic shared memory. Each kernel writes the row's loss (double) to rowLosses[r];
// the host sums rowLosses with nn_sum_partials_f64 (one block: partials[0] is the total) and divides
// by rows. grad_scale is the caller's gradScale already divided by rows (the gradient is of the mean
// loss). A label outside [0, cols) makes the kernel write r + 1 into *error (the lowest such r wins),
// set rowLosses[r] = NaN and leave that row's gradient untouched; the host must zero *error before
// the launch and throw when it is nonzero afterwards, as the CPU does before computing anything.

NN_DEV float nn_exp(float x) { return expf(x); }
NN_DEV double nn_exp(double x) { return exp(x); }

// TensorPrimitives.Max: NaN if any value is NaN.
template <typename T>
NN_DEV T nn_max_nan(T a, T b) { return (a != a || a > b) ? a : b; }

template <typename T>
NN_DEV T nn_block_max_nan(T v)
{
    __shared__ T warp_max[32];
    __shared__ T total;
    unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v = nn_max_nan(v, __shfl_down_sync(NN_FULL, v, o));
    if (lane == 0) warp_max[warp] = v;
    __syncthreads();
    if (warp == 0)
    {
        unsigned warps = (blockDim.x + 31u) >> 5;
        v = lane < warps ? warp_max[lane] : warp_max[0];
        for (int o = 16; o > 0; o >>= 1) v = nn_max_nan(v, __shfl_down_sync(NN_FULL, v, o));
        if (lane == 0) total = v;
    }
    __syncthreads();
    T r = total;
    __syncthreads();
    return r;
}

// Returns whether the row's label is usable; on a bad label reports it and marks the row.
NN_DEV bool nn_check_label(int y, int r, int cols, double* row_losses, int* error)
{
    if (y >= 0 && y < cols) return true;
    if (threadIdx.x == 0)
    {
        nn_report_min(error, r + 1);
        row_losses[r] = __longlong_as_double(0x7FF8000000000000ll); // NaN
    }
    return false;
}

// ---- softmax cross-entropy ---------------------------------------------------------------------
// As CpuBackend.SoftmaxCrossEntropyT: m = max of the row (NaN if any NaN), e_j = exp(z_j - m) in T,
// loss_r = log(sum e_j) - (z_y - m). With dlogits: d_j = e_j * (scale / (T)sum), then d_y -= scale,
// where scale = (T)grad_scale, each step rounded in T as on the CPU. The exp is CUDA's (expf / exp),
// and sum e_j is accumulated in double (the CPU sums in T), so values agree to a few ulps, not bits.

template <typename E>
NN_DEV void nn_softmax_xent_body(const E* logits, const int* labels, E* dlogits, double* row_losses, int rows, int cols,
    double grad_scale, int* error)
{
    typedef nn_c<E> T;
    T scale = (T)grad_scale;
    for (int r = blockIdx.x; r < rows; r += gridDim.x)
    {
        int y = labels[r];
        if (!nn_check_label(y, r, cols, row_losses, error)) continue; // block-uniform
        const E* z = logits + (i64)r * cols;
        T m = nn_ld(z, 0);
        for (int j = threadIdx.x; j < cols; j += blockDim.x) m = nn_max_nan(m, nn_ld(z, j));
        m = nn_block_max_nan(m);
        double acc = 0.0;
        for (int j = threadIdx.x; j < cols; j += blockDim.x) acc += (double)nn_exp(nn_ld(z, j) - m);
        double sum = nn_block_sum(acc);
        if (threadIdx.x == 0) row_losses[r] = log(sum) - (double)(nn_ld(z, y) - m);
        if (dlogits)
        {
            T inv = scale / (T)sum;
            E* d = dlogits + (i64)r * cols;
            for (int j = threadIdx.x; j < cols; j += blockDim.x)
            {
                T g = nn_mul(nn_exp(nn_ld(z, j) - m), inv);
                nn_st(d, j, j == y ? nn_sub(g, scale) : g);
            }
        }
    }
}

// ---- multiclass hinge (Weston-Watkins) -----------------------------------------------------------
// As CpuBackend.HingeT: for j != y, m_j = (s_j - s_y) + (T)margin in T; active where m_j > 0;
// loss_r = sum of the active m_j (double); d_j = active ? scale : 0 and d_y = -(T)active_count * scale.

template <typename E>
NN_DEV void nn_hinge_body(const E* scores, const int* labels, E* dscores, double* row_losses, int rows, int cols,
    double margin, double grad_scale, int* error)
{
    typedef nn_c<E> T;
    T scale = (T)grad_scale, delta = (T)margin;
    for (int r = blockIdx.x; r < rows; r += gridDim.x)
    {
        int y = labels[r];
        if (!nn_check_label(y, r, cols, row_losses, error)) continue; // block-uniform
        const E* s = scores + (i64)r * cols;
        E* d = dscores ? dscores + (i64)r * cols : 0;
        T sy = nn_ld(s, y);
        double acc = 0.0;
        int active = 0;
        for (int j = threadIdx.x; j < cols; j += blockDim.x)
        {
            if (j == y) continue;
            T m = (nn_ld(s, j) - sy) + delta;
            bool on = m > (T)0;
            if (on)
            {
                acc += (double)m;
                active++;
            }
            if (d) nn_st(d, j, on ? scale : (T)0);
        }
        double loss = nn_block_sum(acc);
        int count = nn_block_sum(active);
        if (threadIdx.x == 0)
        {
            row_losses[r] = loss;
            if (d) nn_st(d, y, nn_mul(-(T)count, scale));
        }
    }
}

#define NN_LOSS_KERNELS(S)                                                                                             \
    extern "C" __global__ void nn_softmax_cross_entropy_##S(const NN_P_##S* logits, const int* labels,                 \
        NN_P_##S* dlogits, double* rowLosses, int rows, int cols, double gradScale, int* error)                        \
    {                                                                                                                  \
        nn_softmax_xent_body<NN_E_##S>((const NN_E_##S*)logits, labels, (NN_E_##S*)dlogits, rowLosses, rows, cols,     \
            gradScale, error);                                                                                         \
    }                                                                                                                  \
    extern "C" __global__ void nn_multiclass_hinge_##S(const NN_P_##S* scores, const int* labels, NN_P_##S* dscores,   \
        double* rowLosses, int rows, int cols, double margin, double gradScale, int* error)                            \
    {                                                                                                                  \
        nn_hinge_body<NN_E_##S>((const NN_E_##S*)scores, labels, (NN_E_##S*)dscores, rowLosses, rows, cols, margin,    \
            gradScale, error);                                                                                         \
    }

// F16 / BF16 scores and gradients: loaded to float, computed as the f32 kernels do, each gradient rounded once.
NN_LOSS_KERNELS(f32)
NN_LOSS_KERNELS(f64)
NN_LOSS_KERNELS(f16)
NN_LOSS_KERNELS(bf16)

// The kernels this file defines, for README.md and runtime/scripts/check-kernels.sh (which checks this
// list against the compiled PTX):
// kernels: nn_softmax_cross_entropy_f32 nn_multiclass_hinge_f32 nn_softmax_cross_entropy_f64
// kernels: nn_multiclass_hinge_f64 nn_softmax_cross_entropy_f16 nn_multiclass_hinge_f16
// kernels: nn_softmax_cross_entropy_bf16 nn_multiclass_hinge_bf16
