// NativeNets CUDA kernels: the device helpers that more than one kernel file uses. No kernels here.
// NVRTC gets no include path, so no file #includes this one: the host (CudaKernels.LoadSources) puts it
// in front of every runtime/kernels/*.cu and compiles the two as one text,
//   #line 1 "common.cuh" \n <this file> \n #line 1 "<file>.cu" \n <file>
// and runtime/scripts/check-kernels.sh compiles each file the same way. So this file must not #include
// anything either, and a kernel file must not define these names again. A helper used by one file only
// stays in that file. Every function here is static __device__ __forceinline__ (NN_DEV), or a template
// of one.

typedef unsigned long long u64;
typedef long long i64;
typedef unsigned int u32;
typedef unsigned char u8;

#define NN_DEV static __device__ __forceinline__
#define NN_FULL 0xFFFFFFFFu
// 1-D grid-stride loop over [0, n) with an i64 index (any grid, any block size).
#define NN_FOR(i, n) for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)gridDim.x * blockDim.x)

// Rounded after every operation, as the CPU (TensorPrimitives never fuses a multiply and an add): the
// __f*_rn / __d*_rn intrinsics are never contracted into an FMA.
NN_DEV float nn_mul(float a, float b) { return __fmul_rn(a, b); }
NN_DEV double nn_mul(double a, double b) { return __dmul_rn(a, b); }
NN_DEV float nn_add(float a, float b) { return __fadd_rn(a, b); }
NN_DEV double nn_add(double a, double b) { return __dadd_rn(a, b); }
NN_DEV float nn_sub(float a, float b) { return __fsub_rn(a, b); }
NN_DEV double nn_sub(double a, double b) { return __dsub_rn(a, b); }

// Sum of v over the block (T = double for values, int for counts); every thread gets the total, added
// in a fixed order for a given blockDim. Warp shuffles and a 32-slot static shared array: blockDim.x a
// multiple of 32, at most 1024. Must be reached by all threads of the block.
template <typename T>
NN_DEV T nn_block_sum(T v)
{
    __shared__ T warp_sums[32];
    __shared__ T total;
    unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(NN_FULL, v, o);
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    if (warp == 0)
    {
        unsigned warps = (blockDim.x + 31u) >> 5;
        v = lane < warps ? warp_sums[lane] : (T)0;
        for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(NN_FULL, v, o);
        if (lane == 0) total = v;
    }
    __syncthreads();
    T r = total;
    __syncthreads(); // the shared slots may be reused by the next call
    return r;
}

// *error = the smallest code reported (0 means none; the host zeroes it first; a null error is
// ignored): a CAS loop, so the result does not depend on which thread gets there first.
NN_DEV void nn_report_min(int* error, int code)
{
    if (error == 0) return;
    int old = *(volatile int*)error;
    while (old == 0 || code < old)
    {
        int seen = atomicCAS(error, old, code);
        if (seen == old) break;
        old = seen;
    }
}
