using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Numerics;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// Dropout masks, residual sums, channel concatenation and the zero-padded shortcut: ops that move
// or combine whole tensors rather than compute on them.
public sealed unsafe partial class CpuBackend
{
    public override void DropoutForward(Tensor x, Tensor y, Tensor mask, double p, ulong seed)
    {
        if (Widened.Find(x, y) is { } reduced)
        {
            Widened.Run(nameof(DropoutForward), reduced, wide => DropoutForward(wide.In(x), wide.Out(y), mask, p, seed));
            return;
        }
        const string op = nameof(DropoutForward);
        Check.Dropout(op, Device, x, y, mask, p);
        var m = (byte*)mask.Pointer;
        // Element i is kept when its uniform draw u_i = splitmix64(seed + i * gamma) is at or above p.
        var threshold = (ulong)(p * 18446744073709551616.0);
        CpuParallel.For(x.Count, ElementwiseChunk, (s, e) =>
        {
            for (var i = s; i < e; i++)
            {
                var state = seed + (ulong)i * 0x9E3779B97F4A7C15UL;
                m[i] = Rng.SplitMix64(ref state) >= threshold ? (byte)1 : (byte)0;
            }
        });
        ApplyMask(x, mask, y, p, op);
    }

    public override void DropoutBackward(Tensor dy, Tensor mask, Tensor dx, double p)
    {
        if (Widened.Find(dy, dx) is { } reduced)
        {
            Widened.Run(nameof(DropoutBackward), reduced, wide => DropoutBackward(wide.In(dy), mask, wide.Out(dx), p));
            return;
        }
        const string op = nameof(DropoutBackward);
        Check.Dropout(op, Device, dy, dx, mask);
        ApplyMask(dy, mask, dx, p, op);
    }

    private static void ApplyMask(Tensor x, Tensor mask, Tensor y, double p, string op)
    {
        switch (x.DType)
        {
            case DType.F32: ApplyMaskT(x, mask, y, (float)(1 / (1 - p))); break;
            case DType.F64: ApplyMaskT(x, mask, y, 1 / (1 - p)); break;
            default: throw Unsupported(op, x);
        }
    }

    private static void ApplyMaskT<T>(Tensor xt, Tensor mt, Tensor yt, T scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* x = (T*)xt.Pointer, y = (T*)yt.Pointer;
        var m = (byte*)mt.Pointer;
        CpuParallel.For(xt.Count, ElementwiseChunk, (s, e) =>
        {
            for (var i = s; i < e; i++) y[i] = m[i] != 0 ? x[i] * scale : T.Zero;
        });
    }

    public override void Add(Tensor a, Tensor b, Tensor y)
    {
        if (Widened.Find(a, b, y) is { } reduced)
        {
            Widened.Run(nameof(Add), reduced, wide => Add(wide.In(a), wide.In(b), wide.Out(y)));
            return;
        }
        Binary(nameof(Add), a, b, y, static (p, q, r) => TensorPrimitives.Add(p, q, r), static (p, q, r) => TensorPrimitives.Add(p, q, r));
    }

    public override void ConvertLayout(Tensor source, Tensor destination)
    {
        var (rows, cols) = Check.ConvertLayout(nameof(ConvertLayout), Device, source, destination);
        var bytes = source.DType.SizeOf();
        if (source.Layout == destination.Layout)
        {
            Buffer.MemoryCopy((void*)source.Pointer, (void*)destination.Pointer, destination.Bytes, source.Bytes);
            return;
        }
        // Each image's [rows x cols] matrix transposed: NCHW to NHWC is [C x HW] to [HW x C], and back.
        var image = (long)rows * cols * bytes;
        var src = (byte*)source.Pointer;
        var dst = (byte*)destination.Pointer;
        CpuParallel.For(source[0], 1, (s, e) =>
        {
            for (long n = s; n < e; n++)
            {
                var a = src + n * image;
                var b = dst + n * image;
                for (var r = 0; r < rows; r++)
                    for (var c = 0; c < cols; c++)
                        Buffer.MemoryCopy(a + ((long)r * cols + c) * bytes, b + ((long)c * rows + r) * bytes, bytes, bytes);
            }
        });
    }

    public override void CopyIntoChannels(Tensor source, Tensor destination, int channelOffset) =>
        ChannelCopy(nameof(CopyIntoChannels), source, destination, channelOffset, into: true);

    public override void CopyFromChannels(Tensor source, int channelOffset, Tensor destination) =>
        ChannelCopy(nameof(CopyFromChannels), destination, source, channelOffset, into: false);

    /// <summary>Moves the planes of <paramref name="part"/> to or from channels [offset, offset + part's C) of <paramref name="whole"/>.</summary>
    private void ChannelCopy(string op, Tensor part, Tensor whole, int offset, bool into)
    {
        Check.ChannelCopy(op, Device, part, whole, offset);
        Check.SameLayout(op, whole, "part", part);
        // NCHW: N rows of C x H x W; NHWC: N x H x W rows of C.
        var (rows, hw) = ChannelRows(part, whole);
        var plane = (long)hw * part.DType.SizeOf();
        var block = plane * part[1];
        var pp = (byte*)part.Pointer;
        var pw = (byte*)whole.Pointer;
        for (var n = 0; n < rows; n++)
        {
            var w = pw + ((long)n * whole[1] + offset) * plane;
            var q = pp + n * block;
            if (into) Buffer.MemoryCopy(q, w, block, block);
            else Buffer.MemoryCopy(w, q, block, block);
        }
    }

    public override void PadShortcutForward(Tensor x, Tensor y, int stride, int padBefore)
    {
        Check.Nchw(nameof(PadShortcutForward), x, y);
        if (Widened.Find(x, y) is { } reduced)
        {
            Widened.Run(nameof(PadShortcutForward), reduced, wide => PadShortcutForward(wide.In(x), wide.Out(y), stride, padBefore));
            return;
        }
        PadShortcut(nameof(PadShortcutForward), x, y, stride, padBefore, false);
    }

    public override void PadShortcutBackward(Tensor dy, Tensor dx, int stride, int padBefore)
    {
        Check.Nchw(nameof(PadShortcutBackward), dy, dx);
        if (Widened.Find(dy, dx) is { } reduced)
        {
            Widened.Run(nameof(PadShortcutBackward), reduced, wide => PadShortcutBackward(wide.In(dy), wide.Out(dx), stride, padBefore));
            return;
        }
        PadShortcut(nameof(PadShortcutBackward), dx, dy, stride, padBefore, true);
    }

    private void PadShortcut(string op, Tensor x, Tensor y, int stride, int padBefore, bool backward)
    {
        Check.PadShortcut(op, Device, x, y, stride, padBefore);
        switch (x.DType)
        {
            case DType.F32: PadShortcutT<float>(x, y, stride, padBefore, backward); break;
            case DType.F64: PadShortcutT<double>(x, y, stride, padBefore, backward); break;
            default: throw Unsupported(op, x);
        }
    }

    private static void PadShortcutT<T>(Tensor xt, Tensor yt, int stride, int padBefore, bool backward) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = xt[0], c = xt[1], h = xt[2], w = xt[3], oc = yt[1], oh = yt[2], ow = yt[3];
        T* x = (T*)xt.Pointer, y = (T*)yt.Pointer;
        if (backward) new Span<T>(x, checked((int)xt.Count)).Clear();
        else new Span<T>(y, checked((int)yt.Count)).Clear();
        for (var ni = 0; ni < n; ni++)
            for (var ci = 0; ci < c; ci++)
            {
                var xp = x + ((long)ni * c + ci) * h * w;
                var yp = y + ((long)ni * oc + padBefore + ci) * oh * ow;
                for (var i = 0; i < oh; i++)
                    for (var j = 0; j < ow; j++)
                    {
                        if (backward) xp[i * stride * w + j * stride] = yp[i * ow + j];
                        else yp[i * ow + j] = xp[i * stride * w + j * stride];
                    }
            }
    }

    public override void NormalizeImages(Tensor images, Tensor output, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        if (Widened.Find(images, output) is { } reduced)
        {
            var (m, s) = (mean.ToArray(), std.ToArray()); // spans cannot enter the lambda
            Widened.Run(nameof(NormalizeImages), reduced, wide => NormalizeImages(images, wide.Out(output), m, s));
            return;
        }
        var (n, c, plane) = Check.ImageBatch(nameof(NormalizeImages), Device, images, output, mean.Length, std.Length);
        // One table per channel: 256 values computed once, exactly as torchvision's float arithmetic.
        var table = new float[c * 256];
        for (var ch = 0; ch < c; ch++)
            for (var v = 0; v < 256; v++) table[ch * 256 + v] = ((float)v / 255f - mean[ch]) / std[ch];
        var src = (byte*)images.Pointer;
        var dst = (float*)output.Pointer;
        CpuParallel.For(n, 1, (n0, n1) =>
        {
            for (var img = n0; img < n1; img++)
            {
                var s = src + img * plane * c;
                var d = dst + img * plane * c;
                if (output.Layout == Layout.NHWC) // channels last: the pixels stay where they are
                    for (long p = 0; p < plane; p++)
                        for (var ch = 0; ch < c; ch++)
                            d[p * c + ch] = table[ch * 256 + s[p * c + ch]];
                else
                    for (var ch = 0; ch < c; ch++)
                    {
                        var t = table.AsSpan(ch * 256, 256);
                        var o = d + ch * plane;
                        for (long p = 0; p < plane; p++) o[p] = t[s[p * c + ch]];
                    }
            }
        });
    }
}
