using NativeNets.Modules;

namespace NativeNets.Nets.Architectures;

/// <summary>
/// Szegedy et al. 2014, Inception v1 in torchvision's layout: every convolution is conv (no bias) + BN (eps 1e-3)
/// + ReLU ("BasicConv2d"), and the "5x5" branch uses 3x3 kernels as torchvision's does. With auxiliary heads, aux1
/// (after inception4a) and aux2 (after inception4d) are torchvision's InceptionAux, each weighted 0.3 in the training
/// loss as in the paper; they run in training only.
/// </summary>
internal static class GoogLeNet
{
    /// <summary>The weight of each auxiliary head's loss (Szegedy et al. 2014, section 5).</summary>
    public const double AuxiliaryLossWeight = 0.3;

    public static Sequential Build(Builder b, int inChannels, int classes, bool auxiliaryHeads)
    {
        var net = new Sequential()
        .Add("conv1", BasicConv(b, inChannels, 64, 7, 2, 3))
        .Add("maxpool1", Builder.MaxPool(3, 2, ceil: true))
        .Add("conv2", BasicConv(b, 64, 64, 1))
        .Add("conv3", BasicConv(b, 64, 192, 3, padding: 1))
        .Add("maxpool2", Builder.MaxPool(3, 2, ceil: true))
        .Add("inception3a", Block(b, 192, 64, 96, 128, 16, 32, 32))
        .Add("inception3b", Block(b, 256, 128, 128, 192, 32, 96, 64))
        .Add("maxpool3", Builder.MaxPool(3, 2, ceil: true))
        .Add("inception4a", Block(b, 480, 192, 96, 208, 16, 48, 64));
        if (auxiliaryHeads) net.Add("aux1", Auxiliary(b, 512, classes));
        net.Add("inception4b", Block(b, 512, 160, 112, 224, 24, 64, 64))
        .Add("inception4c", Block(b, 512, 128, 128, 256, 24, 64, 64))
        .Add("inception4d", Block(b, 512, 112, 144, 288, 32, 64, 64));
        if (auxiliaryHeads) net.Add("aux2", Auxiliary(b, 528, classes));
        return net.Add("inception4e", Block(b, 528, 256, 160, 320, 32, 128, 128))
        .Add("maxpool4", Builder.MaxPool(2, 2, ceil: true))
        .Add("inception5a", Block(b, 832, 256, 160, 320, 32, 128, 128))
        .Add("inception5b", Block(b, 832, 384, 192, 384, 48, 128, 128))
        .Add("avgpool", new AdaptiveAvgPool2d(1))
        .Add("flatten", new Flatten())
        .Add("dropout", b.Dropout(0.2))
        .Add("fc", b.Linear(1024, classes));
    }

    /// <summary>torchvision's InceptionAux: 4x4 adaptive average pool, 1x1 BasicConv to 128, fc 2048-1024, ReLU, dropout 0.7, fc.</summary>
    private static AuxiliaryHead Auxiliary(Builder b, int cin, int classes) => new(
    [
        ("avgpool", new AdaptiveAvgPool2d(4)),
        ("conv", BasicConv(b, cin, 128, 1)),
        ("flatten", new Flatten()),
        ("fc1", b.Linear(2048, 1024)),
        ("relu", Builder.Relu()),
        ("dropout", b.Dropout(0.7)),
        ("fc2", b.Linear(1024, classes)),
    ], AuxiliaryLossWeight);

    private static Sequential BasicConv(Builder b, int cin, int cout, int k, int stride = 1, int padding = 0) => new Sequential()
        .Add("conv", b.Conv(cin, cout, k, stride, padding, bias: false))
        .Add("bn", b.BatchNorm(cout, 0.001))
        .Add("relu", Builder.Relu());

    private static Inception Block(Builder b, int cin, int ch1, int ch3red, int ch3, int ch5red, int ch5, int poolProj) => new(
        ("branch1", BasicConv(b, cin, ch1, 1)),
        ("branch2", new Sequential(BasicConv(b, cin, ch3red, 1), BasicConv(b, ch3red, ch3, 3, padding: 1))),
        ("branch3", new Sequential(BasicConv(b, cin, ch5red, 1), BasicConv(b, ch5red, ch5, 3, padding: 1))),
        ("branch4", new Sequential(Builder.MaxPool(3, 1, 1, ceil: true), BasicConv(b, cin, poolProj, 1))));
}
