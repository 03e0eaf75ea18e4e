using NativeNets.Tensors;

namespace NativeNets.Backends;

// Pooling: runtime/kernels/pooling.cu rather than cuDNN, because cuDNN has no ceil mode (GoogLeNet needs it) and routes
// max-pool gradients on ties its own way; these kernels reproduce PyTorch's windows, divisors and first-maximum rule.
public sealed unsafe partial class CudaBackend
{
    private const string Pooling = "pooling.cu";

    private void Pool(string op, string kernel, Tensor? x, Tensor? dy, Tensor target, Tensor input, Tensor output, Pool2dGeometry g, bool overInputs) =>
        Pool(op, kernel, x?.Pointer, dy?.Pointer, target.Pointer, input, output, g, overInputs);

    /// <summary>One pooling kernel: its pointers (x and dy where given), then the geometry; over the inputs or the outputs of each plane.</summary>
    private void Pool(string op, string kernel, nint? x, nint? dy, nint target, Tensor input, Tensor output, Pool2dGeometry g, bool overInputs)
    {
        Check.Rank(op, "input", input, 4);
        Check.Rank(op, "output", output, 4);
        var (oh, ow) = g.OutputSize(input[2], input[3]);
        Check.Shape(op, "output", output, input[0], input[1], oh, ow);
        var planes = input[0] * input[1];
        var args = new KernelArgs();
        if (x is { } xp) args = args.Ptr(xp);
        if (dy is { } dyp) args = args.Ptr(dyp);
        args = args.Ptr(target).I32(planes).I32(input[2]).I32(input[3]).I32(oh).I32(ow).I32(g.KernelH).I32(g.KernelW)
            .I32(g.StrideH).I32(g.StrideW).I32(g.PadH).I32(g.PadW).I32(g.CountIncludePad ? 1 : 0);
        var perPlane = overInputs ? (long)input[2] * input[3] : (long)oh * ow;
        _kernels.Launch(Pooling, $"{kernel}_{Suffix(op, input)}", (uint)Math.Min((perPlane + 255) / 256, 65535), (uint)Math.Min(planes, 65535), 256, 0, ref args);
    }

    /// <summary>
    /// Whether a pooling of <paramref name="input"/> to <paramref name="output"/> runs on channels-last (NHWC) memory.
    /// A tensor with a 1 x 1 plane (or one channel) has the same memory in both layouts and goes with the other one;
    /// an NHWC tensor beside an NCHW one is refused.
    /// </summary>
    private static bool ChannelsLast(string op, Tensor input, Tensor output)
    {
        static bool Either(Tensor t) => t.Rank == 4 && Tensor.SameInBothLayouts(t.Dims);
        bool Is(Layout layout) => input.Layout == layout && !Either(input) || output.Layout == layout && !Either(output);
        if (Is(Layout.NHWC) && Is(Layout.NCHW))
            throw new ArgumentException($"{op}: input {input} and output {output} are in different memory layouts");
        return Is(Layout.NHWC) || input.Layout == Layout.NHWC;
    }

    /// <summary>One channels-last pooling kernel (pooling.cu's _nhwc_ family): pointers, the fixed-window geometry, then C; one thread per element.</summary>
    private void PoolNhwc(string op, string kernel, nint first, nint? second, nint target, Tensor input, Tensor output, Pool2dGeometry? g, bool overInputs)
    {
        Check.Rank(op, "input", input, 4);
        Check.Rank(op, "output", output, 4);
        var args = new KernelArgs().Ptr(first);
        if (second is { } p) args = args.Ptr(p);
        args = args.Ptr(target).I32(input[0] * input[1]).I32(input[2]).I32(input[3]).I32(output[2]).I32(output[3]);
        if (g is { } geometry)
            args = args.I32(geometry.KernelH).I32(geometry.KernelW).I32(geometry.StrideH).I32(geometry.StrideW).I32(geometry.PadH).I32(geometry.PadW)
                .I32(geometry.CountIncludePad ? 1 : 0);
        args = args.I32(input[1]);
        var count = overInputs ? input.Count : output.Count;
        LaunchElementwise(Pooling, $"{kernel}_nhwc_{Suffix(op, input)}", count, ref args);
    }

    public override void MaxPoolForward(Tensor x, Tensor y, Pool2dGeometry geometry)
    {
        ReducedType(nameof(MaxPoolForward), new("x", x), new("y", y));
        Check.OnDevice(nameof(MaxPoolForward), Device, x, y);
        Check.SameDType(nameof(MaxPoolForward), x, y);
        if (ChannelsLast(nameof(MaxPoolForward), x, y))
        {
            var (oh, ow) = geometry.OutputSize(x[2], x[3]);
            Check.Shape(nameof(MaxPoolForward), "y", y, x[0], x[1], oh, ow);
            PoolNhwc(nameof(MaxPoolForward), "nn_maxpool_forward", x.Pointer, null, y.Pointer, x, y, geometry, false);
            return;
        }
        Pool(nameof(MaxPoolForward), "nn_maxpool_forward", x, null, y, x, y, geometry, false);
    }

    public override void MaxPoolBackward(Tensor x, Tensor dy, Tensor dx, Pool2dGeometry geometry)
    {
        ReducedType(nameof(MaxPoolBackward), new("x", x), new("dy", dy), new("dx", dx));
        Check.OnDevice(nameof(MaxPoolBackward), Device, x, dy, dx);
        Check.SameDType(nameof(MaxPoolBackward), x, dy);
        Check.SameDType(nameof(MaxPoolBackward), x, dx);
        Check.SameCount(nameof(MaxPoolBackward), x, dx);
        Check.Rank(nameof(MaxPoolBackward), "dy", dy, 4);
        // Each window's first maximum (one int per output), then the gather over the inputs (pooling.cu).
        using var at = new ScratchBuffer(this, dy.Count * sizeof(int));
        if (ChannelsLast(nameof(MaxPoolBackward), x, dy))
        {
            if (dx.Layout != x.Layout) throw new ArgumentException($"{nameof(MaxPoolBackward)}: dx {dx} must be in x's layout ({x.Layout})");
            var (oh, ow) = geometry.OutputSize(x[2], x[3]);
            Check.Shape(nameof(MaxPoolBackward), "dy", dy, x[0], x[1], oh, ow);
            PoolNhwc(nameof(MaxPoolBackward), "nn_maxpool_argmax", x.Pointer, null, at.Pointer, x, dy, geometry, false);
            PoolNhwc(nameof(MaxPoolBackward), "nn_maxpool_backward", at.Pointer, dy.Pointer, dx.Pointer, x, dy, geometry, true);
            return;
        }
        Pool(nameof(MaxPoolBackward), "nn_maxpool_argmax", x.Pointer, null, at.Pointer, x, dy, geometry, false);
        Pool(nameof(MaxPoolBackward), "nn_maxpool_backward", at.Pointer, dy.Pointer, dx.Pointer, x, dy, geometry, true);
    }

    public override void AvgPoolForward(Tensor x, Tensor y, Pool2dGeometry geometry)
    {
        ReducedType(nameof(AvgPoolForward), new("x", x), new("y", y));
        Check.OnDevice(nameof(AvgPoolForward), Device, x, y);
        Check.SameDType(nameof(AvgPoolForward), x, y);
        Check.Nchw(nameof(AvgPoolForward), x, y);
        Pool(nameof(AvgPoolForward), "nn_avgpool_forward", x, null, y, x, y, geometry, false);
    }

    public override void AvgPoolBackward(Tensor dy, Tensor dx, Pool2dGeometry geometry)
    {
        ReducedType(nameof(AvgPoolBackward), new("dy", dy), new("dx", dx));
        Check.OnDevice(nameof(AvgPoolBackward), Device, dy, dx);
        Check.SameDType(nameof(AvgPoolBackward), dy, dx);
        Check.Nchw(nameof(AvgPoolBackward), dy, dx);
        Pool(nameof(AvgPoolBackward), "nn_avgpool_backward", null, dy, dx, dx, dy, geometry, true);
    }

    private void Adaptive(string op, string kernel, Tensor source, Tensor target, Tensor input, Tensor output, bool overInputs)
    {
        ReducedType(op, new("input", input), new("output", output));
        Check.OnDevice(op, Device, source, target);
        Check.SameDType(op, source, target);
        Check.Rank(op, "input", input, 4);
        Check.Rank(op, "output", output, 4);
        if (output[0] != input[0] || output[1] != input[1] || output[2] < 1 || output[3] < 1)
            throw new ArgumentException($"{op}: output {output.ShapeText} must keep the batch and channels of input {input.ShapeText}");
        if (ChannelsLast(op, input, output))
        {
            PoolNhwc(op, kernel, source.Pointer, null, target.Pointer, input, output, null, overInputs);
            return;
        }
        var planes = input[0] * input[1];
        var args = new KernelArgs().Ptr(source.Pointer).Ptr(target.Pointer).I32(planes).I32(input[2]).I32(input[3]).I32(output[2]).I32(output[3]);
        var perPlane = overInputs ? (long)input[2] * input[3] : (long)output[2] * output[3];
        _kernels.Launch(Pooling, $"{kernel}_{Suffix(op, input)}", (uint)Math.Min((perPlane + 255) / 256, 65535), (uint)Math.Min(planes, 65535), 256, 0, ref args);
    }

    public override void AdaptiveAvgPoolForward(Tensor x, Tensor y) =>
        Adaptive(nameof(AdaptiveAvgPoolForward), "nn_adaptive_avgpool_forward", x, y, x, y, false);

    public override void AdaptiveAvgPoolBackward(Tensor dy, Tensor dx) =>
        Adaptive(nameof(AdaptiveAvgPoolBackward), "nn_adaptive_avgpool_backward", dy, dx, dx, dy, true);
}
