namespace NativeNets.Backends;

/// <summary>Stride, padding, dilation and groups of a 2-D convolution (the fields of a cuDNN convolution descriptor).</summary>
public readonly record struct Conv2dGeometry(int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0, int DilationH = 1, int DilationW = 1, int Groups = 1)
{
    public static Conv2dGeometry Square(int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        new(stride, stride, padding, padding, dilation, dilation, groups);

    /// <summary>Output height and width for an input of h x w and a kernel of kh x kw, checked.</summary>
    public (int H, int W) OutputSize(int h, int w, int kh, int kw)
    {
        if (StrideH < 1 || StrideW < 1 || DilationH < 1 || DilationW < 1 || PadH < 0 || PadW < 0 || Groups < 1)
            throw new ArgumentException($"invalid convolution geometry {this}");
        var oh = (h + 2 * PadH - DilationH * (kh - 1) - 1) / StrideH + 1;
        var ow = (w + 2 * PadW - DilationW * (kw - 1) - 1) / StrideW + 1;
        if (h + 2 * PadH < DilationH * (kh - 1) + 1 || w + 2 * PadW < DilationW * (kw - 1) + 1)
            throw new ArgumentException($"a {kh}x{kw} kernel (dilation {DilationH}x{DilationW}) does not fit a {h}x{w} input padded by {PadH}x{PadW}");
        return (oh, ow);
    }
}

/// <summary>Window, stride and padding of a 2-D pooling, with PyTorch's ceil mode and count_include_pad.</summary>
public readonly record struct Pool2dGeometry(int KernelH, int KernelW, int StrideH, int StrideW, int PadH = 0, int PadW = 0,
    bool CeilMode = false, bool CountIncludePad = true)
{
    public static Pool2dGeometry Square(int kernel, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) =>
        new(kernel, kernel, stride ?? kernel, stride ?? kernel, padding, padding, ceilMode, countIncludePad);

    /// <summary>PyTorch's output size: floor or ceil of (H + 2p - k) / s + 1, and a last window must start inside the input or its left padding.</summary>
    public (int H, int W) OutputSize(int h, int w)
    {
        if (KernelH < 1 || KernelW < 1 || StrideH < 1 || StrideW < 1 || PadH < 0 || PadW < 0)
            throw new ArgumentException($"invalid pooling geometry {this}");
        if (PadH > KernelH / 2 || PadW > KernelW / 2)
            throw new ArgumentException($"pooling padding {PadH}x{PadW} must be at most half the {KernelH}x{KernelW} window");
        return (Size(h, KernelH, StrideH, PadH), Size(w, KernelW, StrideW, PadW));
    }

    private int Size(int input, int k, int s, int p)
    {
        var span = input + 2 * p - k;
        if (span < 0) throw new ArgumentException($"a pooling window of {k} does not fit an input of {input} padded by {p}");
        var o = (CeilMode ? (span + s - 1) / s : span / s) + 1;
        if (CeilMode && (o - 1) * s >= input + p) o--;
        return o;
    }
}
