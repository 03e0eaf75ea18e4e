using NativeNets.Data.Images;
using NativeNets.Tensors;

namespace NativeNets.Data.Transforms;

/// <summary>One step of a torchvision-style image pipeline: an RGB image in, an RGB image out, randomness only from the <see cref="Rng"/> passed to <see cref="Apply"/>.</summary>
public interface IImageTransform
{
    /// <summary>Transforms <paramref name="image"/>: returns it (unchanged or modified in place) or a new image made for this call, which the caller then owns.</summary>
    RgbImage Apply(RgbImage image, Rng rng);
}

/// <summary>Transforms applied in order, as torchvision's Compose.</summary>
public sealed class Compose(params IImageTransform[] transforms) : IImageTransform
{
    /// <summary>The steps, in order.</summary>
    public IReadOnlyList<IImageTransform> Transforms { get; } = transforms;

    /// <inheritdoc />
    public RgbImage Apply(RgbImage image, Rng rng)
    {
        var current = image;
        foreach (var t in Transforms)
        {
            var next = t.Apply(current, rng);
            // Intermediate images made here go back to the buffer pool; the caller's input is the caller's.
            if (!ReferenceEquals(next, current) && !ReferenceEquals(current, image)) current.Release();
            current = next;
        }
        return current;
    }
}

/// <summary>The standard ImageNet pipelines as torchvision's reference scripts build them (before ToTensor and Normalize).</summary>
public static class ImageNetTransforms
{
    /// <summary>Training: RandomResizedCrop(size), RandomHorizontalFlip(0.5).</summary>
    public static IImageTransform Train(int size = 224) => new Compose(new RandomResizedCrop(size), new RandomHorizontalFlip());

    /// <summary>Evaluation: Resize(resize) of the shorter side, CenterCrop(size).</summary>
    public static IImageTransform Eval(int size = 224, int resize = 256) => new Compose(new Resize(resize), new CenterCrop(size));
}
