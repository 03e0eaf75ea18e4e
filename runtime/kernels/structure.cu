// NativeNets CUDA kernels: row gathers, channel copies, the zero-padded ResNet shortcut, dropout and
// the inference-mode batch-norm backward. Compiled at run time by NVRTC, after the shared helpers of
// common.cuh (no #include). See README.md; the CPU methods matched are in
// Layers/Backends/Cpu/CpuStructure.cs, CpuBackend.cs (GatherRows) and CpuNormalization.cs
// (BatchNormBackwardInference).

// ---- GatherRows ------------------------------------------------------------------------------------
// dst row i = src row rows[i], rowBytes bytes each (rows of any dtype). One block per destination row
// (grid-stride over rows), threads over the row: 16 bytes at a time when rowBytes and both pointers are
// 16-byte aligned, 4 bytes when 4-byte aligned, else bytes. An index outside [0, sourceRows) writes
// i + 1 into *error (zeroed by the host; the lowest such i wins) and leaves that destination row alone.
// Launch: blockDim 256 (any), grid min(count, 65535).

extern "C" __global__ void nn_gather_rows(const unsigned char* src, const int* rows, unsigned char* dst, int count,
    long long rowBytes, int sourceRows, int* error)
{
    u64 align = (u64)src | (u64)dst | (u64)rowBytes;
    for (int i = blockIdx.x; i < count; i += gridDim.x)
    {
        int r = rows[i];
        if (r < 0 || r >= sourceRows)
        {
            if (threadIdx.x == 0) nn_report_min(error, i + 1);
            continue;
        }
        const u8* s = src + (i64)r * rowBytes;
        u8* d = dst + (i64)i * rowBytes;
        if ((align & 15) == 0)
        {
            const uint4* s4 = (const uint4*)s;
            uint4* d4 = (uint4*)d;
            for (i64 j = threadIdx.x; j < rowBytes / 16; j += blockDim.x) d4[j] = s4[j];
        }
        else if ((align & 3) == 0)
        {
            const u32* s4 = (const u32*)s;
            u32* d4 = (u32*)d;
            for (i64 j = threadIdx.x; j < rowBytes / 4; j += blockDim.x) d4[j] = s4[j];
        }
        else
        {
            for (i64 j = threadIdx.x; j < rowBytes; j += blockDim.x) d[j] = s[j];
        }
    }
}

// ---- channel copies (concatenation) ------------------------------------------------------------------
// CopyIntoChannels: dst[n, offset + c, :] = src[n, c, :] for c < Cs (src [N, Cs, HW], dst [N, C, HW]).
// CopyFromChannels: dst[n, c, :] = src[n, offset + c, :] for c < Cd (src [N, C, HW], dst [N, Cd, HW]).
// For each n the part is one contiguous block of Cs * HW elements on both sides. 2-D grid-stride:
// y over n, x over the block. Suggested: blockDim (256, 1), grid (min(ceil(Cs HW / 256), 65535), min(N, 65535)).

template <typename T>
NN_DEV void nn_copy_channels_body(const T* src, T* dst, int n, i64 block, i64 src_stride, i64 src_offset, i64 dst_stride,
    i64 dst_offset)
{
    for (i64 ni = blockIdx.y; ni < n; ni += gridDim.y)
    {
        const T* s = src + ni * src_stride + src_offset;
        T* d = dst + ni * dst_stride + dst_offset;
        for (i64 j = (i64)blockIdx.x * blockDim.x + threadIdx.x; j < block; j += (i64)gridDim.x * blockDim.x) d[j] = s[j];
    }
}

// ---- the parameter-free shortcut (option A): y[:, padBefore + c] = x[:, c, ::stride, ::stride] -------
// Forward writes every element of y (zeros outside channels [padBefore, padBefore + C)); backward
// writes every element of dx (dy where h and w are multiples of stride, zeros elsewhere), so the
// host zeroes nothing. OH = ceil(H / stride), OW = ceil(W / stride) and OC >= padBefore + C, checked
// by the host. 2-D grid-stride: y over planes (N * OC forward, N * C backward), x over the plane.

template <typename E>
NN_DEV void nn_pad_shortcut_forward_body(const E* x, E* y, int n, int c, int h, int w, int oc, int oh, int ow, int stride,
    int pad_before)
{
    typedef nn_c<E> T;
    i64 planes = (i64)n * oc;
    int ohw = oh * ow;
    for (i64 p = blockIdx.y; p < planes; p += gridDim.y)
    {
        int ni = (int)(p / oc), ci = (int)(p % oc) - pad_before;
        E* yp = y + p * ohw;
        const E* xp = x + ((i64)ni * c + ci) * h * w;
        bool inside = ci >= 0 && ci < c;
        for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < ohw; e += gridDim.x * blockDim.x)
        {
            int i = e / ow, j = e - i * ow;
            nn_st(yp, e, inside ? nn_ld(xp, (i64)i * stride * w + (i64)j * stride) : (T)0);
        }
    }
}

template <typename E>
NN_DEV void nn_pad_shortcut_backward_body(const E* dy, E* dx, int n, int c, int h, int w, int oc, int oh, int ow, int stride,
    int pad_before)
{
    typedef nn_c<E> T;
    i64 planes = (i64)n * c;
    int hw = h * w;
    for (i64 p = blockIdx.y; p < planes; p += gridDim.y)
    {
        int ni = (int)(p / c), ci = (int)(p % c);
        E* dxp = dx + p * hw;
        const E* dyp = dy + ((i64)ni * oc + pad_before + ci) * oh * ow;
        for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < hw; e += gridDim.x * blockDim.x)
        {
            int i = e / w, j = e - i * w;
            nn_st(dxp, e, (i % stride == 0 && j % stride == 0) ? nn_ld(dyp, (i / stride) * ow + j / stride) : (T)0);
        }
    }
}

// ---- dropout ----------------------------------------------------------------------------------------
// Element i is kept when splitmix64 of the state seed + i * 0x9E3779B97F4A7C15 (one step of
// Rng.SplitMix64: the state advances by the gamma, then is mixed) is >= (ulong)(p * 2^64); mask[i] = 1
// when kept. y = kept ? x * (T)(1 / (1 - p)) : 0. Bit-identical to CpuBackend.DropoutForward. The host
// checks 0 <= p < 1. 1-D grid-stride (any grid).

NN_DEV u64 nn_splitmix64(u64 state)
{
    u64 z = state + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

template <typename E>
NN_DEV void nn_dropout_forward_body(const E* x, E* y, u8* mask, i64 n, double p, u64 seed)
{
    typedef nn_c<E> T;
    u64 threshold = (u64)(p * 18446744073709551616.0);
    T scale = (T)(1.0 / (1.0 - p));
    NN_FOR(i, n)
    {
        bool keep = nn_splitmix64(seed + (u64)i * 0x9E3779B97F4A7C15ull) >= threshold;
        mask[i] = keep ? 1 : 0;
        nn_st(y, i, keep ? nn_mul(nn_ld(x, i), scale) : (T)0);
    }
}

template <typename E>
NN_DEV void nn_dropout_backward_body(const E* dy, const u8* mask, E* dx, i64 n, double p)
{
    typedef nn_c<E> T;
    T scale = (T)(1.0 / (1.0 - p));
    NN_FOR(i, n) nn_st(dx, i, mask[i] != 0 ? nn_mul(nn_ld(dy, i), scale) : (T)0);
}

// ---- batch norm backward, inference mode --------------------------------------------------------------
// As CpuBackend.BatchNormBackwardInference: invStd = (T)(1 / sqrt((double)runningVar[c] + epsilon)),
// then with istd = (double)invStd and mean = runningMean[c]:
//   dgamma[c] += (T)(istd * sum(dy * (x - mean)));   dbeta[c] += (T)sum(dy);   dx = dy * (T)(gamma[c] * istd)
// (x - mean) is rounded in T as on the CPU; the sums are accumulated in double (the CPU sums each
// plane in T, then planes in double), so dgamma and dbeta agree to a few ulps; dx is bit-identical.
// One block per channel (grid-stride over channels), blockDim a multiple of 32, at most 1024 (256
// suggested); the block walks the channel's N * HW elements flat, reading each once, so dx may alias dy.
// F16 / BF16 data (x, dy, dx) go with F32 parameters and statistics (gamma, dgamma, dbeta, runningMean,
// runningVar: float*), as cuDNN's batch norm takes them; everything is computed in float as the f32
// kernel does, and each dx is rounded once.

template <typename E>
NN_DEV void nn_bn_backward_inference_body(const E* x, const E* dy, E* dx, const nn_c<E>* gamma, nn_c<E>* dgamma,
    nn_c<E>* dbeta, const nn_c<E>* running_mean, const nn_c<E>* running_var, int n, int c, int hw, double epsilon)
{
    typedef nn_c<E> T;
    i64 total = (i64)n * hw;
    int hws = hw > 0 ? hw : 1;
    int step_n = (int)blockDim.x / hws, step_j = (int)blockDim.x % hws;
    for (int ch = blockIdx.x; ch < c; ch += gridDim.x)
    {
        T inv_std = (T)(1.0 / sqrt((double)running_var[ch] + epsilon));
        double istd = (double)inv_std;
        T mean = running_mean[ch];
        T a = (T)((double)gamma[ch] * istd);
        double sum_dy = 0.0, sum_dy_centred = 0.0;
        i64 ni = threadIdx.x / hws;
        int j = threadIdx.x % hws;
        for (i64 i = threadIdx.x; i < total; i += blockDim.x)
        {
            i64 off = (ni * c + ch) * hw + j;
            T g = nn_ld(dy, off);
            T centred = nn_ld(x, off) - mean;
            sum_dy += (double)g;
            sum_dy_centred += (double)g * (double)centred;
            nn_st(dx, off, nn_mul(g, a));
            j += step_j;
            ni += step_n;
            if (j >= hw) { j -= hw; ni++; }
        }
        sum_dy = nn_block_sum(sum_dy);
        sum_dy_centred = nn_block_sum(sum_dy_centred);
        if (threadIdx.x == 0)
        {
            dgamma[ch] += (T)(istd * sum_dy_centred);
            dbeta[ch] += (T)sum_dy;
        }
    }
}

// ---- layouts -------------------------------------------------------------------------------------
// Each of `images` [rows x cols] matrices transposed into [cols x rows]: NCHW to NHWC is rows = C, cols = H W; NHWC to
// NCHW is rows = H W, cols = C (ConvertLayout; a [K, C, R, S] filter is an image of K). Elements move unchanged, through
// a 32 x 33 shared tile so that both the reads and the writes are coalesced. Block (32, 8); grid (ceil(cols / 32),
// min(ceil(rows / 32), 65535), min(images, 65535)); the y and z loops cover the rest.
template <typename P>
NN_DEV void nn_transpose_images_body(const P* src, P* dst, int rows, int cols, int images)
{
    __shared__ P tile[32][33];
    for (i64 img = blockIdx.z; img < images; img += gridDim.z)
    {
        const P* s = src + img * rows * cols;
        P* d = dst + img * rows * cols;
        for (int r0 = blockIdx.y * 32; r0 < rows; r0 += gridDim.y * 32)
        {
            int c0 = blockIdx.x * 32;
            for (int j = threadIdx.y; j < 32; j += 8)
            {
                int r = r0 + j, c = c0 + threadIdx.x;
                if (r < rows && c < cols) tile[j][threadIdx.x] = s[(i64)r * cols + c];
            }
            __syncthreads();
            for (int j = threadIdx.y; j < 32; j += 8)
            {
                int c = c0 + j, r = r0 + threadIdx.x;
                if (c < cols && r < rows) d[(i64)c * rows + r] = tile[threadIdx.x][j];
            }
            __syncthreads();
        }
    }
}

// Channel copies move elements unchanged (F16 / BF16 bits included); the other kernels load, compute and
// store through nn_ld / nn_st (F16 / BF16: float arithmetic, one rounding per output).
#define NN_STRUCTURE_KERNELS(S)                                                                                       \
    extern "C" __global__ void nn_transpose_images_##S(const NN_P_##S* src, NN_P_##S* dst, int rows, int cols,       \
        int images)                                                                                                   \
    {                                                                                                                 \
        nn_transpose_images_body<NN_P_##S>(src, dst, rows, cols, images);                                             \
    }                                                                                                                 \
    extern "C" __global__ void nn_copy_into_channels_##S(const NN_P_##S* src, NN_P_##S* dst, int N, int Cs, int C,   \
        int HW, int offset)                                                                                           \
    {                                                                                                                 \
        nn_copy_channels_body<NN_P_##S>(src, dst, N, (i64)Cs * HW, (i64)Cs * HW, 0, (i64)C * HW, (i64)offset * HW);   \
    }                                                                                                                 \
    extern "C" __global__ void nn_copy_from_channels_##S(const NN_P_##S* src, NN_P_##S* dst, int N, int C, int Cd,   \
        int HW, int offset)                                                                                           \
    {                                                                                                                 \
        nn_copy_channels_body<NN_P_##S>(src, dst, N, (i64)Cd * HW, (i64)C * HW, (i64)offset * HW, (i64)Cd * HW, 0);   \
    }                                                                                                                 \
    extern "C" __global__ void nn_pad_shortcut_forward_##S(const NN_P_##S* x, NN_P_##S* y, int N, int C, int H,      \
        int W, int OC, int OH, int OW, int stride, int padBefore)                                                     \
    {                                                                                                                 \
        nn_pad_shortcut_forward_body<NN_E_##S>((const NN_E_##S*)x, (NN_E_##S*)y, N, C, H, W, OC, OH, OW, stride,      \
            padBefore);                                                                                               \
    }                                                                                                                 \
    extern "C" __global__ void nn_pad_shortcut_backward_##S(const NN_P_##S* dy, NN_P_##S* dx, int N, int C, int H,   \
        int W, int OC, int OH, int OW, int stride, int padBefore)                                                     \
    {                                                                                                                 \
        nn_pad_shortcut_backward_body<NN_E_##S>((const NN_E_##S*)dy, (NN_E_##S*)dx, N, C, H, W, OC, OH, OW, stride,   \
            padBefore);                                                                                               \
    }                                                                                                                 \
    extern "C" __global__ void nn_dropout_forward_##S(const NN_P_##S* x, NN_P_##S* y, unsigned char* mask,            \
        long long n, double p, unsigned long long seed)                                                               \
    {                                                                                                                 \
        nn_dropout_forward_body<NN_E_##S>((const NN_E_##S*)x, (NN_E_##S*)y, mask, n, p, seed);                        \
    }                                                                                                                 \
    extern "C" __global__ void nn_dropout_backward_##S(const NN_P_##S* dy, const unsigned char* mask, NN_P_##S* dx,  \
        long long n, double p)                                                                                        \
    {                                                                                                                 \
        nn_dropout_backward_body<NN_E_##S>((const NN_E_##S*)dy, mask, (NN_E_##S*)dx, n, p);                           \
    }                                                                                                                 \
    extern "C" __global__ void nn_batchnorm_backward_inference_##S(const NN_P_##S* x, const NN_P_##S* dy,            \
        NN_P_##S* dx, const NN_C_##S* gamma, NN_C_##S* dgamma, NN_C_##S* dbeta, const NN_C_##S* runningMean,          \
        const NN_C_##S* runningVar, int N, int C, int HW, double epsilon)                                             \
    {                                                                                                                 \
        nn_bn_backward_inference_body<NN_E_##S>((const NN_E_##S*)x, (const NN_E_##S*)dy, (NN_E_##S*)dx, gamma,        \
            dgamma, dbeta, runningMean, runningVar, N, C, HW, epsilon);                                               \
    }

NN_STRUCTURE_KERNELS(f32)
NN_STRUCTURE_KERNELS(f64)
NN_STRUCTURE_KERNELS(f16)
NN_STRUCTURE_KERNELS(bf16)

// The kernels this file defines, for README.md and runtime/scripts/check-kernels.sh (which checks this
// list against the compiled PTX):
// kernels: nn_gather_rows nn_copy_into_channels_f32 nn_copy_from_channels_f32 nn_pad_shortcut_forward_f32
// kernels: nn_pad_shortcut_backward_f32 nn_dropout_forward_f32 nn_dropout_backward_f32
// kernels: nn_batchnorm_backward_inference_f32 nn_copy_into_channels_f64 nn_copy_from_channels_f64
// kernels: nn_pad_shortcut_forward_f64 nn_pad_shortcut_backward_f64 nn_dropout_forward_f64
// kernels: nn_dropout_backward_f64 nn_batchnorm_backward_inference_f64 nn_copy_into_channels_f16
// kernels: nn_copy_from_channels_f16 nn_pad_shortcut_forward_f16 nn_pad_shortcut_backward_f16
// kernels: nn_dropout_forward_f16 nn_dropout_backward_f16 nn_batchnorm_backward_inference_f16
// kernels: nn_copy_into_channels_bf16 nn_copy_from_channels_bf16 nn_pad_shortcut_forward_bf16
// kernels: nn_pad_shortcut_backward_bf16 nn_dropout_forward_bf16 nn_dropout_backward_bf16
// kernels: nn_batchnorm_backward_inference_bf16
// kernels: nn_transpose_images_f32 nn_transpose_images_f64 nn_transpose_images_f16 nn_transpose_images_bf16
