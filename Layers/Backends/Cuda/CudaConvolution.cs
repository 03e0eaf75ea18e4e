using NativeNets.Native;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// Convolutions through cuDNN's legacy API: descriptors and algorithms are made once per shape (a "plan") and kept; the
// algorithms are chosen by cudnnFind*Ex, which times them on this GPU, and their workspace comes from the stream-ordered pool.
// F16 / BF16: HALF / BFLOAT16 tensor and filter descriptors with FLOAT compute (cuDNN's pseudo-half configuration:
// F32 accumulation, each output rounded once), tensor-core math allowed, float alpha / beta; plans are keyed by dtype.
// Each choice also goes into a ConvolutionAlgorithmCache, saved to the file NATIVENETS_CONV_ALGO_CACHE names (if any) and
// read by the next run, which then skips Find for that shape: it asks cuDNN only for the stored algorithm's workspace size.
public sealed unsafe partial class CudaBackend
{
    private long? _convolutionWorkspaceLimit;

    /// <summary>
    /// The most workspace a convolution algorithm may take, in bytes. By default an eighth of the GPU's memory, at least
    /// 1 GiB and at most 8 GiB (NATIVENETS_CONV_WORKSPACE_MB sets it): PyTorch lets cuDNN take what it asks for, and a
    /// limit that is too low leaves the algorithms that need more out of the search (the first H200 runs, at a fixed 1 GiB,
    /// ran a non-tensor-core weight gradient for ResNet-50's first layer; whether the limit was why is not measured yet).
    /// Setting it forgets the algorithms chosen so far.
    /// </summary>
    public long ConvolutionWorkspaceLimit
    {
        get => _convolutionWorkspaceLimit ??= DefaultWorkspaceLimit(Info.TotalMemory, Environment.GetEnvironmentVariable("NATIVENETS_CONV_WORKSPACE_MB"));
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _convolutionWorkspaceLimit = value;
            ClearConvolutionPlans();
        }
    }

    /// <summary>An eighth of <paramref name="totalMemory"/>, clamped to [1 GiB, 8 GiB]; or <paramref name="megabytes"/> MiB where given.</summary>
    internal static long DefaultWorkspaceLimit(long totalMemory, string? megabytes)
    {
        if (!string.IsNullOrWhiteSpace(megabytes))
            return long.TryParse(megabytes, out var mb) && mb >= 0
                ? mb << 20
                : throw new ArgumentException($"NATIVENETS_CONV_WORKSPACE_MB='{megabytes}': expected a whole number of MiB (0 or more)");
        return Math.Clamp(totalMemory / 8, 1L << 30, 8L << 30);
    }

    private readonly Dictionary<ConvolutionKey, ConvolutionPlan> _convolutionPlans = new();

    private readonly record struct ConvolutionKey(int N, int C, int H, int W, int K, int KH, int KW, Conv2dGeometry Geometry, DType DType, bool Tf32, Layout Layout);

    private ConvolutionAlgorithmCache? _algorithmCache;

    /// <summary>The algorithms chosen on this GPU, this run's and (with NATIVENETS_CONV_ALGO_CACHE) earlier runs'; read at the first convolution.</summary>
    private ConvolutionAlgorithmCache AlgorithmCache =>
        _algorithmCache ??= ConvolutionAlgorithmCache.FromEnvironment(new(Info.Name, Info.ComputeCapability, (long)Cudnn.cudnnGetVersion()));

    /// <summary>The descriptors of one convolution shape, and the algorithm chosen for each direction (found on first use).</summary>
    private sealed class ConvolutionPlan : IDisposable
    {
        public nint X, W, Y, Conv, Bias;
        public int OutH, OutW;
        public ConvolutionKey Key;
        public cudnnDataType_t Type;
        /// <summary>x, y and the filter's memory format: NCHW (filter KCRS), or NHWC (channels last; filter KRSC).</summary>
        public cudnnTensorFormat_t Format;
        /// <summary>The math type Find runs under (<see cref="MathType"/>); each chosen algorithm brings its own for running.</summary>
        public cudnnMathType_t Math;
        public (cudnnConvolutionFwdAlgo_t Algo, nuint Workspace, cudnnMathType_t Math)? Forward;
        public (cudnnConvolutionBwdDataAlgo_t Algo, nuint Workspace, cudnnMathType_t Math)? BackwardData;
        public (cudnnConvolutionBwdFilterAlgo_t Algo, nuint Workspace, cudnnMathType_t Math)? BackwardFilter;

        public void Dispose()
        {
            Cudnn.cudnnDestroyTensorDescriptor(X);
            Cudnn.cudnnDestroyTensorDescriptor(Y);
            Cudnn.cudnnDestroyTensorDescriptor(Bias);
            Cudnn.cudnnDestroyFilterDescriptor(W);
            Cudnn.cudnnDestroyConvolutionDescriptor(Conv);
        }
    }

    private static cudnnDataType_t CudnnType(string op, Tensor t) => t.DType switch
    {
        DType.F32 => cudnnDataType_t.CUDNN_DATA_FLOAT,
        DType.F64 => cudnnDataType_t.CUDNN_DATA_DOUBLE,
        DType.F16 => cudnnDataType_t.CUDNN_DATA_HALF,
        DType.BF16 => cudnnDataType_t.CUDNN_DATA_BFLOAT16,
        _ => throw Unsupported(op, t),
    };

    /// <summary>The arithmetic of a convolution on <paramref name="data"/>: FLOAT for HALF / BFLOAT16 data, the data type otherwise.</summary>
    private static cudnnDataType_t ComputeType(cudnnDataType_t data) =>
        data is cudnnDataType_t.CUDNN_DATA_HALF or cudnnDataType_t.CUDNN_DATA_BFLOAT16 ? cudnnDataType_t.CUDNN_DATA_FLOAT : data;

    /// <summary>A packed tensor descriptor, NCHW unless <paramref name="layout"/> says NHWC (a rank-2 [N, C] tensor is [N, C, 1, 1]).</summary>
    private static nint TensorDescriptor(cudnnDataType_t type, int n, int c, int h, int w, Layout layout = Layout.NCHW)
    {
        nint d;
        Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(&d));
        Cudnn.Check(Cudnn.cudnnSetTensor4dDescriptor(d, Format(layout), type, n, c, h, w));
        return d;
    }

    private static cudnnTensorFormat_t Format(Layout layout) =>
        layout == Layout.NHWC ? cudnnTensorFormat_t.CUDNN_TENSOR_NHWC : cudnnTensorFormat_t.CUDNN_TENSOR_NCHW;

    /// <summary>
    /// The weights as a channels-last convolution reads them: a KRSC copy of the KCRS tensor (a filter is an image of K),
    /// made for each call, since the weights change every step; a few microseconds beside the convolution.
    /// </summary>
    private Tensor ChannelsLastWeights(Tensor w)
    {
        var copy = new Tensor(w.Shape, w.DType, Device, Layout.NHWC);
        ConvertLayout(w, copy);
        return copy;
    }

    private static (int N, int C, int H, int W) Nchw(string op, string name, Tensor t)
    {
        if (t.Rank == 4) return (t[0], t[1], t[2], t[3]);
        if (t.Rank == 2) return (t[0], t[1], 1, 1);
        throw new ArgumentException($"{op}: {name} has shape {t.ShapeText}, expected [N, C, H, W]");
    }

    private ConvolutionPlan Plan(string op, Tensor x, Tensor w, Conv2dGeometry g)
    {
        Check.Rank(op, "x", x, 4);
        Check.Rank(op, "w", w, 4);
        var type = CudnnType(op, x);
        if (w.DType != x.DType) throw new ArgumentException($"{op}: w is {w.DType.Name()} but x is {x.DType.Name()}");
        if (x[1] != w[1] * g.Groups)
            throw new ArgumentException($"{op}: x has {x[1]} channels but w {w.ShapeText} with {g.Groups} group(s) expects {w[1] * g.Groups}");
        if (w[0] % g.Groups != 0)
            throw new ArgumentException($"{op}: {w[0]} output channels do not split into {g.Groups} groups");
        if (w.Layout != Layout.NCHW) throw new ArgumentException($"{op}: the weights {w} must be KCRS (NCHW)");
        var key = new ConvolutionKey(x[0], x[1], x[2], x[3], w[0], w[2], w[3], g, x.DType, AllowTf32, x.Layout);
        if (_convolutionPlans.TryGetValue(key, out var plan)) return plan;
        var (oh, ow) = g.OutputSize(x[2], x[3], w[2], w[3]);
        plan = new ConvolutionPlan { OutH = oh, OutW = ow, Key = key, Type = type, Math = MathType(x.DType), Format = Format(x.Layout) };
        plan.X = TensorDescriptor(type, x[0], x[1], x[2], x[3], x.Layout);
        plan.Y = TensorDescriptor(type, x[0], w[0], oh, ow, x.Layout);
        plan.Bias = TensorDescriptor(type, 1, w[0], 1, 1, x.Layout);
        nint wd, cd;
        Cudnn.Check(Cudnn.cudnnCreateFilterDescriptor(&wd));
        Cudnn.Check(Cudnn.cudnnSetFilter4dDescriptor(wd, type, plan.Format, w[0], w[1], w[2], w[3]));
        plan.W = wd;
        Cudnn.Check(Cudnn.cudnnCreateConvolutionDescriptor(&cd));
        Cudnn.Check(Cudnn.cudnnSetConvolution2dDescriptor(cd, g.PadH, g.PadW, g.StrideH, g.StrideW, g.DilationH, g.DilationW,
            cudnnConvolutionMode_t.CUDNN_CROSS_CORRELATION, ComputeType(type)));
        Cudnn.Check(Cudnn.cudnnSetConvolutionGroupCount(cd, g.Groups));
        plan.Conv = cd;
        Cudnn.Check(Cudnn.cudnnSetConvolutionMathType(cd, plan.Math));
        _convolutionPlans[key] = plan;
        return plan;
    }

    /// <summary>The cache key of one direction of <paramref name="plan"/> under the current workspace limit.</summary>
    private ConvolutionAlgorithmKey AlgorithmKey(ConvolutionDirection direction, ConvolutionPlan plan)
    {
        var k = plan.Key;
        return new(direction, plan.Type, ComputeType(plan.Type), plan.Math, k.Tf32, plan.Format,
            k.N, k.C, k.H, k.W, k.K, k.KH, k.KW, k.Geometry, plan.OutH, plan.OutW, ConvolutionWorkspaceLimit);
    }

    /// <summary>
    /// The cached choice for this <paramref name="direction"/> of <paramref name="plan"/>, checked with cuDNN: the descriptor gets the stored math type and cuDNN
    /// says how much workspace the stored algorithm needs (<paramref name="workspace"/> calls cudnnGet*WorkspaceSize). Null
    /// on a miss, or (with a note) where cuDNN refuses the stored algorithm or it no longer passes <see cref="Acceptable"/>:
    /// the caller then searches as if nothing were stored.
    /// </summary>
    private (int Algo, nuint Workspace, cudnnMathType_t Math)? StoredAlgorithm(string op, ConvolutionDirection direction, ConvolutionPlan plan,
        Func<nint, ConvolutionPlan, int, (cudnnStatus_t Status, nuint Bytes)> workspace)
    {
        var cache = AlgorithmCache;
        var key = AlgorithmKey(direction, plan);
        if (!cache.TryGet(key, out var stored)) return null;
        var status = Cudnn.cudnnSetConvolutionMathType(plan.Conv, stored.Math);
        nuint bytes = 0;
        if (status == cudnnStatus_t.CUDNN_STATUS_SUCCESS) (status, bytes) = workspace(_cudnn, plan, stored.Algo);
        if (Acceptable(status, bytes, stored.Math, plan.Key.DType)) return (stored.Algo, bytes, stored.Math);
        cache.Note($"{op}: the cached algorithm {stored.Algo} ({stored.Math}) for {key} is not usable ({status}, {(ulong)bytes:N0} bytes of workspace); searching again");
        return null;
    }

    /// <summary>
    /// FMA only for F32 / F64 unless TF32 is allowed: cuDNN's default math would use TF32 tensor cores for F32 on Ampere and
    /// later. F16 / BF16 data use tensor cores (their products are exact in the F32 accumulator).
    /// </summary>
    private cudnnMathType_t MathType(DType dtype) =>
        IsReduced(dtype) ? cudnnMathType_t.CUDNN_TENSOR_OP_MATH
        : dtype == DType.F32 && AllowTf32 ? cudnnMathType_t.CUDNN_DEFAULT_MATH : cudnnMathType_t.CUDNN_FMA_MATH;

    /// <summary>Whether Find's result may be used: it ran, fits the workspace limit, and uses tensor cores only where the dtype allows them (F16 / BF16 always, F32 with TF32 allowed).</summary>
    private bool Acceptable(cudnnStatus_t status, nuint memory, cudnnMathType_t math, DType dtype) =>
        status == cudnnStatus_t.CUDNN_STATUS_SUCCESS && (long)memory <= ConvolutionWorkspaceLimit
        && (IsReduced(dtype) || math != cudnnMathType_t.CUDNN_TENSOR_OP_MATH && math != cudnnMathType_t.CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION
            || dtype == DType.F32 && AllowTf32);

    private void ClearConvolutionPlans()
    {
        foreach (var p in _convolutionPlans.Values) p.Dispose();
        _convolutionPlans.Clear();
    }

    private void DisposeConvolutionPlans() => ClearConvolutionPlans();

    /// <summary>Scaling factors are host values of the compute type: double for F64 data, float otherwise.</summary>
    private readonly struct Scalars(DType dtype, double alpha, double beta)
    {
        private readonly double _alphaD = alpha, _betaD = beta;
        private readonly float _alphaF = (float)alpha, _betaF = (float)beta;
        private readonly bool _double = dtype == DType.F64;

        public void Use(Action<nint, nint> call)
        {
            double ad = _alphaD, bd = _betaD;
            float af = _alphaF, bf = _betaF;
            if (_double) call((nint)(&ad), (nint)(&bd));
            else call((nint)(&af), (nint)(&bf));
        }
    }

    public override void ConvForward(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry geometry)
    {
        const string op = nameof(ConvForward);
        var reduced = ReducedType(op, new("x", x), new("w", w), new("bias", bias), new("y", y));
        Check.OnDevice(op, Device, x, w, bias, y);
        MakeCurrent();
        var plan = Plan(op, x, w, geometry);
        Check.Shape(op, "y", y, x[0], w[0], plan.OutH, plan.OutW);
        Check.SameLayout(op, x, "y", y);
        using var channelsLastW = x.Layout == Layout.NHWC ? ChannelsLastWeights(w) : null;
        var wp = (channelsLastW ?? w).Pointer;
        if (plan.Forward is null && StoredAlgorithm(op, ConvolutionDirection.Forward, plan, static (h, p, a) =>
            {
                nuint b;
                var s = Cudnn.cudnnGetConvolutionForwardWorkspaceSize(h, p.X, p.W, p.Conv, p.Y, (cudnnConvolutionFwdAlgo_t)a, &b);
                return (s, b);
            }) is { } stored)
            plan.Forward = ((cudnnConvolutionFwdAlgo_t)stored.Algo, stored.Workspace, stored.Math);
        if (plan.Forward is null)
        {
            using var ws = new ScratchBuffer(this, ConvolutionWorkspaceLimit);
            var perf = stackalloc cudnnConvolutionFwdAlgoPerf_t[16];
            int found;
            Cudnn.Check(Cudnn.cudnnSetConvolutionMathType(plan.Conv, plan.Math));
            Cudnn.Check(Cudnn.cudnnFindConvolutionForwardAlgorithmEx(_cudnn, plan.X, x.Pointer, plan.W, wp, plan.Conv, plan.Y, y.Pointer,
                16, &found, perf, ws.Pointer, (nuint)ConvolutionWorkspaceLimit));
            for (var i = 0; i < found && plan.Forward is null; i++)
                if (Acceptable(perf[i].status, perf[i].memory, perf[i].mathType, x.DType))
                {
                    plan.Forward = (perf[i].algo, perf[i].memory, perf[i].mathType);
                    AlgorithmCache.Add(AlgorithmKey(ConvolutionDirection.Forward, plan), new((int)perf[i].algo, perf[i].mathType, (long)perf[i].memory, perf[i].time));
                }
            if (plan.Forward is null) throw new NotSupportedException($"{op}: cuDNN has no algorithm for x {x.ShapeText}, w {w.ShapeText}, {geometry}");
        }
        var (algo, bytes, math) = plan.Forward.Value;
        Cudnn.Check(Cudnn.cudnnSetConvolutionMathType(plan.Conv, math));
        // F16 / BF16 with a bias: y starts as the bias broadcast over each plane (exact: 0 + bias), and the convolution
        // adds itself with beta = 1, in float, so each output is rounded once, as the CPU's F32 convolution plus bias.
        var biasFirst = bias is not null && reduced is not null;
        if (biasFirst && x.Layout == Layout.NHWC)
        {
            // Channels last: y is rows of channels, so the bias is a row vector added onto zeros (exact); then the
            // convolution adds itself.
            Check.Shape(op, "bias", bias!, w[0]);
            Fill(y, 0);
            AddRowVector(y.Reshape(-1, w[0]), bias!);
        }
        else if (biasFirst)
        {
            Check.Shape(op, "bias", bias!, w[0]);
            Fill(y, 0);
            int n = y[0], c = y[1], hw = y[2] * y[3];
            var args = new KernelArgs().Ptr(y.Pointer).Ptr(bias!.Pointer).I32(n).I32(c).I32(hw);
            _kernels.Launch(Elementwise, $"nn_add_channel_bias_{Suffix(op, y)}", (uint)Math.Min((hw + 255) / 256, 65535),
                (uint)Math.Min((long)n * c, 65535), Threads, 0, ref args);
        }
        using (var workspace = new ScratchBuffer(this, (long)bytes))
        {
            new Scalars(x.DType, 1, biasFirst ? 1 : 0).Use((a, b) => Cudnn.Check(Cudnn.cudnnConvolutionForward(_cudnn, (void*)a, plan.X, x.Pointer, plan.W, wp,
                plan.Conv, algo, workspace.Pointer, bytes, (void*)b, plan.Y, y.Pointer)));
        }
        if (bias is not null && !biasFirst && x.Layout == Layout.NHWC)
        {
            Check.Shape(op, "bias", bias, w[0]);
            AddRowVector(y.Reshape(-1, w[0]), bias);
        }
        else if (bias is not null && !biasFirst)
        {
            Check.Shape(op, "bias", bias, w[0]);
            new Scalars(x.DType, 1, 1).Use((a, b) => Cudnn.Check(Cudnn.cudnnAddTensor(_cudnn, (void*)a, plan.Bias, bias.Pointer, (void*)b, plan.Y, y.Pointer)));
        }
    }

    public override void ConvBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry geometry)
    {
        const string op = nameof(ConvBackwardData);
        ReducedType(op, new("dy", dy), new("w", w), new("dx", dx));
        Check.OnDevice(op, Device, dy, w, dx);
        MakeCurrent();
        var plan = Plan(op, dx, w, geometry);
        Check.Shape(op, "dy", dy, dx[0], w[0], plan.OutH, plan.OutW);
        Check.SameLayout(op, dx, "dy", dy);
        using var channelsLastW = dx.Layout == Layout.NHWC ? ChannelsLastWeights(w) : null;
        var wp = (channelsLastW ?? w).Pointer;
        if (plan.BackwardData is null && StoredAlgorithm(op, ConvolutionDirection.BackwardData, plan, static (h, p, a) =>
            {
                nuint b;
                var s = Cudnn.cudnnGetConvolutionBackwardDataWorkspaceSize(h, p.W, p.Y, p.Conv, p.X, (cudnnConvolutionBwdDataAlgo_t)a, &b);
                return (s, b);
            }) is { } stored)
            plan.BackwardData = ((cudnnConvolutionBwdDataAlgo_t)stored.Algo, stored.Workspace, stored.Math);
        if (plan.BackwardData is null)
        {
            using var ws = new ScratchBuffer(this, ConvolutionWorkspaceLimit);
            var perf = stackalloc cudnnConvolutionBwdDataAlgoPerf_t[16];
            int found;
            Cudnn.Check(Cudnn.cudnnSetConvolutionMathType(plan.Conv, plan.Math));
            Cudnn.Check(Cudnn.cudnnFindConvolutionBackwardDataAlgorithmEx(_cudnn, plan.W, wp, plan.Y, dy.Pointer, plan.Conv, plan.X, dx.Pointer,
                16, &found, perf, ws.Pointer, (nuint)ConvolutionWorkspaceLimit));
            for (var i = 0; i < found && plan.BackwardData is null; i++)
                if (Acceptable(perf[i].status, perf[i].memory, perf[i].mathType, dx.DType))
                {
                    plan.BackwardData = (perf[i].algo, perf[i].memory, perf[i].mathType);
                    AlgorithmCache.Add(AlgorithmKey(ConvolutionDirection.BackwardData, plan), new((int)perf[i].algo, perf[i].mathType, (long)perf[i].memory, perf[i].time));
                }
            if (plan.BackwardData is null) throw new NotSupportedException($"{op}: cuDNN has no algorithm for dx {dx.ShapeText}, w {w.ShapeText}, {geometry}");
        }
        var (algo, bytes, math) = plan.BackwardData.Value;
        Cudnn.Check(Cudnn.cudnnSetConvolutionMathType(plan.Conv, math));
        using var workspace = new ScratchBuffer(this, (long)bytes);
        new Scalars(dx.DType, 1, 0).Use((a, b) => Cudnn.Check(Cudnn.cudnnConvolutionBackwardData(_cudnn, (void*)a, plan.W, wp, plan.Y, dy.Pointer,
            plan.Conv, algo, workspace.Pointer, bytes, (void*)b, plan.X, dx.Pointer)));
    }

    public override void ConvBackwardFilter(Tensor x, Tensor dy, Tensor dw, Conv2dGeometry geometry, double beta)
    {
        const string op = nameof(ConvBackwardFilter);
        ReducedType(op, new("x", x), new("dy", dy), new("dw", dw));
        Check.OnDevice(op, Device, x, dy, dw);
        MakeCurrent();
        var plan = Plan(op, x, dw, geometry);
        Check.Shape(op, "dy", dy, x[0], dw[0], plan.OutH, plan.OutW);
        Check.SameLayout(op, x, "dy", dy);
        if (plan.BackwardFilter is null && StoredAlgorithm(op, ConvolutionDirection.BackwardFilter, plan, static (h, p, a) =>
            {
                nuint b;
                var s = Cudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(h, p.X, p.Y, p.Conv, p.W, (cudnnConvolutionBwdFilterAlgo_t)a, &b);
                return (s, b);
            }) is { } stored)
            plan.BackwardFilter = ((cudnnConvolutionBwdFilterAlgo_t)stored.Algo, stored.Workspace, stored.Math);
        if (plan.BackwardFilter is null)
        {
            // Find overwrites its output: time on a scratch dw, not on the gradient being accumulated.
            using var ws = new ScratchBuffer(this, ConvolutionWorkspaceLimit);
            using var scratchDw = new ScratchBuffer(this, dw.Bytes);
            var perf = stackalloc cudnnConvolutionBwdFilterAlgoPerf_t[16];
            int found;
            Cudnn.Check(Cudnn.cudnnSetConvolutionMathType(plan.Conv, plan.Math));
            Cudnn.Check(Cudnn.cudnnFindConvolutionBackwardFilterAlgorithmEx(_cudnn, plan.X, x.Pointer, plan.Y, dy.Pointer, plan.Conv, plan.W, scratchDw.Pointer,
                16, &found, perf, ws.Pointer, (nuint)ConvolutionWorkspaceLimit));
            for (var i = 0; i < found && plan.BackwardFilter is null; i++)
                if (Acceptable(perf[i].status, perf[i].memory, perf[i].mathType, x.DType))
                {
                    plan.BackwardFilter = (perf[i].algo, perf[i].memory, perf[i].mathType);
                    AlgorithmCache.Add(AlgorithmKey(ConvolutionDirection.BackwardFilter, plan), new((int)perf[i].algo, perf[i].mathType, (long)perf[i].memory, perf[i].time));
                }
            if (plan.BackwardFilter is null) throw new NotSupportedException($"{op}: cuDNN has no algorithm for x {x.ShapeText}, dw {dw.ShapeText}, {geometry}");
        }
        var (algo, bytes, math) = plan.BackwardFilter.Value;
        Cudnn.Check(Cudnn.cudnnSetConvolutionMathType(plan.Conv, math));
        using var workspace = new ScratchBuffer(this, (long)bytes);
        // Channels last: cuDNN writes a KRSC gradient; it accumulates (beta) onto a KRSC copy of dw, which then goes back.
        using var channelsLastDw = x.Layout == Layout.NHWC ? new Tensor(dw.Shape, dw.DType, Device, Layout.NHWC) : null;
        if (channelsLastDw is not null && beta != 0) ConvertLayout(dw, channelsLastDw);
        new Scalars(x.DType, 1, beta).Use((a, b) => Cudnn.Check(Cudnn.cudnnConvolutionBackwardFilter(_cudnn, (void*)a, plan.X, x.Pointer, plan.Y, dy.Pointer,
            plan.Conv, algo, workspace.Pointer, bytes, (void*)b, plan.W, (channelsLastDw ?? dw).Pointer)));
        if (channelsLastDw is not null) ConvertLayout(channelsLastDw, dw);
    }

    public override void ConvBackwardBias(Tensor dy, Tensor db, double beta)
    {
        const string op = nameof(ConvBackwardBias);
        var reduced = ReducedType(op, new("dy", dy), new("db", db));
        Check.OnDevice(op, Device, dy, db);
        MakeCurrent();
        var (n, c, h, w) = Nchw(op, "dy", dy);
        Check.Shape(op, "db", db, c);
        if (dy.Layout == Layout.NHWC && !Tensor.SameInBothLayouts(dy.Dims))
        {
            // nn_channel_sum and cuDNN's bias gradient are used on NCHW planes here: sum an NCHW copy (the same sums, in
            // the same order). Only convolutions with a bias pay it (VGG, AlexNet), once per backward.
            using var planes = new Tensor(dy.Shape, dy.DType, Device);
            ConvertLayout(dy, planes);
            ConvBackwardBias(planes, db, beta);
            return;
        }
        if (reduced is not null)
        {
            // F16 / BF16: db = beta db + sum, the sum in double, the rest in float, rounded once (nn_channel_sum).
            var args = new KernelArgs().Ptr(dy.Pointer).Ptr(db.Pointer).I32(n).I32(c).I32(h * w).F32((float)beta);
            _kernels.Launch(Reductions, $"nn_channel_sum_{Suffix(op, dy)}", (uint)Math.Min(c, 65535), 1, Threads, 0, ref args);
            return;
        }
        var type = CudnnType(op, dy);
        var dyDesc = TensorDescriptor(type, n, c, h, w, dy.Layout);
        var dbDesc = TensorDescriptor(type, 1, c, 1, 1, dy.Layout);
        try
        {
            new Scalars(dy.DType, 1, beta).Use((a, b) => Cudnn.Check(Cudnn.cudnnConvolutionBackwardBias(_cudnn, (void*)a, dyDesc, dy.Pointer, (void*)b, dbDesc, db.Pointer)));
        }
        finally
        {
            Cudnn.cudnnDestroyTensorDescriptor(dyDesc);
            Cudnn.cudnnDestroyTensorDescriptor(dbDesc);
        }
    }
}
