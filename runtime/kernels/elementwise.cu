// NativeNets CUDA kernels: elementwise ops, bias adds, scale-shift and dtype casts.
// Compiled at run time by NVRTC, after the shared helpers of common.cuh (no #include: only NVRTC's
// built-ins). See README.md for every kernel's signature, launch rule and the CPU method
// (Layers/Backends/Cpu/CpuElementwise.cs) it matches.
//
// Launch: every kernel here is a grid-stride loop, so any grid and any block size are correct.
// 1-D kernels: blockDim.x = 256, gridDim.x = min(ceil(n / 256), 65535) is the suggested launch.
// 2-D kernels (add_row_vector, add_channel_bias): x strides over columns / plane elements, y over
// rows / planes; suggested blockDim (256, 1), grid (min(ceil(cols / 256), 65535), min(rows, 65535)).
//
// Rounding: where the CPU rounds after every operation (TensorPrimitives never fuses a multiply
// and an add), the kernels use the __f*_rn / __d*_rn intrinsics so that the compiler cannot
// contract them into an FMA; the result is then bit-identical to the CPU.

typedef unsigned short u16;

NN_DEV float nn_tanh(float x) { return tanhf(x); }
NN_DEV double nn_tanh(double x) { return tanh(x); }

// ---- bit-exact conversions (the CPU's rules: System.Half, BFloat16.FromSingle, Math.Round to even) ----

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

// The CPU goes double -> float -> bf16 (two roundings); a NaN keeps its sign and top payload bits.
NN_DEV u16 nn_double_to_bf16(double d)
{
    if (d != d)
    {
        u64 b = nn_f64_bits(d);
        u32 fb = ((u32)(b >> 32) & 0x80000000u) | 0x7FC00000u | (u32)((b & 0xFFFFFFFFFFFFFull) >> 29);
        return (u16)((fb >> 16) | 0x40u);
    }
    return nn_float_to_bf16((float)d);
}

// Source element to double: exact for every source type.
NN_DEV double nn_load(const float* p, i64 i) { return (double)p[i]; }
NN_DEV double nn_load(const double* p, i64 i) { return p[i]; }
NN_DEV double nn_load(const u8* p, i64 i) { return (double)p[i]; }
NN_DEV double nn_load(const int* p, i64 i) { return (double)p[i]; }
// 16-bit types travel as u16; the tag picks the format.
struct nn_f16_tag { u16 v; };
struct nn_bf16_tag { u16 v; };
NN_DEV double nn_load(const nn_f16_tag* p, i64 i) { return (double)nn_half_to_float(p[i].v); }
NN_DEV double nn_load(const nn_bf16_tag* p, i64 i) { return (double)nn_bf16_to_float(p[i].v); }

// double to destination element, one rounding as the CPU's Cast does; returns false where the
// CPU would throw (I32: NaN or outside the int range after rounding, as checked((int)Math.Round)).
NN_DEV bool nn_store(float* p, i64 i, double v) { p[i] = (float)v; return true; }
NN_DEV bool nn_store(double* p, i64 i, double v) { p[i] = v; return true; }
NN_DEV bool nn_store(nn_f16_tag* p, i64 i, double v) { p[i].v = nn_double_to_half(v); return true; }
NN_DEV bool nn_store(nn_bf16_tag* p, i64 i, double v) { p[i].v = nn_double_to_bf16(v); return true; }
NN_DEV bool nn_store(u8* p, i64 i, double v)
{
    // (byte)Math.Clamp(Math.Round(v, ToEven), 0, 255); NaN converts to 0.
    double r = rint(v);
    p[i] = v != v ? (u8)0 : r <= 0.0 ? (u8)0 : r >= 255.0 ? (u8)255 : (u8)r;
    return true;
}
NN_DEV bool nn_store(int* p, i64 i, double v)
{
    double r = rint(v);
    if (!(r >= -2147483648.0 && r <= 2147483647.0))
    {
        p[i] = 0;
        return false;
    }
    p[i] = (int)r;
    return true;
}

NN_DEV void nn_report(int* error, i64 i)
{
    nn_report_min(error, (int)(i < 2147483646ll ? i + 1 : 2147483647ll));
}

// ---- fill, scale, axpy, add ---------------------------------------------------------------------

template <typename T>
NN_DEV void nn_fill_body(T* x, i64 n, T value) { NN_FOR(i, n) x[i] = value; }

extern "C" __global__ void nn_fill_f32(float* x, long long n, float value) { nn_fill_body<float>(x, n, value); }
extern "C" __global__ void nn_fill_f64(double* x, long long n, double value) { nn_fill_body<double>(x, n, value); }
// The host converts the value as the CPU does (checked((int)value), checked((byte)value)).
extern "C" __global__ void nn_fill_i32(int* x, long long n, int value) { nn_fill_body<int>(x, n, value); }
extern "C" __global__ void nn_fill_u8(unsigned char* x, long long n, int value) { nn_fill_body<u8>(x, n, (u8)value); }
// F16 / BF16 storage as unsigned short; the value is rounded here as (Half)value / BFloat16.FromSingle((float)value).
extern "C" __global__ void nn_fill_f16(unsigned short* x, long long n, double value) { nn_fill_body<u16>(x, n, nn_double_to_half(value)); }
extern "C" __global__ void nn_fill_bf16(unsigned short* x, long long n, double value) { nn_fill_body<u16>(x, n, nn_float_to_bf16((float)value)); }

template <typename T>
NN_DEV void nn_scale_body(T* x, i64 n, T alpha) { NN_FOR(i, n) x[i] = nn_mul(x[i], alpha); }

template <typename T>
NN_DEV void nn_axpy_body(const T* x, T* y, i64 n, T alpha) { NN_FOR(i, n) y[i] = nn_add(nn_mul(x[i], alpha), y[i]); }

template <typename T>
NN_DEV void nn_add_body(const T* a, const T* b, T* y, i64 n) { NN_FOR(i, n) y[i] = a[i] + b[i]; }

// ---- activations -----------------------------------------------------------------------------------

// TensorPrimitives.Max(x, 0): NaN stays NaN, -0 becomes +0.
template <typename T>
NN_DEV void nn_relu_body(const T* x, T* y, i64 n)
{
    NN_FOR(i, n)
    {
        T v = x[i];
        y[i] = v > (T)0 ? v : v != v ? v : (T)0;
    }
}

template <typename T>
NN_DEV void nn_relu_backward_body(const T* y, const T* dy, T* dx, i64 n) { NN_FOR(i, n) dx[i] = y[i] > (T)0 ? dy[i] : (T)0; }

template <typename T>
NN_DEV void nn_tanh_body(const T* x, T* y, i64 n) { NN_FOR(i, n) y[i] = nn_tanh(x[i]); }

// dx = dy * (1 - y * y), three roundings as on the CPU.
template <typename T>
NN_DEV void nn_tanh_backward_body(const T* y, const T* dy, T* dx, i64 n)
{
    NN_FOR(i, n)
    {
        T v = y[i];
        dx[i] = nn_mul(dy[i], nn_sub((T)1, nn_mul(v, v)));
    }
}

// ---- bias adds (2-D grid-stride) -------------------------------------------------------------------

template <typename T>
NN_DEV void nn_add_row_vector_body(T* y, const T* bias, int rows, int cols)
{
    for (i64 r = blockIdx.y; r < rows; r += gridDim.y)
        for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += gridDim.x * blockDim.x)
            y[r * cols + c] += bias[c];
}

template <typename T>
NN_DEV void nn_add_channel_bias_body(T* y, const T* bias, int n, int c, int hw)
{
    i64 planes = (i64)n * c;
    for (i64 p = blockIdx.y; p < planes; p += gridDim.y)
    {
        T b = bias[(int)(p % c)];
        T* plane = y + p * hw;
        for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < hw; j += gridDim.x * blockDim.x) plane[j] += b;
    }
}

#define NN_FLOAT_KERNELS(T, S)                                                                                           \
    extern "C" __global__ void nn_scale_##S(T* x, long long n, T alpha) { nn_scale_body<T>(x, n, alpha); }                \
    extern "C" __global__ void nn_axpy_##S(const T* x, T* y, long long n, T alpha) { nn_axpy_body<T>(x, y, n, alpha); }   \
    extern "C" __global__ void nn_add_##S(const T* a, const T* b, T* y, long long n) { nn_add_body<T>(a, b, y, n); }      \
    extern "C" __global__ void nn_relu_##S(const T* x, T* y, long long n) { nn_relu_body<T>(x, y, n); }                   \
    extern "C" __global__ void nn_relu_backward_##S(const T* y, const T* dy, T* dx, long long n)                         \
    {                                                                                                                    \
        nn_relu_backward_body<T>(y, dy, dx, n);                                                                          \
    }                                                                                                                    \
    extern "C" __global__ void nn_tanh_##S(const T* x, T* y, long long n) { nn_tanh_body<T>(x, y, n); }                   \
    extern "C" __global__ void nn_tanh_backward_##S(const T* y, const T* dy, T* dx, long long n)                         \
    {                                                                                                                    \
        nn_tanh_backward_body<T>(y, dy, dx, n);                                                                          \
    }                                                                                                                    \
    extern "C" __global__ void nn_add_row_vector_##S(T* y, const T* bias, int rows, int cols)                            \
    {                                                                                                                    \
        nn_add_row_vector_body<T>(y, bias, rows, cols);                                                                  \
    }                                                                                                                    \
    extern "C" __global__ void nn_add_channel_bias_##S(T* y, const T* bias, int n, int c, int hw)                        \
    {                                                                                                                    \
        nn_add_channel_bias_body<T>(y, bias, n, c, hw);                                                                  \
    }

NN_FLOAT_KERNELS(float, f32)
NN_FLOAT_KERNELS(double, f64)

// ---- scale-shift: dst = src * scale + shift, converting -------------------------------------------
// As CpuBackend.ScaleShift: U8 -> F32 is one fused multiply-add in float (the CPU's vector path);
// every other pair casts src to the destination type first (exact except F64 -> F32, which
// rounds once), then multiplies by (D)scale and adds (D)shift with a rounding after each.

NN_DEV float nn_scale_shift_one(u8 v, float s, float h) { return fmaf((float)v, s, h); }
NN_DEV float nn_scale_shift_one(float v, float s, float h) { return nn_add(nn_mul(v, s), h); }
NN_DEV float nn_scale_shift_one(double v, float s, float h) { return nn_add(nn_mul((float)v, s), h); }
NN_DEV double nn_scale_shift_one(u8 v, double s, double h) { return nn_add(nn_mul((double)v, s), h); }
NN_DEV double nn_scale_shift_one(float v, double s, double h) { return nn_add(nn_mul((double)v, s), h); }
NN_DEV double nn_scale_shift_one(double v, double s, double h) { return nn_add(nn_mul(v, s), h); }

template <typename S, typename D>
NN_DEV void nn_scale_shift_body(const S* src, D* dst, i64 n, double scale, double shift)
{
    D s = (D)scale, h = (D)shift;
    NN_FOR(i, n) dst[i] = nn_scale_shift_one(src[i], s, h);
}

#define NN_SCALE_SHIFT(S, SN, D, DN)                                                                                        \
    extern "C" __global__ void nn_scale_shift_##SN##_##DN(const S* src, D* dst, long long n, double scale, double shift) \
    {                                                                                                                       \
        nn_scale_shift_body<S, D>(src, dst, n, scale, shift);                                                               \
    }

NN_SCALE_SHIFT(u8, u8, float, f32)
NN_SCALE_SHIFT(u8, u8, double, f64)
NN_SCALE_SHIFT(float, f32, float, f32)
NN_SCALE_SHIFT(float, f32, double, f64)
NN_SCALE_SHIFT(double, f64, float, f32)
NN_SCALE_SHIFT(double, f64, double, f64)

// ---- casts ---------------------------------------------------------------------------------------
// Every pair goes through double (exact for every source), then one rounding to the destination,
// exactly as CpuBackend.Cast. error (may be null) receives the lowest flat index + 1 of an element whose
// conversion to I32 the CPU would reject (NaN, or outside [-2^31, 2^31 - 1] after rounding); that
// element is written as 0. Signature of every cast: (const S* src, D* dst, long long n, int* error).

template <typename S, typename D>
NN_DEV bool nn_cast_one(const S* src, D* dst, i64 i) { return nn_store(dst, i, nn_load(src, i)); }

// F16 fast path: float sources round straight to half (cvt.rn.f16.f32 on the device).
NN_DEV bool nn_cast_one(const float* src, nn_f16_tag* dst, i64 i)
{
    dst[i].v = nn_float_to_half(src[i]);
    return true;
}

template <typename S, typename D>
NN_DEV void nn_cast_body(const S* src, D* dst, i64 n, int* error)
{
    NN_FOR(i, n)
    {
        if (!nn_cast_one(src, dst, i)) nn_report(error, i);
    }
}

#define NN_CAST(S, SN, D, DN)                                                                                           \
    extern "C" __global__ void nn_cast_##SN##_##DN(const S* src, D* dst, long long n, int* error)                    \
    {                                                                                                                   \
        nn_cast_body(NN_ELEM_##SN(src), NN_ELEMW_##DN(dst), n, error);                                                  \
    }

// Kernel parameter types per dtype, and how the body sees them.
#define NN_T_f32 float
#define NN_T_f64 double
#define NN_T_f16 unsigned short
#define NN_T_bf16 unsigned short
#define NN_T_u8 unsigned char
#define NN_T_i32 int
#define NN_ELEM_f32(p) (p)
#define NN_ELEM_f64(p) (p)
#define NN_ELEM_u8(p) (p)
#define NN_ELEM_i32(p) (p)
#define NN_ELEM_f16(p) ((const nn_f16_tag*)(p))
#define NN_ELEM_bf16(p) ((const nn_bf16_tag*)(p))
#define NN_ELEMW_f32(p) (p)
#define NN_ELEMW_f64(p) (p)
#define NN_ELEMW_u8(p) (p)
#define NN_ELEMW_i32(p) (p)
#define NN_ELEMW_f16(p) ((nn_f16_tag*)(p))
#define NN_ELEMW_bf16(p) ((nn_bf16_tag*)(p))

#define NN_CAST_PAIR(SN, DN) NN_CAST(NN_T_##SN, SN, NN_T_##DN, DN)
// All 30 ordered pairs of distinct dtypes (same-type copies are the host's job).
NN_CAST_PAIR(f32, f64)
NN_CAST_PAIR(f32, f16)
NN_CAST_PAIR(f32, bf16)
NN_CAST_PAIR(f32, u8)
NN_CAST_PAIR(f32, i32)
NN_CAST_PAIR(f64, f32)
NN_CAST_PAIR(f64, f16)
NN_CAST_PAIR(f64, bf16)
NN_CAST_PAIR(f64, u8)
NN_CAST_PAIR(f64, i32)
NN_CAST_PAIR(f16, f32)
NN_CAST_PAIR(f16, f64)
NN_CAST_PAIR(f16, bf16)
NN_CAST_PAIR(f16, u8)
NN_CAST_PAIR(f16, i32)
NN_CAST_PAIR(bf16, f32)
NN_CAST_PAIR(bf16, f64)
NN_CAST_PAIR(bf16, f16)
NN_CAST_PAIR(bf16, u8)
NN_CAST_PAIR(bf16, i32)
NN_CAST_PAIR(u8, f32)
NN_CAST_PAIR(u8, f64)
NN_CAST_PAIR(u8, f16)
NN_CAST_PAIR(u8, bf16)
NN_CAST_PAIR(u8, i32)
NN_CAST_PAIR(i32, f32)
NN_CAST_PAIR(i32, f64)
NN_CAST_PAIR(i32, f16)
NN_CAST_PAIR(i32, bf16)
NN_CAST_PAIR(i32, u8)

// ---- image batches: U8 NHWC pixels to normalised F32 NCHW --------------------------------------
// dst[n, c, p] = ((float)src[(n * plane + p) * C + c] / 255 - mean[c]) / std[c], in float, as torchvision's
// ToTensor + Normalize and Data/Transforms/Normalize.cs compute it (both divisions IEEE-rounded: NVRTC's default
// --prec-div=true). mean and std are C floats in device memory. 2-D grid-stride: x over the plane, y over the images.
extern "C" __global__ void nn_normalize_images_u8_f32(const u8* src, float* dst, int images, int channels, long long plane,
    const float* mean, const float* std)
{
    for (int n = blockIdx.y; n < images; n += gridDim.y)
        for (i64 p = (i64)blockIdx.x * blockDim.x + threadIdx.x; p < plane; p += (i64)gridDim.x * blockDim.x)
        {
            const u8* pixel = src + ((i64)n * plane + p) * channels;
            for (int c = 0; c < channels; c++)
                dst[((i64)n * channels + c) * plane + p] = ((float)pixel[c] / 255.0f - mean[c]) / std[c];
        }
}

// The kernels this file defines, for README.md and runtime/scripts/check-kernels.sh (which checks this
// list against the compiled PTX):
// kernels: nn_fill_f32 nn_fill_f64 nn_fill_i32 nn_fill_u8 nn_fill_f16 nn_fill_bf16 nn_scale_f32 nn_axpy_f32
// kernels: nn_add_f32 nn_relu_f32 nn_relu_backward_f32 nn_tanh_f32 nn_tanh_backward_f32 nn_add_row_vector_f32
// kernels: nn_add_channel_bias_f32 nn_scale_f64 nn_axpy_f64 nn_add_f64 nn_relu_f64 nn_relu_backward_f64
// kernels: nn_tanh_f64 nn_tanh_backward_f64 nn_add_row_vector_f64 nn_add_channel_bias_f64 nn_scale_shift_u8_f32
// kernels: nn_scale_shift_u8_f64 nn_scale_shift_f32_f32 nn_scale_shift_f32_f64 nn_scale_shift_f64_f32
// kernels: nn_scale_shift_f64_f64 nn_cast_f32_f64 nn_cast_f32_f16 nn_cast_f32_bf16 nn_cast_f32_u8
// kernels: nn_cast_f32_i32 nn_cast_f64_f32 nn_cast_f64_f16 nn_cast_f64_bf16 nn_cast_f64_u8 nn_cast_f64_i32
// kernels: nn_cast_f16_f32 nn_cast_f16_f64 nn_cast_f16_bf16 nn_cast_f16_u8 nn_cast_f16_i32 nn_cast_bf16_f32
// kernels: nn_cast_bf16_f64 nn_cast_bf16_f16 nn_cast_bf16_u8 nn_cast_bf16_i32 nn_cast_u8_f32 nn_cast_u8_f64
// kernels: nn_cast_u8_f16 nn_cast_u8_bf16 nn_cast_u8_i32 nn_cast_i32_f32 nn_cast_i32_f64 nn_cast_i32_f16
// kernels: nn_cast_i32_bf16 nn_cast_i32_u8 nn_normalize_images_u8_f32
