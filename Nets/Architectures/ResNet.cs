using NativeNets.Modules;

namespace NativeNets.Nets.Architectures;

/// <summary>
/// He et al. 2016. ResNet-18..152 in torchvision's layout (the stride on the 3x3 convolution, "v1.5"), optionally
/// with a small-input stem; and the CIFAR ResNets (3 stages of 16/32/64 channels, parameter-free shortcuts).
/// </summary>
internal static class ResNet
{
    public static readonly IReadOnlyDictionary<int, (bool Bottleneck, int[] Blocks)> ImageNetConfigs = new Dictionary<int, (bool, int[])>
    {
        [18] = (false, [2, 2, 2, 2]),
        [34] = (false, [3, 4, 6, 3]),
        [50] = (true, [3, 4, 6, 3]),
        [101] = (true, [3, 4, 23, 3]),
        [152] = (true, [3, 8, 36, 3]),
    };

    public static Sequential ImageNet(Builder b, int depth, int inChannels, int classes, bool smallStem)
    {
        var (bottleneck, blocks) = ImageNetConfigs[depth];
        var expansion = bottleneck ? 4 : 1;
        var net = new Sequential();
        if (smallStem) net.Add("conv1", b.Conv(inChannels, 64, 3, 1, 1, bias: false));
        else net.Add("conv1", b.Conv(inChannels, 64, 7, 2, 3, bias: false));
        net.Add("bn1", b.BatchNorm(64)).Add("relu", Builder.Relu());
        if (!smallStem) net.Add("maxpool", Builder.MaxPool(3, 2, 1));
        var inplanes = 64;
        for (var stage = 0; stage < 4; stage++)
        {
            var planes = 64 << stage;
            var layer = new Sequential();
            for (var i = 0; i < blocks[stage]; i++)
            {
                var stride = i == 0 && stage > 0 ? 2 : 1;
                layer.Add(bottleneck ? Bottleneck(b, inplanes, planes, stride) : Basic(b, inplanes, planes, stride));
                inplanes = planes * expansion;
            }
            net.Add($"layer{stage + 1}", layer);
        }
        return net.Add("avgpool", new AdaptiveAvgPool2d(1)).Add("flatten", new Flatten()).Add("fc", b.Linear(512 * expansion, classes));
    }

    private static (string, Layer)? Downsample(Builder b, int inplanes, int outplanes, int stride) =>
        stride != 1 || inplanes != outplanes
            ? ("downsample", new Sequential(b.Conv(inplanes, outplanes, 1, stride, bias: false), b.BatchNorm(outplanes)))
            : null;

    private static Residual Basic(Builder b, int inplanes, int planes, int stride) => new(
        [("conv1", b.Conv(inplanes, planes, 3, stride, 1, bias: false)), ("bn1", b.BatchNorm(planes)), ("relu", Builder.Relu()),
         ("conv2", b.Conv(planes, planes, 3, 1, 1, bias: false)), ("bn2", b.BatchNorm(planes))],
        Downsample(b, inplanes, planes, stride), Builder.Relu());

    private static Residual Bottleneck(Builder b, int inplanes, int planes, int stride) => new(
        [("conv1", b.Conv(inplanes, planes, 1, bias: false)), ("bn1", b.BatchNorm(planes)), ("relu1", Builder.Relu()),
         ("conv2", b.Conv(planes, planes, 3, stride, 1, bias: false)), ("bn2", b.BatchNorm(planes)), ("relu2", Builder.Relu()),
         ("conv3", b.Conv(planes, planes * 4, 1, bias: false)), ("bn3", b.BatchNorm(planes * 4))],
        Downsample(b, inplanes, planes * 4, stride), Builder.Relu());

    /// <summary>ResNet-(6n+2) for CIFAR: 16-32-64 channels, n basic blocks per stage, option A shortcuts (no parameters).</summary>
    public static Sequential Cifar(Builder b, int depth, int inChannels, int classes)
    {
        if ((depth - 2) % 6 != 0 || depth < 8) throw new ArgumentException($"a CIFAR ResNet has depth 6n + 2 (20, 32, 44, 56, 110), not {depth}");
        var n = (depth - 2) / 6;
        var net = new Sequential()
            .Add("conv1", b.Conv(inChannels, 16, 3, 1, 1, bias: false))
            .Add("bn1", b.BatchNorm(16))
            .Add("relu", Builder.Relu());
        var inplanes = 16;
        for (var stage = 0; stage < 3; stage++)
        {
            var planes = 16 << stage;
            var layer = new Sequential();
            for (var i = 0; i < n; i++)
            {
                var stride = i == 0 && stage > 0 ? 2 : 1;
                (string, Layer)? shortcut = stride != 1 || inplanes != planes ? ("shortcut", new PadShortcut(planes, stride)) : null;
                layer.Add(new Residual(
                    [("conv1", b.Conv(inplanes, planes, 3, stride, 1, bias: false)), ("bn1", b.BatchNorm(planes)), ("relu", Builder.Relu()),
                     ("conv2", b.Conv(planes, planes, 3, 1, 1, bias: false)), ("bn2", b.BatchNorm(planes))],
                    shortcut, Builder.Relu()));
                inplanes = planes;
            }
            net.Add($"layer{stage + 1}", layer);
        }
        return net.Add("avgpool", new AdaptiveAvgPool2d(1)).Add("flatten", new Flatten()).Add("fc", b.Linear(64, classes));
    }
}
