using NativeNets.Data.Images;
using NativeNets.Tensors;

namespace NativeNets.Data.Transforms;

/// <summary>A crop rectangle in torchvision's order (i, j, h, w): top row, left column, height, width.</summary>
public readonly record struct CropBox(int Top, int Left, int Height, int Width);

/// <summary>
/// torchvision's RandomResizedCrop: a crop of random area (a fraction in <see cref="Scale"/> of the image) and aspect
/// ratio (log-uniform in <see cref="Ratio"/>), found in at most 10 attempts, else the centred fallback; then Pillow's
/// bilinear resize of the crop to the output size. The sampling follows torchvision 0.14's get_params step by step,
/// including its float32 draws and Python's round-half-to-even, with the draws taken from our seeded <see cref="Rng"/>.
/// </summary>
public sealed class RandomResizedCrop : IImageTransform
{
    /// <summary>RandomResizedCrop(size, scale=(0.08, 1.0), ratio=(3/4, 4/3)) with a square output.</summary>
    public RandomResizedCrop(int size, double minScale = 0.08, double maxScale = 1.0, double minRatio = 3.0 / 4.0, double maxRatio = 4.0 / 3.0)
        : this(size, size, (minScale, maxScale), (minRatio, maxRatio))
    {
    }

    /// <summary>RandomResizedCrop((height, width), scale, ratio).</summary>
    public RandomResizedCrop(int height, int width, (double Min, double Max) scale, (double Min, double Max) ratio)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (!(scale.Min >= 0 && scale.Min <= scale.Max)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be (min, max) with 0 <= min <= max");
        if (!(ratio.Min > 0 && ratio.Min <= ratio.Max)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "ratio must be (min, max) with 0 < min <= max");
        Height = height;
        Width = width;
        Scale = scale;
        Ratio = ratio;
    }

    /// <summary>Output height.</summary>
    public int Height { get; }
    /// <summary>Output width.</summary>
    public int Width { get; }
    /// <summary>Range of the crop's area as a fraction of the image's.</summary>
    public (double Min, double Max) Scale { get; }
    /// <summary>Range of the crop's aspect ratio (width / height), sampled log-uniformly.</summary>
    public (double Min, double Max) Ratio { get; }

    /// <summary>The crop for an image of <paramref name="width"/> x <paramref name="height"/>, drawing from <paramref name="rng"/>.</summary>
    public CropBox GetParams(int width, int height, Rng rng) =>
        GetParams(width, height, Scale, Ratio,
            (lo, hi) => (float)(lo + (hi - lo) * rng.NextDouble()),   // torch.empty(1).uniform_(lo, hi): a float32 value
            n => rng.NextInt(n));                                     // torch.randint(0, n)

    /// <summary>
    /// torchvision's get_params with the draws supplied: <paramref name="uniform"/>(lo, hi) plays
    /// torch.empty(1).uniform_(lo, hi).item() and <paramref name="randint"/>(n) plays torch.randint(0, n).item().
    /// </summary>
    internal static CropBox GetParams(int width, int height, (double Min, double Max) scale, (double Min, double Max) ratio,
        Func<double, double, double> uniform, Func<int, int> randint)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var area = (double)height * width;
        // log_ratio = torch.log(torch.tensor(ratio)): float32.
        var logMin = (double)MathF.Log((float)ratio.Min);
        var logMax = (double)MathF.Log((float)ratio.Max);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var targetArea = area * uniform(scale.Min, scale.Max);
            var aspect = (double)(float)Math.Exp((float)uniform(logMin, logMax));   // torch.exp of a float32 tensor
            var w = (int)Math.Round(Math.Sqrt(targetArea * aspect), MidpointRounding.ToEven);
            var h = (int)Math.Round(Math.Sqrt(targetArea / aspect), MidpointRounding.ToEven);
            if (0 < w && w <= width && 0 < h && h <= height)
            {
                var i = randint(height - h + 1);
                var j = randint(width - w + 1);
                return new CropBox(i, j, h, w);
            }
        }
        // Fallback to the central crop, clamped to the ratio range.
        var inRatio = (double)width / height;
        int cw, ch;
        if (inRatio < ratio.Min)
        {
            cw = width;
            ch = (int)Math.Round(cw / ratio.Min, MidpointRounding.ToEven);
        }
        else if (inRatio > ratio.Max)
        {
            ch = height;
            cw = (int)Math.Round(ch * ratio.Max, MidpointRounding.ToEven);
        }
        else
        {
            cw = width;
            ch = height;
        }
        return new CropBox((height - ch) / 2, (width - cw) / 2, ch, cw);
    }

    /// <inheritdoc />
    public RgbImage Apply(RgbImage image, Rng rng)
    {
        var box = GetParams(image.Width, image.Height, rng);
        return PillowResize.Bilinear(image, box.Left, box.Top, box.Width, box.Height, Width, Height);
    }
}
