using NativeNets.Data.Images;
using NativeNets.Tensors;

namespace NativeNets.Data.Transforms;

/// <summary>torchvision's RandomHorizontalFlip: mirrors left-right when a uniform draw is below <see cref="P"/> (one draw per image).</summary>
public sealed class RandomHorizontalFlip : IImageTransform
{
    /// <summary>Flips with probability <paramref name="p"/>.</summary>
    public RandomHorizontalFlip(double p = 0.5)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "a probability lies in [0, 1]");
        P = p;
    }

    /// <summary>The flip probability.</summary>
    public double P { get; }

    /// <summary>Whether this image is flipped: consumes exactly one draw, as torch.rand(1) &lt; p does.</summary>
    public bool Decide(Rng rng) => rng.NextDouble() < P;

    /// <inheritdoc />
    public RgbImage Apply(RgbImage image, Rng rng)
    {
        if (Decide(rng)) FlipInPlace(image);
        return image;
    }

    /// <summary>Mirrors every row of <paramref name="image"/> in place.</summary>
    public static void FlipInPlace(RgbImage image)
    {
        var w = image.Width;
        for (var y = 0; y < image.Height; y++)
        {
            var row = image.Pixels.AsSpan(y * image.Stride, image.Stride);
            for (int a = 0, b = w - 1; a < b; a++, b--)
            {
                var pa = row.Slice(a * 3, 3);
                var pb = row.Slice(b * 3, 3);
                (pa[0], pb[0]) = (pb[0], pa[0]);
                (pa[1], pb[1]) = (pb[1], pa[1]);
                (pa[2], pb[2]) = (pb[2], pa[2]);
            }
        }
    }
}
