// NativeNets CUDA kernels: SGD with momentum, one tensor or many per launch.
// Compiled at run time by NVRTC, after the shared helpers of common.cuh (no #include). See README.md;
// the CPU method matched is CpuBackend.SgdMomentumStep (Layers/Backends/Cpu/CpuOptimizer.cs).
//
// Per element, exactly as the CPU (every operation rounded in T, never fused):
//   vel = ((momentum * v) + g) + (weightDecay * p);  v = vel;  p = p - lr * vel
// with lr, momentum and weightDecay already rounded to T by the host ((float)lr for F32), so the
// result is bit-identical to the CPU's.

template <typename T>
NN_DEV void nn_sgd_one(T* p, const T* g, T* v, i64 i, T lr, T momentum, T decay)
{
    T pi = p[i];
    T vel = nn_add(nn_add(nn_mul(momentum, v[i]), g[i]), nn_mul(decay, pi));
    v[i] = vel;
    p[i] = nn_sub(pi, nn_mul(lr, vel));
}

// One tensor: 1-D grid-stride over n (any grid; blockDim 256, grid min(ceil(n / 256), 65535) suggested).
template <typename T>
NN_DEV void nn_sgd_body(T* param, const T* grad, T* velocity, i64 n, T lr, T momentum, T weight_decay)
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
template <typename T>
NN_DEV void nn_sgd_multi_body(const i64* table, const u8* decay, int tensors, T lr, T momentum, T weight_decay)
{
    for (int t = blockIdx.y; t < tensors; t += gridDim.y)
    {
        T* p = (T*)table[4 * (i64)t];
        const T* g = (const T*)table[4 * (i64)t + 1];
        T* v = (T*)table[4 * (i64)t + 2];
        i64 n = table[4 * (i64)t + 3];
        T wd = (decay == 0 || decay[t] != 0) ? weight_decay : (T)0;
        for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
            nn_sgd_one(p, g, v, i, lr, momentum, wd);
    }
}

#define NN_SGD_KERNELS(T, S)                                                                                          \
    extern "C" __global__ void nn_sgd_momentum_##S(T* param, const T* grad, T* velocity, long long n, T lr,          \
        T momentum, T weightDecay)                                                                                    \
    {                                                                                                                 \
        nn_sgd_body<T>(param, grad, velocity, n, lr, momentum, weightDecay);                                          \
    }                                                                                                                 \
    extern "C" __global__ void nn_sgd_momentum_multi_##S(const long long* table, const unsigned char* decay,         \
        int tensors, T lr, T momentum, T weightDecay)                                                                 \
    {                                                                                                                 \
        nn_sgd_multi_body<T>(table, decay, tensors, lr, momentum, weightDecay);                                       \
    }

NN_SGD_KERNELS(float, f32)
NN_SGD_KERNELS(double, f64)

// The kernels this file defines, for README.md and runtime/scripts/check-kernels.sh (which checks this
// list against the compiled PTX):
// kernels: nn_sgd_momentum_f32 nn_sgd_momentum_multi_f32 nn_sgd_momentum_f64 nn_sgd_momentum_multi_f64
