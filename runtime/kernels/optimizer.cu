// NativeNets CUDA kernels: SGD with momentum, one tensor or many per launch, and the unscaling of
// mixed-precision gradients.
// Compiled at run time by NVRTC, after the shared helpers of common.cuh (no #include). See README.md;
// the CPU method matched is CpuBackend.SgdMomentumStep (Layers/Backends/Cpu/CpuOptimizer.cs).
//
// Per element, exactly as the CPU (every operation rounded in T, never fused):
//   vel = ((momentum * v) + g) + (weightDecay * p);  v = vel;  p = p - lr * vel
// with lr, momentum and weightDecay already rounded to T by the host ((float)lr for F32), so the
// result is bit-identical to the CPU's. F16 / BF16 tensors: loaded to float, the same float arithmetic,
// and v and p each rounded once (the CPU steps F32 twins and rounds them back); p's update uses the
// float vel, not the rounded v.

template <typename E>
NN_DEV void nn_sgd_one(E* p, const E* g, E* v, i64 i, nn_c<E> lr, nn_c<E> momentum, nn_c<E> decay)
{
    typedef nn_c<E> T;
    T pi = nn_ld(p, i);
    T vel = nn_add(nn_add(nn_mul(momentum, nn_ld(v, i)), nn_ld(g, i)), nn_mul(decay, pi));
    nn_st(v, i, vel);
    nn_st(p, i, nn_sub(pi, nn_mul(lr, vel)));
}

// One tensor: 1-D grid-stride over n (any grid; blockDim 256, grid min(ceil(n / 256), 65535) suggested).
template <typename E>
NN_DEV void nn_sgd_body(E* param, const E* grad, E* velocity, i64 n, nn_c<E> lr, nn_c<E> momentum, nn_c<E> weight_decay)
{
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
        nn_sgd_one(param, grad, velocity, i, lr, momentum, weight_decay);
}

// Many tensors: table holds 4 long longs per tensor t, at table[4 t .. 4 t + 3]:
//   [0] the param address, [1] the grad address, [2] the velocity address (device pointers as
//   integers, all of the kernel's dtype), [3] the element count.
// decay[t] != 0 applies weightDecay to tensor t; decay[t] == 0 steps it with a weight decay of 0
// (the same arithmetic as SgdMomentumStep(..., weightDecay: 0)). decay may be null: decay everywhere.
// Grid: blockIdx.y walks tensors (grid-stride, so gridDim.y = min(tensors, 65535) covers any count),
// blockIdx.x / threadIdx.x grid-stride over that tensor's elements. Suggested: blockDim 256,
// grid (min(ceil(largest count / 256), 1024), min(tensors, 65535)). The table and the flags live in
// device memory (one upload per step, or once when the parameter set does not change).
template <typename E>
NN_DEV void nn_sgd_multi_body(const i64* table, const u8* decay, int tensors, nn_c<E> lr, nn_c<E> momentum, nn_c<E> weight_decay)
{
    typedef nn_c<E> T;
    for (int t = blockIdx.y; t < tensors; t += gridDim.y)
    {
        E* p = (E*)table[4 * (i64)t];
        const E* g = (const E*)table[4 * (i64)t + 1];
        E* v = (E*)table[4 * (i64)t + 2];
        i64 n = table[4 * (i64)t + 3];
        T wd = (decay == 0 || decay[t] != 0) ? weight_decay : (T)0;
        for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
            nn_sgd_one(p, g, v, i, lr, momentum, wd);
    }
}

#define NN_SGD_KERNELS(S)                                                                                             \
    extern "C" __global__ void nn_sgd_momentum_##S(NN_P_##S* param, const NN_P_##S* grad, NN_P_##S* velocity,         \
        long long n, NN_C_##S lr, NN_C_##S momentum, NN_C_##S weightDecay)                                            \
    {                                                                                                                 \
        nn_sgd_body<NN_E_##S>((NN_E_##S*)param, (const NN_E_##S*)grad, (NN_E_##S*)velocity, n, lr, momentum,         \
            weightDecay);                                                                                             \
    }                                                                                                                 \
    extern "C" __global__ void nn_sgd_momentum_multi_##S(const long long* table, const unsigned char* decay,         \
        int tensors, NN_C_##S lr, NN_C_##S momentum, NN_C_##S weightDecay)                                            \
    {                                                                                                                 \
        nn_sgd_multi_body<NN_E_##S>(table, decay, tensors, lr, momentum, weightDecay);                                \
    }

NN_SGD_KERNELS(f32)
NN_SGD_KERNELS(f64)
NN_SGD_KERNELS(f16)
NN_SGD_KERNELS(bf16)

// ---- unscaling gradients (mixed precision) ---------------------------------------------------------
// master[i] = (M)grad[i] * inverseScale, one multiplication rounded in M (CpuBackend.UnscaleGradients:
// widen, then TensorPrimitives.Multiply by (float)inverseScale, or by the double for F64 pairs). master may
// be grad itself (an F32 or F64 gradient scaled in place). Where a result is infinite or NaN, *nonFinite is
// set to 1 (a plain store: every writer writes the same value; the host zeroes it once before the first
// pair and reads it once after the last). 1-D grid-stride (any grid). Pairs: grad f16, bf16 or f32
// with an f32 master (inverseScale as float); f64 with f64
// (inverseScale as double).

NN_DEV bool nn_finite(float v) { return (__float_as_uint(v) & 0x7F800000u) != 0x7F800000u; }
NN_DEV bool nn_finite(double v) { return (nn_f64_bits(v) & 0x7FF0000000000000ull) != 0x7FF0000000000000ull; }

template <typename G, typename M>
NN_DEV void nn_unscale_body(const G* grad, M* master, i64 n, M inverse_scale, int* non_finite)
{
    bool bad = false;
    NN_FOR(i, n)
    {
        M v = nn_mul((M)nn_ld(grad, i), inverse_scale);
        master[i] = v;
        bad |= !nn_finite(v);
    }
    if (bad) *(volatile int*)non_finite = 1;
}

#define NN_UNSCALE(GN, MN)                                                                                            \
    extern "C" __global__ void nn_unscale_##GN##_##MN(const NN_P_##GN* grad, NN_P_##MN* master, long long n,         \
        NN_C_##MN inverseScale, int* nonFinite)                                                                       \
    {                                                                                                                 \
        nn_unscale_body<NN_E_##GN, NN_E_##MN>((const NN_E_##GN*)grad, (NN_E_##MN*)master, n, inverseScale, nonFinite); \
    }

NN_UNSCALE(f16, f32)
NN_UNSCALE(bf16, f32)
NN_UNSCALE(f32, f32)
NN_UNSCALE(f64, f64)

// The kernels this file defines, for README.md and runtime/scripts/check-kernels.sh (which checks this
// list against the compiled PTX):
// kernels: nn_sgd_momentum_f32 nn_sgd_momentum_multi_f32 nn_sgd_momentum_f64 nn_sgd_momentum_multi_f64
// kernels: nn_sgd_momentum_f16 nn_sgd_momentum_multi_f16 nn_sgd_momentum_bf16 nn_sgd_momentum_multi_bf16
// kernels: nn_unscale_f16_f32 nn_unscale_bf16_f32 nn_unscale_f32_f32 nn_unscale_f64_f64
