namespace NativeNets.Native;

/// <summary>
/// A native library (cuDNN, cuBLAS, NCCL, ...) could not be loaded. The message lists every path that was
/// tried and why each failed, so that `nativenets doctor` and error reports say what to install where.
/// The bindings themselves arrive with the CUDA backend; this assembly holds only raw bindings.
/// </summary>
public sealed class NativeLibraryNotFoundException(string library, IReadOnlyList<string> attempts)
    : Exception($"native library '{library}' was not found; tried:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", attempts))
{
    public string Library { get; } = library;
    public IReadOnlyList<string> Attempts { get; } = attempts;
}
