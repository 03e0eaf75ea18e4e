// NativeNets CUDA kernels: the device helpers that more than one kernel file uses. No kernels here.
// NVRTC gets no include path, so no file #includes this one: the host (CudaKernels.LoadSources) puts it
// in front of every runtime/kernels/*.cu and compiles the two as one text,
//   #line 1 "common.cuh" \n <this file> \n #line 1 "<file>.cu" \n <file>
// and runtime/scripts/check-kernels.sh compiles each file the same way. So this file must not #include
// anything either, and a kernel file must not define these names again. A helper used by one file only
// stays in that file. Every function here is static __device__ __forceinline__ (NN_DEV), or a template
// of one; the F16 / BF16 part at the end adds two storage structs, a type trait and per-dtype macros.

typedef unsigned long long u64;
typedef long long i64;
typedef unsigned int u32;
typedef unsigned char u8;
typedef unsigned short u16;

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

// ---- F16 and BF16 ---------------------------------------------------------------------------------
// Kernels take F16 / BF16 tensors as unsigned short* (the IEEE binary16 / bfloat16 bits) and see them
// through these tags, which tell the two formats apart. An op on F16 / BF16 loads each value to float
// (exact), computes in float as its F32 kernel does, and rounds each output once to nearest even, as
// the CPU backend does (CpuReducedPrecision.cs: widen, run the F32 kernel, round back).
struct nn_f16_tag { u16 v; };
struct nn_bf16_tag { u16 v; };

NN_DEV u64 nn_f64_bits(double d) { return (u64)__double_as_longlong(d); }

// IEEE binary16 bits to float: exact (every half is a float).
NN_DEV float nn_half_to_float(u16 h)
{
    u32 sign = (u32)(h & 0x8000u) << 16;
    u32 e = (h >> 10) & 31u;
    u32 m = h & 0x3FFu;
    if (e == 0)
    {
        float v = (float)m * 5.9604644775390625e-8f; // m * 2^-24, exact
        return sign ? -v : v;
    }
    if (e == 31) return __uint_as_float(sign | 0x7F800000u | (m << 13));
    return __uint_as_float(sign | ((e + 112u) << 23) | (m << 13));
}

NN_DEV float nn_bf16_to_float(u16 b) { return __uint_as_float((u32)b << 16); }

// double to binary16, correctly rounded to nearest even (as .NET's (Half)double): overflow gives
// infinity, tiny values give subnormals or zero, NaN keeps its sign and top payload bits (quiet).
NN_DEV u16 nn_double_to_half(double d)
{
    u64 b = nn_f64_bits(d);
    u16 sign = (u16)((b >> 48) & 0x8000u);
    int e = (int)((b >> 52) & 0x7FF);
    u64 m = b & 0xFFFFFFFFFFFFFull;
    if (e == 0x7FF) return m ? (u16)(sign | 0x7E00u | (u16)(m >> 42)) : (u16)(sign | 0x7C00u);
    int ue = e - 1023;
    if (ue > 15) return (u16)(sign | 0x7C00u);
    if (ue >= -14)
    {
        u64 mant = m >> 42;
        u64 rem = m & ((1ull << 42) - 1);
        const u64 halfway = 1ull << 41;
        u32 h = ((u32)(ue + 15) << 10) | (u32)mant;
        if (rem > halfway || (rem == halfway && (mant & 1))) h += 1; // a carry into the exponent is right (up to infinity)
        return (u16)(sign | h);
    }
    if (ue < -25) return sign; // below 2^-25: rounds to zero (double subnormals included)
    u64 sig = (1ull << 52) | m;
    int shift = 28 - ue; // 43..53: the value in units of 2^-24 is sig >> shift
    u64 q = sig >> shift;
    u64 rem = sig & ((1ull << shift) - 1);
    u64 halfway = 1ull << (shift - 1);
    if (rem > halfway || (rem == halfway && (q & 1))) q++;
    return (u16)(sign | (u16)q);
}

// float to binary16, round to nearest even (TensorPrimitives.ConvertToHalf, (Half)float): one rounding.
NN_DEV u16 nn_float_to_half(float f)
{
#ifdef __CUDA_ARCH__
    if (f == f)
    {
        u16 h;
        asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
        return h;
    }
#endif
    return nn_double_to_half((double)f); // float -> double is exact, so this is the same rounding
}

// BFloat16.FromSingle: round to nearest even on the bits; NaN becomes (bits >> 16) | 0x40 (quiet).
NN_DEV u16 nn_float_to_bf16(float f)
{
    u32 bits = __float_as_uint(f);
    if (f != f) return (u16)((bits >> 16) | 0x40u);
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    u16 h;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
#else
    return (u16)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
#endif
}

// The arithmetic type of a storage type: float for F16 / BF16, the type itself otherwise.
template <typename E> struct nn_compute_of { typedef E type; };
template <> struct nn_compute_of<nn_f16_tag> { typedef float type; };
template <> struct nn_compute_of<nn_bf16_tag> { typedef float type; };
template <typename E> using nn_c = typename nn_compute_of<E>::type;

// Element i as its arithmetic type (exact), and a value stored to element i (F16 / BF16: rounded to
// nearest even, once). A kernel body templated on the storage type E reads with nn_ld and writes with
// nn_st, and computes in nn_c<E>; for float and double these are plain loads and stores.
NN_DEV float nn_ld(const float* p, i64 i) { return p[i]; }
NN_DEV double nn_ld(const double* p, i64 i) { return p[i]; }
NN_DEV float nn_ld(const nn_f16_tag* p, i64 i) { return nn_half_to_float(p[i].v); }
NN_DEV float nn_ld(const nn_bf16_tag* p, i64 i) { return nn_bf16_to_float(p[i].v); }
NN_DEV int nn_ld(const int* p, i64 i) { return p[i]; }
NN_DEV u8 nn_ld(const u8* p, i64 i) { return p[i]; }
NN_DEV void nn_st(float* p, i64 i, float v) { p[i] = v; }
NN_DEV void nn_st(double* p, i64 i, double v) { p[i] = v; }
NN_DEV void nn_st(nn_f16_tag* p, i64 i, float v) { p[i].v = nn_float_to_half(v); }
NN_DEV void nn_st(nn_bf16_tag* p, i64 i, float v) { p[i].v = nn_float_to_bf16(v); }

// Per dtype suffix S (f32, f64, f16, bf16): NN_P_##S is the kernel parameter's element type (F16 / BF16
// as unsigned short), NN_E_##S the storage type the bodies see, NN_C_##S the arithmetic type (scalars
// of the kernel are of this type). A kernel macro pastes them: (NN_E_##S*)x.
#define NN_P_f32 float
#define NN_P_f64 double
#define NN_P_f16 unsigned short
#define NN_P_bf16 unsigned short
#define NN_E_f32 float
#define NN_E_f64 double
#define NN_E_f16 nn_f16_tag
#define NN_E_bf16 nn_bf16_tag
#define NN_C_f32 float
#define NN_C_f64 double
#define NN_C_f16 float
#define NN_C_bf16 float
