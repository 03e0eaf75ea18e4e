using NativeNets.Backends;
using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>
/// 2-D convolution over NCHW input with weight [out, in/groups, kh, kw] and an optional bias, as
/// torch.nn.Conv2d (stride, padding, dilation, groups). Initialised as PyTorch does: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
/// </summary>
public sealed class Conv2d : Layer
{
    private Tensor? _x;
    private Tensor? _y;
    private Tensor? _dx;

    public Conv2d(int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, int dilation = 1, int groups = 1,
        bool bias = true, Rng? rng = null, DType dtype = DType.F32, Device? device = null)
        : this(inChannels, outChannels, kernel, kernel, Conv2dGeometry.Square(stride, padding, dilation, groups), bias, rng, dtype, device) { }

    public Conv2d(int inChannels, int outChannels, int kernelH, int kernelW, Conv2dGeometry geometry, bool bias = true,
        Rng? rng = null, DType dtype = DType.F32, Device? device = null)
    {
        if (inChannels < 1 || outChannels < 1 || kernelH < 1 || kernelW < 1)
            throw new ArgumentException($"Conv2d({inChannels}, {outChannels}, {kernelH}x{kernelW}): sizes must be positive");
        if (inChannels % geometry.Groups != 0 || outChannels % geometry.Groups != 0)
            throw new ArgumentException($"Conv2d: {inChannels} input and {outChannels} output channels must divide into {geometry.Groups} groups");
        InChannels = inChannels;
        OutChannels = outChannels;
        Geometry = geometry;
        var dev = device ?? Device.Cpu;
        rng ??= new Rng(0);
        var fanIn = inChannels / geometry.Groups * kernelH * kernelW;
        var bound = 1.0 / Math.Sqrt(fanIn);
        Weight = new Parameter(Init.Uniform([outChannels, inChannels / geometry.Groups, kernelH, kernelW], -bound, bound, rng, dtype, dev), decay: true);
        if (bias) Bias = new Parameter(Init.Uniform([outChannels], -bound, bound, rng, dtype, dev), decay: false);
    }

    private long _flops;

    public override long LastForwardFlops => _flops;

    public int InChannels { get; }
    public int OutChannels { get; }
    public Conv2dGeometry Geometry { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    protected override IEnumerable<(string, Parameter)> OwnParameters()
    {
        yield return ("weight", Weight);
        if (Bias is not null) yield return ("bias", Bias);
    }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x[1] != InChannels)
            throw new ArgumentException($"Conv2d({InChannels}, {OutChannels}): input {x.ShapeText} must be [N, {InChannels}, H, W]");
        _x = x;
        var (oh, ow) = Geometry.OutputSize(x[2], x[3], Weight.Value[2], Weight.Value[3]);
        var y = Reuse(ref _y, [x[0], OutChannels, oh, ow], x.DType, x.Device, x.Layout);
        _flops = 2L * x[0] * OutChannels * oh * ow * (InChannels / Geometry.Groups) * Weight.Value[2] * Weight.Value[3];
        x.Backend.ConvForward(x, Weight.Value, Bias?.Value, y, Geometry);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        var x = _x ?? throw BackwardBeforeForward(nameof(Conv2d));
        var ops = dy.Backend;
        ops.ConvBackwardFilter(x, dy, Weight.Grad, Geometry, beta: 1);
        if (Bias is not null) ops.ConvBackwardBias(dy, Bias.Grad, beta: 1);
        if (!PropagateDown) return null;
        var dx = ReuseLike(ref _dx, x);
        ops.ConvBackwardData(dy, Weight.Value, dx, Geometry);
        return dx;
    }

    protected override void DisposeBuffers()
    {
        _y?.Dispose();
        _dx?.Dispose();
    }
}
