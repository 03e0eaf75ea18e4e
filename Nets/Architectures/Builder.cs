using NativeNets.Backends;
using NativeNets.Modules;
using NativeNets.Tensors;

namespace NativeNets.Nets.Architectures;

/// <summary>Makes layers with one dtype, device and seeded generator, so that architecture code reads like torchvision's.</summary>
internal sealed class Builder(ArchitectureOptions options)
{
    private readonly Rng _rng = new(options.Seed);
    private ulong _dropoutSeed = options.Seed * 1000;

    public Conv2d Conv(int cin, int cout, int k, int stride = 1, int padding = 0, int groups = 1, bool bias = true) =>
        new(cin, cout, k, stride, padding, 1, groups, bias, _rng, options.DType, options.Device);

    public Linear Linear(int fin, int fout) => new(fin, fout, true, _rng, options.DType, options.Device);

    public BatchNorm2d BatchNorm(int channels, double eps = 1e-5) => new(channels, eps, 0.1, options.DType, options.Device);

    public Dropout Dropout(double p) => new(p, _dropoutSeed++);

    /// <summary>In place, as torchvision's models run it: every ReLU of the architectures follows a convolution, batch norm,
    /// linear layer or residual sum, whose backward does not read its own output.</summary>
    public static ReLU Relu() => new(inPlace: true);

    public static MaxPool2d MaxPool(int k, int s, int p = 0, bool ceil = false) => new(Pool2dGeometry.Square(k, s, p, ceil));
}
