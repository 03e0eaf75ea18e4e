using NativeNets.Data.Images;
using NativeNets.Tensors;

namespace NativeNets.Data.Transforms;

/// <summary>
/// torchvision's ToTensor then Normalize(mean, std): U8 pixels to F32 channel planes, ((x / 255) - mean[c]) / std[c],
/// each step a float32 operation as torch does them, so the values are torch's to the bit. Works on one image or on
/// a loader batch (U8, dims [N, 3, H, W], memory NHWC) giving F32 [N, 3, H, W] in NCHW.
/// </summary>
public sealed class Normalize
{
    private readonly float[][] _table;

    /// <summary>Normalize(mean, std) with one value per channel (3).</summary>
    public Normalize(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        if (mean.Count != 3 || std.Count != 3) throw new ArgumentException($"mean and std need 3 values each (RGB); got {mean.Count} and {std.Count}");
        Mean = [.. mean];
        Std = [.. std];
        _table = new float[3][];
        for (var c = 0; c < 3; c++)
        {
            if (!(Std[c] > 0)) throw new ArgumentOutOfRangeException(nameof(std), $"std[{c}] = {Std[c]} must be positive");
            _table[c] = new float[256];
            for (var x = 0; x < 256; x++) _table[c][x] = ((float)x / 255f - Mean[c]) / Std[c];
        }
    }

    /// <summary>The ImageNet statistics torchvision's models were trained with.</summary>
    public static Normalize ImageNet { get; } = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>Per-channel mean (R, G, B).</summary>
    public float[] Mean { get; }
    /// <summary>Per-channel standard deviation (R, G, B).</summary>
    public float[] Std { get; }

    /// <summary>The normalised value of byte <paramref name="value"/> in <paramref name="channel"/>.</summary>
    public float Value(int channel, byte value) => _table[channel][value];

    /// <summary>One image as F32 planes, 3 x H x W (what ToTensor + Normalize give).</summary>
    public float[] Apply(RgbImage image)
    {
        var plane = image.Width * image.Height;
        var result = new float[3 * plane];
        var px = image.Span;
        for (var i = 0; i < plane; i++)
            for (var c = 0; c < 3; c++)
                result[c * plane + i] = _table[c][px[3 * i + c]];
        return result;
    }

    /// <summary>A new F32 NCHW tensor [N, 3, H, W] from a U8 NHWC batch with dims [N, 3, H, W].</summary>
    public Tensor Apply(Tensor batch)
    {
        var output = new Tensor(batch.Shape, DType.F32);
        try
        {
            Apply(batch, output);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>Writes the F32 NCHW normalisation of a U8 NHWC batch (dims [N, 3, H, W], host memory) into <paramref name="output"/>.</summary>
    public unsafe void Apply(Tensor batch, Tensor output)
    {
        if (batch.DType != DType.U8 || batch.Rank != 4 || batch[1] != 3 || batch.Layout != Layout.NHWC)
            throw new ArgumentException($"expected a U8 NHWC batch with dims [N, 3, H, W]; got {batch}", nameof(batch));
        if (output.DType != DType.F32 || !output.SameShape(batch) || output.Layout != Layout.NCHW)
            throw new ArgumentException($"expected an F32 NCHW output of shape {batch.ShapeText}; got {output}", nameof(output));
        if (batch.Device.Kind != DeviceKind.Cpu || output.Device.Kind != DeviceKind.Cpu)
            throw new ArgumentException("Normalize.Apply works on host tensors; the CUDA backend normalises on the device");
        int n = batch[0], plane = batch[2] * batch[3];
        var src = (byte*)batch.Pointer;
        var dst = (float*)output.Pointer;
        fixed (float* r = _table[0], g = _table[1], b = _table[2])
        {
            for (var img = 0; img < n; img++)
            {
                var s = src + (long)img * plane * 3;
                var d = dst + (long)img * plane * 3;
                for (var i = 0; i < plane; i++)
                {
                    d[i] = r[s[3 * i]];
                    d[plane + i] = g[s[3 * i + 1]];
                    d[2 * plane + i] = b[s[3 * i + 2]];
                }
            }
        }
    }
}
