using NativeNets.Modules;
using NativeNets.Tensors;

namespace NativeNets.Nets.Architectures;

/// <summary>How to build an architecture: classes, input channels, and the small-input stem of ResNets.</summary>
public sealed record ArchitectureOptions
{
    public int Classes { get; init; } = 1000;
    /// <summary>Input channels; default: the architecture's own (1 for LeNet-5, 3 otherwise).</summary>
    public int? InChannels { get; init; }
    /// <summary>ResNet-18..152 with a 3x3 stride-1 first convolution and no max-pool, for 28-32 px inputs.</summary>
    public bool SmallStem { get; init; }
    /// <summary>GoogLeNet's two auxiliary classifiers (also selected by the name "googlenet-aux").</summary>
    public bool AuxiliaryHeads { get; init; }
    public DType DType { get; init; } = DType.F32;
    public Device Device { get; init; } = Device.Cpu;
    public ulong Seed { get; init; } = 1;
}

/// <summary>A built network with what it was built for. Parameter names are torchvision's state_dict keys.</summary>
public sealed class Model(string name, Sequential network, int inChannels, int inputSize, int classes) : IDisposable
{
    public string Name { get; } = name;
    public Sequential Network { get; } = network;
    public int InChannels { get; } = inChannels;
    /// <summary>The input side the architecture was designed for (28, 32 or 224); others work where the shapes allow.</summary>
    public int InputSize { get; } = inputSize;
    public int Classes { get; } = classes;

    public long ParameterCount() => Network.ParameterCount();

    public void Dispose() => Network.Dispose();
}
