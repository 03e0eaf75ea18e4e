// NativeNets CUDA kernels: max, average and adaptive average pooling over NCHW planes, and max and adaptive
// average pooling over NHWC (channels-last) images.
// Compiled at run time by NVRTC, after the shared helpers of common.cuh (no #include). See README.md;
// the CPU methods matched are in Layers/Backends/Cpu/CpuPooling.cs (windows, divisors, tie rules and
// summation order).
//
// All kernels are 2-D grid-stride loops: blockIdx.y walks the planes (N * C), blockIdx.x /
// threadIdx.x walk the elements of a plane (outputs for the forward kernels, inputs for the backward
// ones). Suggested: blockDim (256, 1), grid (min(ceil(plane elements / 256), 65535), min(planes, 65535)).
// The host computes OH and OW with Pool2dGeometry.OutputSize (ceil mode is only in OH / OW: a
// ceil-mode window that runs past the padded input is clipped, and its divisor counts only the part
// inside the padded input, as PyTorch). The backward kernels are gathers: each dx element adds the
// contributions of the windows that hold it, in row-major window order from 0, which is the order
// in which the CPU adds them, so dx is bit-identical to the CPU's; they overwrite dx (no zeroing, no
// atomics, deterministic). Division is IEEE (do not compile with -use_fast_math / -prec-div=false).
//
// Geometry parameters, in this order for the four fixed-window kernels:
//   int planes, int H, int W, int OH, int OW, int kernelH, int kernelW, int strideH, int strideW,
//   int padH, int padW, int countIncludePad   (countIncludePad is read by the average kernels only)

#define NN_POOL_PARAMS                                                                                                 \
    int planes, int H, int W, int OH, int OW, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW,  \
        int countIncludePad
#define NN_POOL_ARGS planes, H, W, OH, OW, kernelH, kernelW, strideH, strideW, padH, padW, countIncludePad

#define NN_PLANES(p) for (i64 p = blockIdx.y; p < planes; p += gridDim.y)
#define NN_IN_PLANE(e, count) for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < (count); e += gridDim.x * blockDim.x)

// Shares are dy * inv rounded, then added (nn_mul, common.cuh): never fused, as the CPU's two steps.
NN_DEV int nn_min(int a, int b) { return a < b ? a : b; }
NN_DEV int nn_max(int a, int b) { return a > b ? a : b; }

// ---- max pooling -------------------------------------------------------------------------------
// The window's first maximum in row-major order: a later value must be strictly greater; a NaN is
// taken at once and ends the scan (CpuBackend.MaxPoolT). Returns the flat index in the plane, or -1
// for an empty window (whose output is -infinity). The plane's element (ih, iw) is xp[(ih W + iw) step]: step 1 for
// NCHW, C for NHWC (channels last), where xp points at the image's channel.

template <typename E>
NN_DEV int nn_window_argmax(const E* xp, int H, int W, int oh, int ow, int kernelH, int kernelW, int strideH, int strideW,
    int padH, int padW, nn_c<E>* best_out, int step = 1)
{
    typedef nn_c<E> T;
    int h0 = oh * strideH - padH, w0 = ow * strideW - padW;
    int h1 = nn_min(h0 + kernelH, H), w1 = nn_min(w0 + kernelW, W);
    h0 = nn_max(h0, 0);
    w0 = nn_max(w0, 0);
    T best = (T)__longlong_as_double(0xFFF0000000000000ll); // -infinity
    int at = -1;
    for (int ih = h0; ih < h1; ih++)
        for (int iw = w0; iw < w1; iw++)
        {
            T v = nn_ld(xp, (i64)(ih * W + iw) * step);
            if (v > best || v != v || at < 0)
            {
                best = v;
                at = ih * W + iw;
                if (v != v) goto done;
            }
        }
done:
    *best_out = best;
    return at;
}

template <typename E>
NN_DEV void nn_maxpool_forward_body(const E* x, E* y, NN_POOL_PARAMS)
{
    typedef nn_c<E> T;
    int hw = H * W, ohw = OH * OW;
    NN_PLANES(p)
    {
        const E* xp = x + p * hw;
        NN_IN_PLANE(e, ohw)
        {
            int oh = e / OW, ow = e - oh * OW;
            T best;
            nn_window_argmax(xp, H, W, oh, ow, kernelH, kernelW, strideH, strideW, padH, padW, &best);
            nn_st(y, p * ohw + e, best);
        }
    }
}

// First and last window index along one axis whose window [o * s - pad, o * s - pad + k) holds i.
NN_DEV void nn_windows_holding(int i, int k, int s, int pad, int outs, int* first, int* last)
{
    int a = i + pad;
    *first = a < k ? 0 : (a - k) / s + 1;
    *last = nn_min(a / s, outs - 1);
}

// MaxPoolBackward in two passes. First each window's first maximum, as a flat index in its plane (-1 for an
// empty window), into at[planes * OH * OW]; then dx[i] = sum of dy over the windows whose first maximum is i,
// in window order (overwrites dx). One pass that searched every window holding each input read each input
// about k^2 * (k / s)^2 times (36 for 3x3 stride 2): 8.5 ms for ResNet-50's max-pool at batch 256 on an H200.
template <typename E>
NN_DEV void nn_maxpool_argmax_body(const E* x, int* at, NN_POOL_PARAMS)
{
    typedef nn_c<E> T;
    int hw = H * W, ohw = OH * OW;
    NN_PLANES(p)
    {
        const E* xp = x + p * hw;
        NN_IN_PLANE(e, ohw)
        {
            int oh = e / OW, ow = e - oh * OW;
            T best;
            at[p * ohw + e] = nn_window_argmax(xp, H, W, oh, ow, kernelH, kernelW, strideH, strideW, padH, padW, &best);
        }
    }
}

// Input (ih, iw): the sum of dy over the windows whose first maximum it is, in window order; the window (oh, ow)'s
// argmax and gradient are atp[(oh OW + ow) step] and dyp[(oh OW + ow) step] (step 1 for NCHW, C for NHWC).
template <typename E>
NN_DEV nn_c<E> nn_maxpool_input_grad(const int* atp, const E* dyp, i64 step, int ih, int iw, NN_POOL_PARAMS)
{
    typedef nn_c<E> T;
    int oh0, oh1, ow0, ow1;
    nn_windows_holding(ih, kernelH, strideH, padH, OH, &oh0, &oh1);
    nn_windows_holding(iw, kernelW, strideW, padW, OW, &ow0, &ow1);
    T acc = (T)0;
    for (int oh = oh0; oh <= oh1; oh++)
        for (int ow = ow0; ow <= ow1; ow++)
            if (atp[(oh * OW + ow) * step] == ih * W + iw) acc += nn_ld(dyp, (oh * OW + ow) * step);
    return acc;
}

template <typename E>
NN_DEV void nn_maxpool_backward_body(const int* at, const E* dy, E* dx, NN_POOL_PARAMS)
{
    int hw = H * W, ohw = OH * OW;
    NN_PLANES(p)
    {
        const int* atp = at + p * ohw;
        const E* dyp = dy + p * ohw;
        NN_IN_PLANE(e, hw)
        {
            int ih = e / W, iw = e - ih * W;
            nn_st(dx, p * hw + e, nn_maxpool_input_grad(atp, dyp, 1, ih, iw, NN_POOL_ARGS));
        }
    }
}

// ---- average pooling ---------------------------------------------------------------------------
// Window rows [h0, h1) clipped to the input; the divisor is, with countIncludePad, the window's size
// inside the padded input (a ceil-mode window is cut at H + padH), else the count of input elements
// in it; at least 1. y = (sum in row-major order from 0) * ((T)1 / (T)divisor), as CpuBackend.AvgPoolT.

struct nn_avg_window
{
    int h0, h1, w0, w1, divisor;
};

NN_DEV nn_avg_window nn_avg_window_at(int oh, int ow, int H, int W, int kernelH, int kernelW, int strideH, int strideW,
    int padH, int padW, int countIncludePad)
{
    nn_avg_window w;
    int h0 = oh * strideH - padH, h1 = nn_min(h0 + kernelH, H + padH);
    int w0 = ow * strideW - padW, w1 = nn_min(w0 + kernelW, W + padW);
    int padded = (h1 - h0) * (w1 - w0);
    w.h0 = nn_max(h0, 0);
    w.h1 = nn_min(h1, H);
    w.w0 = nn_max(w0, 0);
    w.w1 = nn_min(w1, W);
    w.divisor = nn_max(countIncludePad ? padded : (w.h1 - w.h0) * (w.w1 - w.w0), 1);
    return w;
}

template <typename E>
NN_DEV void nn_avgpool_forward_body(const E* x, E* y, NN_POOL_PARAMS)
{
    typedef nn_c<E> T;
    int hw = H * W, ohw = OH * OW;
    NN_PLANES(p)
    {
        const E* xp = x + p * hw;
        NN_IN_PLANE(e, ohw)
        {
            int oh = e / OW, ow = e - oh * OW;
            nn_avg_window w = nn_avg_window_at(oh, ow, H, W, kernelH, kernelW, strideH, strideW, padH, padW, countIncludePad);
            T sum = (T)0;
            for (int ih = w.h0; ih < w.h1; ih++)
                for (int iw = w.w0; iw < w.w1; iw++) sum += nn_ld(xp, ih * W + iw);
            nn_st(y, p * ohw + e, sum * ((T)1 / (T)w.divisor));
        }
    }
}

// dx[i] = sum over the windows holding i (row-major order, from 0) of dy * ((T)1 / (T)divisor).
template <typename E>
NN_DEV void nn_avgpool_backward_body(const E* dy, E* dx, NN_POOL_PARAMS)
{
    typedef nn_c<E> T;
    int hw = H * W, ohw = OH * OW;
    NN_PLANES(p)
    {
        const E* dyp = dy + p * ohw;
        NN_IN_PLANE(e, hw)
        {
            int ih = e / W, iw = e - ih * W;
            int oh0, oh1, ow0, ow1;
            nn_windows_holding(ih, kernelH, strideH, padH, OH, &oh0, &oh1);
            nn_windows_holding(iw, kernelW, strideW, padW, OW, &ow0, &ow1);
            T acc = (T)0;
            for (int oh = oh0; oh <= oh1; oh++)
                for (int ow = ow0; ow <= ow1; ow++)
                {
                    nn_avg_window w = nn_avg_window_at(oh, ow, H, W, kernelH, kernelW, strideH, strideW, padH, padW, countIncludePad);
                    acc += nn_mul(nn_ld(dyp, oh * OW + ow), (T)1 / (T)w.divisor);
                }
            nn_st(dx, p * hw + e, acc);
        }
    }
}

// ---- adaptive average pooling -----------------------------------------------------------------
// Window rows [floor(oh H / OH), ceil((oh + 1) H / OH)), columns likewise (AdaptiveAvgPool2d);
// y = sum * ((T)1 / (T)(window size)). Parameters: int planes, int H, int W, int OH, int OW.

NN_DEV int nn_adaptive_start(int o, int in, int out) { return (int)(((i64)o * in) / out); }
NN_DEV int nn_adaptive_end(int o, int in, int out) { return (int)((((i64)o + 1) * in + out - 1) / out); }

// Output (oh, ow): the mean of its window, summed in row-major order; the plane's element (ih, iw) is
// xp[(ih W + iw) step] (step 1 for NCHW, C for NHWC).
template <typename E>
NN_DEV nn_c<E> nn_adaptive_window_mean(const E* xp, i64 step, int H, int W, int OH, int OW, int oh, int ow)
{
    typedef nn_c<E> T;
    int h0 = nn_adaptive_start(oh, H, OH), h1 = nn_adaptive_end(oh, H, OH);
    int w0 = nn_adaptive_start(ow, W, OW), w1 = nn_adaptive_end(ow, W, OW);
    T sum = (T)0;
    for (int ih = h0; ih < h1; ih++)
        for (int iw = w0; iw < w1; iw++) sum += nn_ld(xp, (ih * W + iw) * step);
    return sum * ((T)1 / (T)((h1 - h0) * (w1 - w0)));
}

// Input (ih, iw): the sum over the windows holding it of dy / (window size), windows in row-major order; dyp as xp above.
template <typename E>
NN_DEV nn_c<E> nn_adaptive_input_grad(const E* dyp, i64 step, int H, int W, int OH, int OW, int ih, int iw)
{
    typedef nn_c<E> T;
    T acc = (T)0;
    // The first window holding ih is floor(ih OH / H); windows only move forward from there.
    for (int oh = (int)(((i64)ih * OH) / H); oh < OH && nn_adaptive_start(oh, H, OH) <= ih; oh++)
    {
        int h0 = nn_adaptive_start(oh, H, OH), h1 = nn_adaptive_end(oh, H, OH);
        if (ih >= h1) continue;
        for (int ow = (int)(((i64)iw * OW) / W); ow < OW && nn_adaptive_start(ow, W, OW) <= iw; ow++)
        {
            int w0 = nn_adaptive_start(ow, W, OW), w1 = nn_adaptive_end(ow, W, OW);
            if (iw >= w1) continue;
            acc += nn_mul(nn_ld(dyp, (oh * OW + ow) * step), (T)1 / (T)((h1 - h0) * (w1 - w0)));
        }
    }
    return acc;
}

template <typename E>
NN_DEV void nn_adaptive_forward_body(const E* x, E* y, int planes, int H, int W, int OH, int OW)
{
    int hw = H * W, ohw = OH * OW;
    NN_PLANES(p)
    {
        const E* xp = x + p * hw;
        NN_IN_PLANE(e, ohw)
        {
            int oh = e / OW, ow = e - oh * OW;
            nn_st(y, p * ohw + e, nn_adaptive_window_mean(xp, 1, H, W, OH, OW, oh, ow));
        }
    }
}

template <typename E>
NN_DEV void nn_adaptive_backward_body(const E* dy, E* dx, int planes, int H, int W, int OH, int OW)
{
    int hw = H * W, ohw = OH * OW;
    NN_PLANES(p)
    {
        const E* dyp = dy + p * ohw;
        NN_IN_PLANE(e, hw)
        {
            int ih = e / W, iw = e - ih * W;
            nn_st(dx, p * hw + e, nn_adaptive_input_grad(dyp, 1, H, W, OH, OW, ih, iw));
        }
    }
}

// ---- channels last (NHWC) -----------------------------------------------------------------------
// The same windows, tie rules and summation orders, over [N, H, W, C] memory: one thread per element (n, oh, ow, c) or
// (n, ih, iw, c), c fastest, so that a warp reads consecutive channels. 1-D grid-stride loops; parameters are the
// fixed-window ones (planes = N * C) followed by int C. Suggested: block 256, grid min(ceil(count / 256), 32 per SM).

#define NN_NHWC_SPLIT(i, C, OW, OH, n, oh, ow, c)                                                                      \
    int c = (int)((i) % (C));                                                                                         \
    i64 nn_rest = (i) / (C);                                                                                          \
    int ow = (int)(nn_rest % (OW));                                                                                   \
    nn_rest /= (OW);                                                                                                  \
    int oh = (int)(nn_rest % (OH));                                                                                   \
    int n = (int)(nn_rest / (OH));

template <typename E>
NN_DEV void nn_maxpool_forward_nhwc_body(const E* x, E* y, int* at, NN_POOL_PARAMS, int C)
{
    typedef nn_c<E> T;
    i64 total = (i64)(planes / C) * OH * OW * C;
    NN_FOR(i, total)
    {
        NN_NHWC_SPLIT(i, C, OW, OH, n, oh, ow, c)
        const E* xp = x + (i64)n * H * W * C + c;
        T best;
        int where = nn_window_argmax(xp, H, W, oh, ow, kernelH, kernelW, strideH, strideW, padH, padW, &best, C);
        if (y) nn_st(y, i, best);
        if (at) at[i] = where;
    }
}

template <typename E>
NN_DEV void nn_maxpool_backward_nhwc_body(const int* at, const E* dy, E* dx, NN_POOL_PARAMS, int C)
{
    i64 total = (i64)(planes / C) * H * W * C;
    NN_FOR(i, total)
    {
        NN_NHWC_SPLIT(i, C, W, H, n, ih, iw, c)
        i64 image = (i64)n * OH * OW * C + c;
        nn_st(dx, i, nn_maxpool_input_grad(at + image, dy + image, C, ih, iw, NN_POOL_ARGS));
    }
}

template <typename E>
NN_DEV void nn_adaptive_forward_nhwc_body(const E* x, E* y, int planes, int H, int W, int OH, int OW, int C)
{
    i64 total = (i64)(planes / C) * OH * OW * C;
    NN_FOR(i, total)
    {
        NN_NHWC_SPLIT(i, C, OW, OH, n, oh, ow, c)
        nn_st(y, i, nn_adaptive_window_mean(x + (i64)n * H * W * C + c, C, H, W, OH, OW, oh, ow));
    }
}

template <typename E>
NN_DEV void nn_adaptive_backward_nhwc_body(const E* dy, E* dx, int planes, int H, int W, int OH, int OW, int C)
{
    i64 total = (i64)(planes / C) * H * W * C;
    NN_FOR(i, total)
    {
        NN_NHWC_SPLIT(i, C, W, H, n, ih, iw, c)
        nn_st(dx, i, nn_adaptive_input_grad(dy + (i64)n * OH * OW * C + c, C, H, W, OH, OW, ih, iw));
    }
}

#define NN_POOL_KERNELS(S)                                                                                            \
    extern "C" __global__ void nn_maxpool_forward_##S(const NN_P_##S* x, NN_P_##S* y, NN_POOL_PARAMS)                \
    {                                                                                                                 \
        nn_maxpool_forward_body<NN_E_##S>((const NN_E_##S*)x, (NN_E_##S*)y, NN_POOL_ARGS);                            \
    }                                                                                                                 \
    extern "C" __global__ void nn_maxpool_argmax_##S(const NN_P_##S* x, int* at, NN_POOL_PARAMS)                     \
    {                                                                                                                 \
        nn_maxpool_argmax_body<NN_E_##S>((const NN_E_##S*)x, at, NN_POOL_ARGS);                                       \
    }                                                                                                                 \
    extern "C" __global__ void nn_maxpool_backward_##S(const int* at, const NN_P_##S* dy, NN_P_##S* dx,              \
        NN_POOL_PARAMS)                                                                                               \
    {                                                                                                                 \
        nn_maxpool_backward_body<NN_E_##S>(at, (const NN_E_##S*)dy, (NN_E_##S*)dx, NN_POOL_ARGS);                     \
    }                                                                                                                 \
    extern "C" __global__ void nn_avgpool_forward_##S(const NN_P_##S* x, NN_P_##S* y, NN_POOL_PARAMS)                \
    {                                                                                                                 \
        nn_avgpool_forward_body<NN_E_##S>((const NN_E_##S*)x, (NN_E_##S*)y, NN_POOL_ARGS);                            \
    }                                                                                                                 \
    extern "C" __global__ void nn_avgpool_backward_##S(const NN_P_##S* dy, NN_P_##S* dx, NN_POOL_PARAMS)             \
    {                                                                                                                 \
        nn_avgpool_backward_body<NN_E_##S>((const NN_E_##S*)dy, (NN_E_##S*)dx, NN_POOL_ARGS);                         \
    }                                                                                                                 \
    extern "C" __global__ void nn_adaptive_avgpool_forward_##S(const NN_P_##S* x, NN_P_##S* y, int planes, int H,    \
        int W, int OH, int OW)                                                                                        \
    {                                                                                                                 \
        nn_adaptive_forward_body<NN_E_##S>((const NN_E_##S*)x, (NN_E_##S*)y, planes, H, W, OH, OW);                   \
    }                                                                                                                 \
    extern "C" __global__ void nn_adaptive_avgpool_backward_##S(const NN_P_##S* dy, NN_P_##S* dx, int planes, int H, \
        int W, int OH, int OW)                                                                                        \
    {                                                                                                                 \
        nn_adaptive_backward_body<NN_E_##S>((const NN_E_##S*)dy, (NN_E_##S*)dx, planes, H, W, OH, OW);                \
    }                                                                                                                 \
    extern "C" __global__ void nn_maxpool_forward_nhwc_##S(const NN_P_##S* x, NN_P_##S* y, NN_POOL_PARAMS, int C)     \
    {                                                                                                                 \
        nn_maxpool_forward_nhwc_body<NN_E_##S>((const NN_E_##S*)x, (NN_E_##S*)y, (int*)0, NN_POOL_ARGS, C);           \
    }                                                                                                                 \
    extern "C" __global__ void nn_maxpool_argmax_nhwc_##S(const NN_P_##S* x, int* at, NN_POOL_PARAMS, int C)          \
    {                                                                                                                 \
        nn_maxpool_forward_nhwc_body<NN_E_##S>((const NN_E_##S*)x, (NN_E_##S*)0, at, NN_POOL_ARGS, C);                \
    }                                                                                                                 \
    extern "C" __global__ void nn_maxpool_backward_nhwc_##S(const int* at, const NN_P_##S* dy, NN_P_##S* dx,         \
        NN_POOL_PARAMS, int C)                                                                                        \
    {                                                                                                                 \
        nn_maxpool_backward_nhwc_body<NN_E_##S>(at, (const NN_E_##S*)dy, (NN_E_##S*)dx, NN_POOL_ARGS, C);             \
    }                                                                                                                 \
    extern "C" __global__ void nn_adaptive_avgpool_forward_nhwc_##S(const NN_P_##S* x, NN_P_##S* y, int planes,     \
        int H, int W, int OH, int OW, int C)                                                                          \
    {                                                                                                                 \
        nn_adaptive_forward_nhwc_body<NN_E_##S>((const NN_E_##S*)x, (NN_E_##S*)y, planes, H, W, OH, OW, C);           \
    }                                                                                                                 \
    extern "C" __global__ void nn_adaptive_avgpool_backward_nhwc_##S(const NN_P_##S* dy, NN_P_##S* dx, int planes,  \
        int H, int W, int OH, int OW, int C)                                                                          \
    {                                                                                                                 \
        nn_adaptive_backward_nhwc_body<NN_E_##S>((const NN_E_##S*)dy, (NN_E_##S*)dx, planes, H, W, OH, OW, C);        \
    }

// F16 / BF16: windows read as float, sums in float, each output rounded once (as the CPU's f32 kernels on
// widened tensors).
NN_POOL_KERNELS(f32)
NN_POOL_KERNELS(f64)
NN_POOL_KERNELS(f16)
NN_POOL_KERNELS(bf16)

// The kernels this file defines, for README.md and runtime/scripts/check-kernels.sh (which checks this
// list against the compiled PTX):
// kernels: nn_maxpool_forward_f32 nn_maxpool_argmax_f32 nn_maxpool_backward_f32 nn_avgpool_forward_f32
// kernels: nn_avgpool_backward_f32 nn_adaptive_avgpool_forward_f32 nn_adaptive_avgpool_backward_f32
// kernels: nn_maxpool_forward_nhwc_f32 nn_maxpool_argmax_nhwc_f32 nn_maxpool_backward_nhwc_f32
// kernels: nn_adaptive_avgpool_forward_nhwc_f32 nn_adaptive_avgpool_backward_nhwc_f32 nn_maxpool_forward_f64
// kernels: nn_maxpool_argmax_f64 nn_maxpool_backward_f64 nn_avgpool_forward_f64 nn_avgpool_backward_f64
// kernels: nn_adaptive_avgpool_forward_f64 nn_adaptive_avgpool_backward_f64 nn_maxpool_forward_nhwc_f64
// kernels: nn_maxpool_argmax_nhwc_f64 nn_maxpool_backward_nhwc_f64 nn_adaptive_avgpool_forward_nhwc_f64
// kernels: nn_adaptive_avgpool_backward_nhwc_f64 nn_maxpool_forward_f16 nn_maxpool_argmax_f16 nn_maxpool_backward_f16
// kernels: nn_avgpool_forward_f16 nn_avgpool_backward_f16 nn_adaptive_avgpool_forward_f16
// kernels: nn_adaptive_avgpool_backward_f16 nn_maxpool_forward_nhwc_f16 nn_maxpool_argmax_nhwc_f16
// kernels: nn_maxpool_backward_nhwc_f16 nn_adaptive_avgpool_forward_nhwc_f16 nn_adaptive_avgpool_backward_nhwc_f16
// kernels: nn_maxpool_forward_bf16 nn_maxpool_argmax_bf16 nn_maxpool_backward_bf16 nn_avgpool_forward_bf16
// kernels: nn_avgpool_backward_bf16 nn_adaptive_avgpool_forward_bf16 nn_adaptive_avgpool_backward_bf16
// kernels: nn_maxpool_forward_nhwc_bf16 nn_maxpool_argmax_nhwc_bf16 nn_maxpool_backward_nhwc_bf16
// kernels: nn_adaptive_avgpool_forward_nhwc_bf16 nn_adaptive_avgpool_backward_nhwc_bf16
