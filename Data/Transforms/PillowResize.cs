using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NativeNets.Data.Images;

namespace NativeNets.Data.Transforms;

/// <summary>
/// Pillow's <c>Image.resize(size, Image.BILINEAR)</c> for 8-bit RGB, bit for bit (Pillow 9.4, libImaging/Resample.c):
/// a triangle filter whose support is scaled by the reduction factor (so downscaling is antialiased), coefficients
/// normalised to sum 1 and rounded to 22-bit fixed point, a horizontal pass then a vertical pass, each rounding
/// (+2^21, shift by 22) and clipping to 0..255, with the horizontal pass only over the rows the vertical one reads.
/// torchvision's Resize and RandomResizedCrop on PIL images call exactly this.
/// </summary>
public static class PillowResize
{
    private const int PrecisionBits = 32 - 8 - 2;
    private const int Half = 1 << (PrecisionBits - 1);

    /// <summary>Resizes the whole image to <paramref name="outWidth"/> x <paramref name="outHeight"/>.</summary>
    public static RgbImage Bilinear(RgbImage source, int outWidth, int outHeight) =>
        Bilinear(source, 0, 0, source.Width, source.Height, outWidth, outHeight);

    /// <summary>
    /// Resizes the rectangle (<paramref name="left"/>, <paramref name="top"/>, <paramref name="width"/>, <paramref name="height"/>)
    /// of <paramref name="source"/> as Pillow resizes <c>image.crop(box)</c>: the filter never reads outside the rectangle.
    /// When <paramref name="destination"/> is given (outWidth x outHeight) the result is written there.
    /// </summary>
    public static RgbImage Bilinear(RgbImage source, int left, int top, int width, int height, int outWidth, int outHeight, RgbImage? destination = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (left < 0 || top < 0 || width <= 0 || height <= 0 || left + width > source.Width || top + height > source.Height)
            throw new ArgumentOutOfRangeException(nameof(left), $"box ({left}, {top}, {width}x{height}) is outside the {source.Width}x{source.Height} image");
        if (outWidth <= 0 || outHeight <= 0)
            throw new ArgumentOutOfRangeException(nameof(outWidth), $"output size {outWidth}x{outHeight}: both sides must be positive");
        var output = destination ?? RgbImage.Rent(outWidth, outHeight);
        if (output.Width != outWidth || output.Height != outHeight)
            throw new ArgumentException($"destination is {output.Width}x{output.Height}, the output is {outWidth}x{outHeight}", nameof(destination));

        var needHorizontal = outWidth != width;
        var needVertical = outHeight != height;
        if (!needHorizontal && !needVertical)
        {
            // Pillow copies an image resized to its own size.
            for (var y = 0; y < height; y++)
                source.Pixels.AsSpan(((top + y) * source.Width + left) * 3, width * 3).CopyTo(output.Pixels.AsSpan(y * outWidth * 3));
            return output;
        }

        var (vBounds, vCoeffs, vTaps) = Coefficients(height, outHeight);
        if (!needHorizontal)
        {
            // Vertical pass straight from the source rows.
            Vertical(source.Pixels, (top * source.Width + left) * 3, source.Width * 3, width * 3, outHeight, vBounds, vCoeffs, vTaps, output.Pixels);
            return output;
        }

        var (hBounds, hCoeffs, hTaps) = Coefficients(width, outWidth);
        // Only the rows the vertical pass reads go through the horizontal one.
        var firstRow = needVertical ? vBounds[0] : 0;
        var lastRow = needVertical ? vBounds[2 * outHeight - 2] + vBounds[2 * outHeight - 1] : height;
        if (!needVertical)
        {
            Horizontal(source, left, top + firstRow, lastRow - firstRow, outWidth, hBounds, hCoeffs, hTaps, output.Pixels);
            return output;
        }
        var rows = lastRow - firstRow;
        var temp = System.Buffers.ArrayPool<byte>.Shared.Rent(rows * outWidth * 3);
        try
        {
            Horizontal(source, left, top + firstRow, rows, outWidth, hBounds, hCoeffs, hTaps, temp);
            for (var i = 0; i < outHeight; i++) vBounds[2 * i] -= firstRow;
            Vertical(temp, 0, outWidth * 3, outWidth * 3, outHeight, vBounds, vCoeffs, vTaps, output.Pixels);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(temp);
        }
        return output;
    }

    /// <summary>
    /// Pillow's precompute_coeffs for the bilinear filter over [0, inSize) followed by normalize_coeffs_8bpc:
    /// per output index its first input index and tap count, and <c>taps</c> fixed-point weights.
    /// </summary>
    internal static (int[] Bounds, int[] Coeffs, int Taps) Coefficients(int inSize, int outSize)
    {
        const double filterSupport = 1.0;
        double scale = (double)(float)inSize / outSize;
        var filterScale = scale < 1.0 ? 1.0 : scale;
        var support = filterSupport * filterScale;
        var taps = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[outSize * 2];
        var coeffs = new int[outSize * taps];
        var k = new double[taps];
        for (var xx = 0; xx < outSize; xx++)
        {
            var center = (xx + 0.5) * scale;
            var ww = 0.0;
            var ss = 1.0 / filterScale;
            var xmin = (int)(center - support + 0.5);
            if (xmin < 0) xmin = 0;
            var xmax = (int)(center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            for (var x = 0; x < xmax; x++)
            {
                var w = Triangle((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (var x = 0; x < xmax; x++)
            {
                if (ww != 0.0) k[x] /= ww;
                var v = k[x] * (1 << PrecisionBits);
                coeffs[xx * taps + x] = v < 0 ? (int)(-0.5 + v) : (int)(0.5 + v);
            }
            bounds[2 * xx] = xmin;
            bounds[2 * xx + 1] = xmax;
        }
        return (bounds, coeffs, taps);
    }

    private static double Triangle(double x)
    {
        if (x < 0.0) x = -x;
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static byte Clip8(int v)
    {
        v >>= PrecisionBits;
        return v < 0 ? (byte)0 : v > 255 ? (byte)255 : (byte)v;
    }

    private static unsafe void Horizontal(RgbImage source, int left, int top, int rows, int outWidth, int[] bounds, int[] coeffs, int taps, byte[] destination)
    {
        fixed (byte* src0 = source.Pixels)
        fixed (byte* dst0 = destination)
        fixed (int* kk = coeffs)
        {
            for (var y = 0; y < rows; y++)
            {
                var src = src0 + ((top + y) * source.Width + left) * 3;
                var dst = dst0 + y * outWidth * 3;
                for (var xx = 0; xx < outWidth; xx++)
                {
                    var xmin = bounds[2 * xx];
                    var n = bounds[2 * xx + 1];
                    var k = kk + xx * taps;
                    var p = src + xmin * 3;
                    int s0 = Half, s1 = Half, s2 = Half;
                    for (var x = 0; x < n; x++, p += 3)
                    {
                        var w = k[x];
                        s0 += p[0] * w;
                        s1 += p[1] * w;
                        s2 += p[2] * w;
                    }
                    dst[0] = Clip8(s0);
                    dst[1] = Clip8(s1);
                    dst[2] = Clip8(s2);
                    dst += 3;
                }
            }
        }
    }

    private static unsafe void Vertical(byte[] source, int offset, int sourceStride, int rowBytes, int outHeight, int[] bounds, int[] coeffs, int taps, byte[] destination)
    {
        fixed (byte* src0 = source)
        fixed (byte* dst0 = destination)
        fixed (int* kk = coeffs)
        {
            for (var yy = 0; yy < outHeight; yy++)
            {
                var n = bounds[2 * yy + 1];
                var first = src0 + offset + bounds[2 * yy] * sourceStride;
                var k = kk + yy * taps;
                var dst = dst0 + yy * rowBytes;
                var x = 0;
                if (Avx2.IsSupported)
                {
                    // Eight bytes at a time in 32-bit lanes: the same integer sums as the scalar loop, so the same bytes.
                    for (; x + 8 <= rowBytes; x += 8)
                    {
                        var sum = Vector256.Create(Half);
                        var p = first + x;
                        for (var y = 0; y < n; y++, p += sourceStride)
                            sum = Avx2.Add(sum, Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(p), Vector256.Create(k[y])));
                        sum = Avx2.ShiftRightArithmetic(sum, PrecisionBits);
                        var words = Avx2.PackSignedSaturate(sum, sum);
                        var bytes = Avx2.PackUnsignedSaturate(words, words);
                        *(int*)(dst + x) = bytes.AsInt32().GetElement(0);
                        *(int*)(dst + x + 4) = bytes.AsInt32().GetElement(4);
                    }
                }
                for (; x < rowBytes; x++)
                {
                    var sum = Half;
                    var p = first + x;
                    for (var y = 0; y < n; y++, p += sourceStride) sum += *p * k[y];
                    dst[x] = Clip8(sum);
                }
            }
        }
    }
}
