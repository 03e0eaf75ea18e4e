namespace NativeNets.Tensors;

public enum DeviceKind : byte
{
    Cpu,
    Cuda,
}

/// <summary>Where a tensor's storage lives: the host, or one CUDA device by ordinal.</summary>
public readonly record struct Device(DeviceKind Kind, int Index)
{
    public static Device Cpu { get; } = new(DeviceKind.Cpu, 0);

    public static Device Cuda(int index = 0) => new(DeviceKind.Cuda, index);

    public static Device Parse(string text)
    {
        var s = text.Trim().ToLowerInvariant();
        if (s == "cpu") return Cpu;
        if (s == "cuda") return Cuda(0);
        if (s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), out var i) && i >= 0)
            return Cuda(i);
        throw new ArgumentException($"unknown device '{text}': expected 'cpu', 'cuda' or 'cuda:N'", nameof(text));
    }

    public override string ToString() => Kind == DeviceKind.Cpu ? "cpu" : $"cuda:{Index}";
}
