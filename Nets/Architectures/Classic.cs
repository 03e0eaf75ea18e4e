using NativeNets.Modules;

namespace NativeNets.Nets.Architectures;

/// <summary>LeNet-5, AlexNet (torchvision's and Krizhevsky's 2012), ZFNet and VGG, in torchvision's layout: features, avgpool, classifier.</summary>
internal static class Classic
{
    /// <summary>
    /// LeCun et al. 1998 as it is built today: C1 6@5x5 (28 px input padded by 2), S2 average pooling, C3 16@5x5
    /// (all 6 maps, not the paper's partial table), S4, C5 120@5x5, F6 84, 10 outputs; tanh throughout.
    /// </summary>
    public static Sequential LeNet5(Builder b, int inChannels, int classes) => new Sequential()
        .Add("features", new Sequential(
            b.Conv(inChannels, 6, 5, padding: 2), new Tanh(), new AvgPool2d(2),
            b.Conv(6, 16, 5), new Tanh(), new AvgPool2d(2),
            b.Conv(16, 120, 5), new Tanh()))
        .Add("flatten", new Flatten())
        .Add("classifier", new Sequential(b.Linear(120, 84), new Tanh(), b.Linear(84, classes)));

    /// <summary>torchvision's AlexNet (the single-GPU variant of "One weird trick", 64-192-384-256-256).</summary>
    public static Sequential AlexNet(Builder b, int inChannels, int classes) => new Sequential()
        .Add("features", new Sequential(
            b.Conv(inChannels, 64, 11, 4, 2), Builder.Relu(), Builder.MaxPool(3, 2),
            b.Conv(64, 192, 5, padding: 2), Builder.Relu(), Builder.MaxPool(3, 2),
            b.Conv(192, 384, 3, padding: 1), Builder.Relu(),
            b.Conv(384, 256, 3, padding: 1), Builder.Relu(),
            b.Conv(256, 256, 3, padding: 1), Builder.Relu(), Builder.MaxPool(3, 2)))
        .Add("avgpool", new AdaptiveAvgPool2d(6))
        .Add("flatten", new Flatten())
        .Add("classifier", AlexClassifier(b, 256 * 6 * 6, classes));

    /// <summary>Krizhevsky et al. 2012: 96-256-384-384-256 with LRN, and the two-GPU split as groups = 2 in conv2, conv4, conv5.</summary>
    public static Sequential AlexNet2012(Builder b, int inChannels, int classes) => new Sequential()
        .Add("features", new Sequential(
            b.Conv(inChannels, 96, 11, 4, 2), Builder.Relu(), Lrn(), Builder.MaxPool(3, 2),
            b.Conv(96, 256, 5, padding: 2, groups: 2), Builder.Relu(), Lrn(), Builder.MaxPool(3, 2),
            b.Conv(256, 384, 3, padding: 1), Builder.Relu(),
            b.Conv(384, 384, 3, padding: 1, groups: 2), Builder.Relu(),
            b.Conv(384, 256, 3, padding: 1, groups: 2), Builder.Relu(), Builder.MaxPool(3, 2)))
        .Add("avgpool", new AdaptiveAvgPool2d(6))
        .Add("flatten", new Flatten())
        .Add("classifier", AlexClassifier(b, 256 * 6 * 6, classes));

    /// <summary>Zeiler and Fergus 2013: conv1 96@7x7 stride 2, conv2 256@5x5 stride 2, contrast normalisation, 384-384-256, fc 4096-4096.</summary>
    public static Sequential ZfNet(Builder b, int inChannels, int classes) => new Sequential()
        .Add("features", new Sequential(
            b.Conv(inChannels, 96, 7, 2, 1), Builder.Relu(), Builder.MaxPool(3, 2, 1), Lrn(),
            b.Conv(96, 256, 5, 2), Builder.Relu(), Builder.MaxPool(3, 2, 1), Lrn(),
            b.Conv(256, 384, 3, padding: 1), Builder.Relu(),
            b.Conv(384, 384, 3, padding: 1), Builder.Relu(),
            b.Conv(384, 256, 3, padding: 1), Builder.Relu(), Builder.MaxPool(3, 2)))
        .Add("avgpool", new AdaptiveAvgPool2d(6))
        .Add("flatten", new Flatten())
        .Add("classifier", AlexClassifier(b, 256 * 6 * 6, classes));

    private static LocalResponseNorm Lrn() => new(5, 1e-4, 0.75, 2.0);

    private static Sequential AlexClassifier(Builder b, int features, int classes) => new(
        b.Dropout(0.5), b.Linear(features, 4096), Builder.Relu(),
        b.Dropout(0.5), b.Linear(4096, 4096), Builder.Relu(),
        b.Linear(4096, classes));

    public static readonly IReadOnlyDictionary<int, int[]> VggConfigs = new Dictionary<int, int[]>
    {
        // channel counts, 0 for a 2x2 max-pool
        [11] = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
        [13] = [64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
        [16] = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0],
        [19] = [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0],
    };

    /// <summary>Simonyan and Zisserman 2014, torchvision's VGG-11/13/16/19, with or without batch norm.</summary>
    public static Sequential Vgg(Builder b, int depth, bool batchNorm, int inChannels, int classes)
    {
        var features = new Sequential();
        var c = inChannels;
        foreach (var v in VggConfigs[depth])
        {
            if (v == 0)
            {
                features.Add(Builder.MaxPool(2, 2));
                continue;
            }
            features.Add(b.Conv(c, v, 3, padding: 1));
            if (batchNorm) features.Add(b.BatchNorm(v));
            features.Add(Builder.Relu());
            c = v;
        }
        return new Sequential()
            .Add("features", features)
            .Add("avgpool", new AdaptiveAvgPool2d(7))
            .Add("flatten", new Flatten())
            .Add("classifier", new Sequential(
                b.Linear(512 * 7 * 7, 4096), Builder.Relu(), b.Dropout(0.5),
                b.Linear(4096, 4096), Builder.Relu(), b.Dropout(0.5),
                b.Linear(4096, classes)));
    }
}
