using NativeNets.Native;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// Gathers, dropout, channel copies and the padded shortcut: runtime/kernels/structure.cu.
public sealed unsafe partial class CudaBackend
{
    private const string Structure = "structure.cu";

    public override void GatherRows(Tensor source, ReadOnlySpan<int> rowIndices, Tensor destination)
    {
        const string op = nameof(GatherRows);
        Check.OnDevice(op, Device, source, destination);
        Check.SameDType(op, source, destination);
        var (rows, cols) = source.AsMatrix;
        var (drows, dcols) = destination.AsMatrix;
        if (dcols != cols || drows != rowIndices.Length)
            throw new ArgumentException($"{op}: destination {destination.ShapeText} must hold {rowIndices.Length} rows of {cols}");
        for (var i = 0; i < rowIndices.Length; i++)
            if ((uint)rowIndices[i] >= (uint)rows)
                throw new ArgumentOutOfRangeException(nameof(rowIndices), $"{op}: row index {rowIndices[i]} at position {i} is outside [0, {rows})");
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
        Check.OnDevice(op, Device, x, y, mask);
        Check.SameDType(op, x, y);
        Check.SameCount(op, x, y);
        Check.SameCount(op, x, mask);
        Check.DType(op, "mask", mask, DType.U8);
        if (p < 0 || p >= 1) throw new ArgumentOutOfRangeException(nameof(p), $"{op}: p = {p} must be in [0, 1)");
        var args = new KernelArgs().Ptr(x.Pointer).Ptr(y.Pointer).Ptr(mask.Pointer).I64(x.Count).F64(p).U64(seed);
        LaunchElementwise(Structure, $"nn_dropout_forward_{Suffix(op, x)}", x.Count, ref args);
    }

    public override void DropoutBackward(Tensor dy, Tensor mask, Tensor dx, double p)
    {
        const string op = nameof(DropoutBackward);
        Check.OnDevice(op, Device, dy, mask, dx);
        Check.SameDType(op, dy, dx);
        Check.SameCount(op, dy, dx);
        Check.SameCount(op, dy, mask);
        Check.DType(op, "mask", mask, DType.U8);
        var args = new KernelArgs().Ptr(dy.Pointer).Ptr(mask.Pointer).Ptr(dx.Pointer).I64(dy.Count).F64(p);
        LaunchElementwise(Structure, $"nn_dropout_backward_{Suffix(op, dy)}", dy.Count, ref args);
    }

    public override void CopyIntoChannels(Tensor source, Tensor destination, int channelOffset) =>
        ChannelCopy(nameof(CopyIntoChannels), source, destination, channelOffset, into: true);

    public override void CopyFromChannels(Tensor source, int channelOffset, Tensor destination) =>
        ChannelCopy(nameof(CopyFromChannels), destination, source, channelOffset, into: false);

    private void ChannelCopy(string op, Tensor part, Tensor whole, int offset, bool into)
    {
        Check.OnDevice(op, Device, part, whole);
        Check.SameDType(op, part, whole);
        Check.Rank(op, "part", part, 4);
        Check.Rank(op, "whole", whole, 4);
        if (part[0] != whole[0] || part[2] != whole[2] || part[3] != whole[3] || offset < 0 || offset + part[1] > whole[1])
            throw new ArgumentException($"{op}: {part.ShapeText} does not fit channels [{offset}, {offset + part[1]}) of {whole.ShapeText}");
        var hw = part[2] * part[3];
        var args = into
            ? new KernelArgs().Ptr(part.Pointer).Ptr(whole.Pointer).I32(part[0]).I32(part[1]).I32(whole[1]).I32(hw).I32(offset)
            : new KernelArgs().Ptr(whole.Pointer).Ptr(part.Pointer).I32(part[0]).I32(whole[1]).I32(part[1]).I32(hw).I32(offset);
        var kernel = into ? "nn_copy_into_channels" : "nn_copy_from_channels";
        _kernels.Launch(Structure, $"{kernel}_{Suffix(op, part)}", (uint)Math.Min(((long)part[1] * hw + 255) / 256, 65535), (uint)Math.Min(part[0], 65535), 256, 0, ref args);
    }

    public override void PadShortcutForward(Tensor x, Tensor y, int stride, int padBefore) =>
        PadShortcut(nameof(PadShortcutForward), "nn_pad_shortcut_forward", x, y, x, y, stride, padBefore);

    public override void PadShortcutBackward(Tensor dy, Tensor dx, int stride, int padBefore) =>
        PadShortcut(nameof(PadShortcutBackward), "nn_pad_shortcut_backward", dy, dx, dx, dy, stride, padBefore);

    private void PadShortcut(string op, string kernel, Tensor source, Tensor target, Tensor x, Tensor y, int stride, int padBefore)
    {
        Check.OnDevice(op, Device, x, y);
        Check.SameDType(op, x, y);
        Check.Rank(op, "input", x, 4);
        Check.Rank(op, "output", y, 4);
        int n = x[0], c = x[1], h = x[2], w = x[3];
        int oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride;
        if (y[0] != n || y[2] != oh || y[3] != ow || padBefore < 0 || padBefore + c > y[1])
            throw new ArgumentException($"{op}: {x.ShapeText} subsampled by {stride} does not fit channels [{padBefore}, {padBefore + c}) of {y.ShapeText}");
        var forward = kernel.EndsWith("forward", StringComparison.Ordinal);
        var planes = forward ? n * y[1] : n * c;
        var perPlane = forward ? (long)oh * ow : (long)h * w;
        var args = new KernelArgs().Ptr(source.Pointer).Ptr(target.Pointer).I32(n).I32(c).I32(h).I32(w).I32(y[1]).I32(oh).I32(ow).I32(stride).I32(padBefore);
        _kernels.Launch(Structure, $"{kernel}_{Suffix(op, x)}", (uint)Math.Min((perPlane + 255) / 256, 65535), (uint)Math.Min(planes, 65535), 256, 0, ref args);
    }
}
