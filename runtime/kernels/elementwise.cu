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

NN_DEV float nn_tanh(float x) { return tanhf(x); }
NN_DEV double nn_tanh(double x) { return tanh(x); }

// ---- bit-exact conversions (the CPU's rules: System.Half, BFloat16.FromSingle, Math.Round to even) ----
// float <-> f16 / bf16 and double -> f16 are in common.cuh (nn_half_to_float, nn_float_to_half, ...).

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
// 16-bit types travel as u16; the tag (common.cuh) picks the format.
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

// The bodies below are templated on the storage type E (float, double, nn_f16_tag, nn_bf16_tag): they
// load with nn_ld, compute in nn_c<E> (float for F16 / BF16) and store with nn_st (one rounding for
// F16 / BF16), which is what the CPU backend does with its F32 kernel on widened tensors.

template <typename E>
NN_DEV void nn_scale_body(E* x, i64 n, nn_c<E> alpha) { NN_FOR(i, n) nn_st(x, i, nn_mul(nn_ld(x, i), alpha)); }

template <typename E>
NN_DEV void nn_axpy_body(const E* x, E* y, i64 n, nn_c<E> alpha)
{
    NN_FOR(i, n) nn_st(y, i, nn_add(nn_mul(nn_ld(x, i), alpha), nn_ld(y, i)));
}

// ---- 16-byte vectors ------------------------------------------------------------------------------
// The kernels the training step runs most over whole activations (add, ReLU and its backward) move 16 bytes
// per thread and step where all their pointers are 16-byte aligned (the pool's allocations are; a view at an
// odd offset takes the scalar loop): on an H200 the scalar ReLU of a 205M-element F32 tensor ran at about half
// of the memory's bandwidth. Each element gets the same arithmetic either way, so the results are the same.
struct alignas(16) nn_v16
{
    u32 w[4];
};

NN_DEV bool nn_aligned16(const void* p) { return ((u64)p & 15ull) == 0; }

// Whole 16-byte vectors where every pointer is aligned, else none; the elements from vectors * per on go one by one.
template <typename E>
NN_DEV i64 nn_vectors(i64 n, bool aligned) { return aligned ? n / (i64)(16 / sizeof(E)) : 0; }

// y[i] = op(x[i]) and y[i] = op(a[i], b[i]) for i in [0, n), in 16-byte vectors where every pointer is aligned and one
// by one for the rest (all of it where not); op computes in nn_c<E> and each result is stored (rounded) once.
template <typename E, typename Op>
NN_DEV void nn_map1(const E* x, E* y, i64 n, Op op)
{
    const int per = 16 / sizeof(E);
    const i64 vectors = nn_vectors<E>(n, nn_aligned16(x) && nn_aligned16(y));
    NN_FOR(v, vectors)
    {
        nn_v16 vx = ((const nn_v16*)x)[v], vy;
#pragma unroll
        for (int k = 0; k < per; k++) nn_st((E*)&vy, k, op(nn_ld((const E*)&vx, k)));
        ((nn_v16*)y)[v] = vy;
    }
    NN_FOR(j, n - vectors * per)
    {
        const i64 i = vectors * per + j;
        nn_st(y, i, op(nn_ld(x, i)));
    }
}

template <typename E, typename Op>
NN_DEV void nn_map2(const E* a, const E* b, E* y, i64 n, Op op)
{
    const int per = 16 / sizeof(E);
    const i64 vectors = nn_vectors<E>(n, nn_aligned16(a) && nn_aligned16(b) && nn_aligned16(y));
    NN_FOR(v, vectors)
    {
        nn_v16 va = ((const nn_v16*)a)[v], vb = ((const nn_v16*)b)[v], vy;
#pragma unroll
        for (int k = 0; k < per; k++) nn_st((E*)&vy, k, op(nn_ld((const E*)&va, k), nn_ld((const E*)&vb, k)));
        ((nn_v16*)y)[v] = vy;
    }
    NN_FOR(j, n - vectors * per)
    {
        const i64 i = vectors * per + j;
        nn_st(y, i, op(nn_ld(a, i), nn_ld(b, i)));
    }
}

struct nn_add_op
{
    template <typename T> __device__ __forceinline__ T operator()(T p, T q) const { return nn_add(p, q); }
};

template <typename E>
NN_DEV void nn_add_body(const E* a, const E* b, E* y, i64 n) { nn_map2(a, b, y, n, nn_add_op()); }

// ---- activations -----------------------------------------------------------------------------------

// TensorPrimitives.Max(x, 0): NaN stays NaN, -0 becomes +0.
struct nn_relu_op
{
    template <typename T> __device__ __forceinline__ T operator()(T v) const { return v > (T)0 ? v : v != v ? v : (T)0; }
};

// The gradient passes where the output is positive.
struct nn_relu_backward_op
{
    template <typename T> __device__ __forceinline__ T operator()(T y, T dy) const { return y > (T)0 ? dy : (T)0; }
};

template <typename E>
NN_DEV void nn_relu_body(const E* x, E* y, i64 n) { nn_map1(x, y, n, nn_relu_op()); }

template <typename E>
NN_DEV void nn_relu_backward_body(const E* y, const E* dy, E* dx, i64 n) { nn_map2(y, dy, dx, n, nn_relu_backward_op()); }

template <typename E>
NN_DEV void nn_tanh_body(const E* x, E* y, i64 n) { NN_FOR(i, n) nn_st(y, i, nn_tanh(nn_ld(x, i))); }

// dx = dy * (1 - y * y), three roundings as on the CPU.
template <typename E>
NN_DEV void nn_tanh_backward_body(const E* y, const E* dy, E* dx, i64 n)
{
    typedef nn_c<E> T;
    NN_FOR(i, n)
    {
        T v = nn_ld(y, i);
        nn_st(dx, i, nn_mul(nn_ld(dy, i), nn_sub((T)1, nn_mul(v, v))));
    }
}

// ---- bias adds (2-D grid-stride) -------------------------------------------------------------------

template <typename E>
NN_DEV void nn_add_row_vector_body(E* y, const E* bias, int rows, int cols)
{
    for (i64 r = blockIdx.y; r < rows; r += gridDim.y)
        for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += gridDim.x * blockDim.x)
            nn_st(y, r * cols + c, nn_add(nn_ld(y, r * cols + c), nn_ld(bias, c)));
}

template <typename E>
NN_DEV void nn_add_channel_bias_body(E* y, const E* bias, int n, int c, int hw)
{
    i64 planes = (i64)n * c;
    for (i64 p = blockIdx.y; p < planes; p += gridDim.y)
    {
        nn_c<E> b = nn_ld(bias, (int)(p % c));
        E* plane = y + p * hw;
        for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < hw; j += gridDim.x * blockDim.x) nn_st(plane, j, nn_add(nn_ld(plane, j), b));
    }
}

// S is the dtype suffix (f32, f64, f16, bf16); parameter, storage and arithmetic types come from
// common.cuh's NN_P_ / NN_E_ / NN_C_ macros (F16 / BF16 arrive as unsigned short, scalars as float).
#define NN_FLOAT_KERNELS(S)                                                                                              \
    extern "C" __global__ void nn_scale_##S(NN_P_##S* x, long long n, NN_C_##S alpha)                                   \
    {                                                                                                                    \
        nn_scale_body<NN_E_##S>((NN_E_##S*)x, n, alpha);                                                                 \
    }                                                                                                                    \
    extern "C" __global__ void nn_axpy_##S(const NN_P_##S* x, NN_P_##S* y, long long n, NN_C_##S alpha)                 \
    {                                                                                                                    \
        nn_axpy_body<NN_E_##S>((const NN_E_##S*)x, (NN_E_##S*)y, n, alpha);                                              \
    }                                                                                                                    \
    extern "C" __global__ void nn_add_##S(const NN_P_##S* a, const NN_P_##S* b, NN_P_##S* y, long long n)               \
    {                                                                                                                    \
        nn_add_body<NN_E_##S>((const NN_E_##S*)a, (const NN_E_##S*)b, (NN_E_##S*)y, n);                                  \
    }                                                                                                                    \
    extern "C" __global__ void nn_relu_##S(const NN_P_##S* x, NN_P_##S* y, long long n)                                 \
    {                                                                                                                    \
        nn_relu_body<NN_E_##S>((const NN_E_##S*)x, (NN_E_##S*)y, n);                                                     \
    }                                                                                                                    \
    extern "C" __global__ void nn_relu_backward_##S(const NN_P_##S* y, const NN_P_##S* dy, NN_P_##S* dx, long long n)   \
    {                                                                                                                    \
        nn_relu_backward_body<NN_E_##S>((const NN_E_##S*)y, (const NN_E_##S*)dy, (NN_E_##S*)dx, n);                      \
    }                                                                                                                    \
    extern "C" __global__ void nn_tanh_##S(const NN_P_##S* x, NN_P_##S* y, long long n)                                 \
    {                                                                                                                    \
        nn_tanh_body<NN_E_##S>((const NN_E_##S*)x, (NN_E_##S*)y, n);                                                     \
    }                                                                                                                    \
    extern "C" __global__ void nn_tanh_backward_##S(const NN_P_##S* y, const NN_P_##S* dy, NN_P_##S* dx, long long n)   \
    {                                                                                                                    \
        nn_tanh_backward_body<NN_E_##S>((const NN_E_##S*)y, (const NN_E_##S*)dy, (NN_E_##S*)dx, n);                      \
    }                                                                                                                    \
    extern "C" __global__ void nn_add_row_vector_##S(NN_P_##S* y, const NN_P_##S* bias, int rows, int cols)             \
    {                                                                                                                    \
        nn_add_row_vector_body<NN_E_##S>((NN_E_##S*)y, (const NN_E_##S*)bias, rows, cols);                               \
    }                                                                                                                    \
    extern "C" __global__ void nn_add_channel_bias_##S(NN_P_##S* y, const NN_P_##S* bias, int n, int c, int hw)         \
    {                                                                                                                    \
        nn_add_channel_bias_body<NN_E_##S>((NN_E_##S*)y, (const NN_E_##S*)bias, n, c, hw);                               \
    }

NN_FLOAT_KERNELS(f32)
NN_FLOAT_KERNELS(f64)
NN_FLOAT_KERNELS(f16)
NN_FLOAT_KERNELS(bf16)

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
    nn_c<D> s = (nn_c<D>)scale, h = (nn_c<D>)shift;
    NN_FOR(i, n) nn_st(dst, i, nn_scale_shift_one(nn_ld(src, i), s, h));
}

#define NN_SCALE_SHIFT(S, SN, D, DN)                                                                                        \
    extern "C" __global__ void nn_scale_shift_##SN##_##DN(const S* src, D* dst, long long n, double scale, double shift) \
    {                                                                                                                       \
        nn_scale_shift_body(NN_ELEM_##SN(src), NN_ELEMW_##DN(dst), n, scale, shift);                                        \
    }

NN_SCALE_SHIFT(u8, u8, float, f32)
NN_SCALE_SHIFT(u8, u8, double, f64)
NN_SCALE_SHIFT(float, f32, float, f32)
NN_SCALE_SHIFT(float, f32, double, f64)
NN_SCALE_SHIFT(double, f64, float, f32)
NN_SCALE_SHIFT(double, f64, double, f64)
// F16 / BF16 destinations, as the CPU widens them: from U8 (one fmaf in float, then one rounding) or from the
// same dtype (multiply, then add, in float, then one rounding). Other sources beside F16 / BF16 are refused.
NN_SCALE_SHIFT(u8, u8, unsigned short, f16)
NN_SCALE_SHIFT(u8, u8, unsigned short, bf16)
NN_SCALE_SHIFT(unsigned short, f16, unsigned short, f16)
NN_SCALE_SHIFT(unsigned short, bf16, unsigned short, bf16)

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
// F16 / BF16 outputs get the same float value, rounded once (the CPU normalises into an F32 twin and rounds it back).
template <typename D>
NN_DEV void nn_normalize_images_body(const u8* src, D* dst, int images, int channels, i64 plane, const float* mean, const float* std,
    int channelsLast)
{
    for (int n = blockIdx.y; n < images; n += gridDim.y)
        for (i64 p = (i64)blockIdx.x * blockDim.x + threadIdx.x; p < plane; p += (i64)gridDim.x * blockDim.x)
        {
            const u8* pixel = src + ((i64)n * plane + p) * channels;
            for (int c = 0; c < channels; c++)
                nn_st(dst, channelsLast ? ((i64)n * plane + p) * channels + c : ((i64)n * channels + c) * plane + p,
                    ((float)pixel[c] / 255.0f - mean[c]) / std[c]);
        }
}

#define NN_NORMALIZE_IMAGES(S)                                                                                           \
    extern "C" __global__ void nn_normalize_images_u8_##S(const u8* src, NN_P_##S* dst, int images, int channels,      \
        long long plane, const float* mean, const float* std, int channelsLast)                                          \
    {                                                                                                                    \
        nn_normalize_images_body<NN_E_##S>(src, (NN_E_##S*)dst, images, channels, plane, mean, std, channelsLast);       \
    }

NN_NORMALIZE_IMAGES(f32)
NN_NORMALIZE_IMAGES(f16)
NN_NORMALIZE_IMAGES(bf16)

// The kernels this file defines, for README.md and runtime/scripts/check-kernels.sh (which checks this
// list against the compiled PTX):
// kernels: nn_fill_f32 nn_fill_f64 nn_fill_i32 nn_fill_u8 nn_fill_f16 nn_fill_bf16 nn_scale_f32 nn_axpy_f32
// kernels: nn_add_f32 nn_relu_f32 nn_relu_backward_f32 nn_tanh_f32 nn_tanh_backward_f32 nn_add_row_vector_f32
// kernels: nn_add_channel_bias_f32 nn_scale_f64 nn_axpy_f64 nn_add_f64 nn_relu_f64 nn_relu_backward_f64
// kernels: nn_tanh_f64 nn_tanh_backward_f64 nn_add_row_vector_f64 nn_add_channel_bias_f64
// kernels: nn_scale_f16 nn_axpy_f16 nn_add_f16 nn_relu_f16 nn_relu_backward_f16 nn_tanh_f16 nn_tanh_backward_f16
// kernels: nn_add_row_vector_f16 nn_add_channel_bias_f16 nn_scale_bf16 nn_axpy_bf16 nn_add_bf16 nn_relu_bf16
// kernels: nn_relu_backward_bf16 nn_tanh_bf16 nn_tanh_backward_bf16 nn_add_row_vector_bf16 nn_add_channel_bias_bf16
// kernels: nn_scale_shift_u8_f32 nn_scale_shift_u8_f64 nn_scale_shift_f32_f32 nn_scale_shift_f32_f64 nn_scale_shift_f64_f32
// kernels: nn_scale_shift_f64_f64 nn_scale_shift_u8_f16 nn_scale_shift_u8_bf16 nn_scale_shift_f16_f16
// kernels: nn_scale_shift_bf16_bf16 nn_cast_f32_f64 nn_cast_f32_f16 nn_cast_f32_bf16 nn_cast_f32_u8
// kernels: nn_cast_f32_i32 nn_cast_f64_f32 nn_cast_f64_f16 nn_cast_f64_bf16 nn_cast_f64_u8 nn_cast_f64_i32
// kernels: nn_cast_f16_f32 nn_cast_f16_f64 nn_cast_f16_bf16 nn_cast_f16_u8 nn_cast_f16_i32 nn_cast_bf16_f32
// kernels: nn_cast_bf16_f64 nn_cast_bf16_f16 nn_cast_bf16_u8 nn_cast_bf16_i32 nn_cast_u8_f32 nn_cast_u8_f64
// kernels: nn_cast_u8_f16 nn_cast_u8_bf16 nn_cast_u8_i32 nn_cast_i32_f32 nn_cast_i32_f64 nn_cast_i32_f16
// kernels: nn_cast_i32_bf16 nn_cast_i32_u8 nn_normalize_images_u8_f32 nn_normalize_images_u8_f16
// kernels: nn_normalize_images_u8_bf16
