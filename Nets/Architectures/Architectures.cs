namespace NativeNets.Nets.Architectures;

/// <summary>Every architecture of the lecture, built by name.</summary>
public static class Architectures
{
    public static readonly IReadOnlyList<string> Names =
    [
        "lenet5", "alexnet", "alexnet-2012", "zfnet",
        "vgg11", "vgg13", "vgg16", "vgg19", "vgg11-bn", "vgg13-bn", "vgg16-bn", "vgg19-bn",
        "googlenet", "googlenet-aux", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
        "resnet8", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110",
    ];

    public static Model Create(string name, ArchitectureOptions? options = null)
    {
        options ??= new ArchitectureOptions();
        var b = new Builder(options);
        var classes = options.Classes;
        switch (name)
        {
            case "lenet5":
                return new Model(name, Classic.LeNet5(b, options.InChannels ?? 1, classes), options.InChannels ?? 1, 28, classes);
            case "alexnet":
                return Imagenet(Classic.AlexNet(b, options.InChannels ?? 3, classes));
            case "alexnet-2012":
                return Imagenet(Classic.AlexNet2012(b, options.InChannels ?? 3, classes));
            case "zfnet":
                return Imagenet(Classic.ZfNet(b, options.InChannels ?? 3, classes));
            case "googlenet":
                return Imagenet(GoogLeNet.Build(b, options.InChannels ?? 3, classes, options.AuxiliaryHeads));
            case "googlenet-aux":
                return Imagenet(GoogLeNet.Build(b, options.InChannels ?? 3, classes, auxiliaryHeads: true));
        }
        if (name.StartsWith("vgg", StringComparison.Ordinal))
        {
            var bn = name.EndsWith("-bn", StringComparison.Ordinal);
            if (int.TryParse(name.AsSpan(3, name.Length - 3 - (bn ? 3 : 0)), out var depth) && Classic.VggConfigs.ContainsKey(depth))
                return Imagenet(Classic.Vgg(b, depth, bn, options.InChannels ?? 3, classes));
        }
        if (name.StartsWith("resnet", StringComparison.Ordinal) && int.TryParse(name.AsSpan(6), out var d))
        {
            if (ResNet.ImageNetConfigs.ContainsKey(d))
                return new Model(name, ResNet.ImageNet(b, d, options.InChannels ?? 3, classes, options.SmallStem), options.InChannels ?? 3,
                    options.SmallStem ? 32 : 224, classes);
            if (d is 8 or 20 or 32 or 44 or 56 or 110)
                return new Model(name, ResNet.Cifar(b, d, options.InChannels ?? 3, classes), options.InChannels ?? 3, 32, classes);
        }
        throw new ArgumentException($"unknown architecture '{name}': expected one of {string.Join(", ", Names)}");

        Model Imagenet(Modules.Sequential net) => new(name, net, options.InChannels ?? 3, 224, classes);
    }
}
