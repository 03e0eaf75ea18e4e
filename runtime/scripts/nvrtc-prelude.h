// Force-included by check-kernels.sh when clang-14 compiles runtime/kernels/*.cu (each after
// runtime/kernels/common.cuh, as the host hands it to NVRTC) as CUDA device code (-nocudainc
// -nocudalib). It supplies what NVRTC has built in and nothing more: the execution-space keywords,
// the builtin variables (threadIdx, ...), CUDA's vector types, the device math functions
// (expf, tanh, rint, ...) and intrinsics (__fmul_rn, __vsadu4, __float_as_uint, ...) that clang
// declares in its resource headers, the warp intrinsics (__shfl_down_sync, __ldg, ...) and the atomic
// functions that CUDA's device_atomic_functions.h declares. The helper macros clang's headers need
// (INT_MAX, HUGE_VAL) are undefined again at the end, so a kernel that uses them fails here as it
// would under NVRTC. Neither a kernel file nor common.cuh may #include anything.
#pragma once

#define __host__ __attribute__((host))
#define __device__ __attribute__((device))
#define __global__ __attribute__((global))
#define __shared__ __attribute__((shared))
#define __constant__ __attribute__((constant))
#define __managed__ __attribute__((managed))
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __CUDACC_RTC__ 1
// clang's headers gate on CUDA_VERSION; NVRTC 13 would say 13000, but the headers only need >= 11000.
#define CUDA_VERSION 12000

// NVRTC predefines size_t (and clock_t, ptrdiff_t, va_list).
typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
typedef long long clock_t;
typedef unsigned int cuuint32_t; // used inside clang's __clang_cuda_intrinsics.h only

// CUDA's built-in vector types (vector_types.h), as far as clang's intrinsics header uses them.
#define NN_PRELUDE_VEC2(T, N, A) struct __attribute__((aligned(A))) N { T x, y; };
#define NN_PRELUDE_VEC4(T, N, A) struct __attribute__((aligned(A))) N { T x, y, z, w; };
NN_PRELUDE_VEC2(char, char2, 2) NN_PRELUDE_VEC4(char, char4, 4)
NN_PRELUDE_VEC2(unsigned char, uchar2, 2) NN_PRELUDE_VEC4(unsigned char, uchar4, 4)
NN_PRELUDE_VEC2(short, short2, 4) NN_PRELUDE_VEC4(short, short4, 8)
NN_PRELUDE_VEC2(unsigned short, ushort2, 4) NN_PRELUDE_VEC4(unsigned short, ushort4, 8)
NN_PRELUDE_VEC2(int, int2, 8) NN_PRELUDE_VEC4(int, int4, 16)
NN_PRELUDE_VEC2(unsigned int, uint2, 8) NN_PRELUDE_VEC4(unsigned int, uint4, 16)
NN_PRELUDE_VEC2(long long, longlong2, 16) NN_PRELUDE_VEC2(unsigned long long, ulonglong2, 16)
NN_PRELUDE_VEC2(float, float2, 8) NN_PRELUDE_VEC4(float, float4, 16)
NN_PRELUDE_VEC2(double, double2, 16)
#undef NN_PRELUDE_VEC2
#undef NN_PRELUDE_VEC4

#define INT_MAX __INT_MAX__
#define INT_MIN (-__INT_MAX__ - 1)
#define HUGE_VAL __builtin_huge_val()
#define HUGE_VALF __builtin_huge_valf()
#include <__clang_cuda_builtin_vars.h>
#include <__clang_cuda_libdevice_declares.h>
#include <__clang_cuda_device_functions.h>
#include <__clang_cuda_math.h>
#include <__clang_cuda_intrinsics.h>
#undef INT_MAX
#undef INT_MIN
#undef HUGE_VAL
#undef HUGE_VALF

// device_atomic_functions.h / sm_60_atomic_functions.h
static __device__ __forceinline__ int atomicAdd(int* p, int v) { return __iAtomicAdd(p, v); }
static __device__ __forceinline__ unsigned int atomicAdd(unsigned int* p, unsigned int v) { return __uAtomicAdd(p, v); }
static __device__ __forceinline__ unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) { return __ullAtomicAdd(p, v); }
static __device__ __forceinline__ float atomicAdd(float* p, float v) { return __fAtomicAdd(p, v); }
static __device__ __forceinline__ double atomicAdd(double* p, double v) { return __dAtomicAdd(p, v); }
static __device__ __forceinline__ int atomicCAS(int* p, int c, int v) { return __iAtomicCAS(p, c, v); }
static __device__ __forceinline__ unsigned int atomicCAS(unsigned int* p, unsigned int c, unsigned int v) { return __uAtomicCAS(p, c, v); }
static __device__ __forceinline__ unsigned long long atomicCAS(unsigned long long* p, unsigned long long c, unsigned long long v) { return __ullAtomicCAS(p, c, v); }
static __device__ __forceinline__ int atomicExch(int* p, int v) { return __iAtomicExch(p, v); }
static __device__ __forceinline__ unsigned int atomicExch(unsigned int* p, unsigned int v) { return __uAtomicExch(p, v); }
static __device__ __forceinline__ float atomicExch(float* p, float v) { return __fAtomicExch(p, v); }
static __device__ __forceinline__ int atomicMin(int* p, int v) { return __iAtomicMin(p, v); }
static __device__ __forceinline__ unsigned int atomicMin(unsigned int* p, unsigned int v) { return __uAtomicMin(p, v); }
static __device__ __forceinline__ int atomicMax(int* p, int v) { return __iAtomicMax(p, v); }
static __device__ __forceinline__ unsigned int atomicMax(unsigned int* p, unsigned int v) { return __uAtomicMax(p, v); }
static __device__ __forceinline__ int atomicOr(int* p, int v) { return __iAtomicOr(p, v); }
static __device__ __forceinline__ int atomicAnd(int* p, int v) { return __iAtomicAnd(p, v); }
