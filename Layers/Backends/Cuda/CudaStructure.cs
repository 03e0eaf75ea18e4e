using NativeNets.Native;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// Gathers, dropout, channel copies and the padded shortcut: runtime/kernels/structure.cu. Channel copies move F16 / BF16
// elements unchanged (as the CPU's byte copies); dropout and the shortcut compute in float and round once.
public sealed unsafe partial class CudaBackend
{
    private const string Structure = "structure.cu";

    public override void GatherRows(Tensor source, ReadOnlySpan<int> rowIndices, Tensor destination)
    {
        const string op = nameof(GatherRows);
        var (rows, cols) = Check.GatherRows(op, Device, source, rowIndices, destination);
        if (rowIndices.Length == 0) return;
        MakeCurrent();
        using var indices = Upload(rowIndices);
        var args = new KernelArgs().Ptr(source.Pointer).Ptr(indices.Pointer).Ptr(destination.Pointer).I32(rowIndices.Length)
            .I64((long)cols * source.DType.SizeOf()).I32(rows).Ptr(0);
        _kernels.Launch(Structure, "nn_gather_rows", (uint)Math.Min(rowIndices.Length, 65535), 1, Threads, 0, ref args);
    }

    public override void DropoutForward(Tensor x, Tensor y, Tensor mask, double p, ulong seed)
    {
        const string op = nameof(DropoutForward);
        ReducedType(op, new("x", x), new("y", y));
        Check.Dropout(op, Device, x, y, mask, p);
        var args = new KernelArgs().Ptr(x.Pointer).Ptr(y.Pointer).Ptr(mask.Pointer).I64(x.Count).F64(p).U64(seed);
        LaunchElementwise(Structure, $"nn_dropout_forward_{Suffix(op, x)}", x.Count, ref args);
    }

    public override void DropoutBackward(Tensor dy, Tensor mask, Tensor dx, double p)
    {
        const string op = nameof(DropoutBackward);
        ReducedType(op, new("dy", dy), new("dx", dx));
        Check.Dropout(op, Device, dy, dx, mask);
        var args = new KernelArgs().Ptr(dy.Pointer).Ptr(mask.Pointer).Ptr(dx.Pointer).I64(dy.Count).F64(p);
        LaunchElementwise(Structure, $"nn_dropout_backward_{Suffix(op, dy)}", dy.Count, ref args);
    }

    public override void ConvertLayout(Tensor source, Tensor destination)
    {
        const string op = nameof(ConvertLayout);
        var (rows, cols) = Check.ConvertLayout(op, Device, source, destination);
        if (source.Layout == destination.Layout)
        {
            Copy(source, destination);
            return;
        }
        MakeCurrent();
        var args = new KernelArgs().Ptr(source.Pointer).Ptr(destination.Pointer).I32(rows).I32(cols).I32(source[0]);
        _kernels.Launch(Structure, $"nn_transpose_images_{Suffix(op, source)}", (uint)((cols + 31) / 32), (uint)Math.Min((rows + 31) / 32, 65535),
            (uint)Math.Min(source[0], 65535), 32, 8, 0, ref args);
    }

    public override void CopyIntoChannels(Tensor source, Tensor destination, int channelOffset) =>
        ChannelCopy(nameof(CopyIntoChannels), source, destination, channelOffset, into: true);

    public override void CopyFromChannels(Tensor source, int channelOffset, Tensor destination) =>
        ChannelCopy(nameof(CopyFromChannels), destination, source, channelOffset, into: false);

    private void ChannelCopy(string op, Tensor part, Tensor whole, int offset, bool into)
    {
        Check.ChannelCopy(op, Device, part, whole, offset);
        Check.SameLayout(op, whole, "part", part);
        // NCHW: N rows of C x H x W; NHWC: N x H x W rows of C (the same kernel, with one-element planes).
        var (rows, hw) = ChannelRows(part, whole);
        var args = into
            ? new KernelArgs().Ptr(part.Pointer).Ptr(whole.Pointer).I32(rows).I32(part[1]).I32(whole[1]).I32(hw).I32(offset)
            : new KernelArgs().Ptr(whole.Pointer).Ptr(part.Pointer).I32(rows).I32(whole[1]).I32(part[1]).I32(hw).I32(offset);
        var kernel = into ? "nn_copy_into_channels" : "nn_copy_from_channels";
        _kernels.Launch(Structure, $"{kernel}_{Suffix(op, part)}", (uint)Math.Min(((long)part[1] * hw + 255) / 256, 65535), (uint)Math.Min(rows, 65535), 256, 0, ref args);
    }

    public override void PadShortcutForward(Tensor x, Tensor y, int stride, int padBefore) =>
        PadShortcut(nameof(PadShortcutForward), "nn_pad_shortcut_forward", x, y, x, y, stride, padBefore);

    public override void PadShortcutBackward(Tensor dy, Tensor dx, int stride, int padBefore) =>
        PadShortcut(nameof(PadShortcutBackward), "nn_pad_shortcut_backward", dy, dx, dx, dy, stride, padBefore);

    private void PadShortcut(string op, string kernel, Tensor source, Tensor target, Tensor x, Tensor y, int stride, int padBefore)
    {
        ReducedType(op, new("x", x), new("y", y));
        var (oh, ow) = Check.PadShortcut(op, Device, x, y, stride, padBefore);
        Check.Nchw(op, x, y);
        int n = x[0], c = x[1], h = x[2], w = x[3];
        var forward = kernel.EndsWith("forward", StringComparison.Ordinal);
        var planes = forward ? n * y[1] : n * c;
        var perPlane = forward ? (long)oh * ow : (long)h * w;
        var args = new KernelArgs().Ptr(source.Pointer).Ptr(target.Pointer).I32(n).I32(c).I32(h).I32(w).I32(y[1]).I32(oh).I32(ow).I32(stride).I32(padBefore);
        _kernels.Launch(Structure, $"{kernel}_{Suffix(op, x)}", (uint)Math.Min((perPlane + 255) / 256, 65535), (uint)Math.Min(planes, 65535), 256, 0, ref args);
    }
}
