namespace NativeNets.Data;

/// <summary>A data file is not what it claims to be. The message names the file, where (byte offset or line) and what was expected.</summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string path, string problem, long? offset = null, Exception? inner = null)
        : base($"{path}: {(offset is { } o ? $"at byte {o}: " : "")}{problem}", inner)
    {
        Path = path;
        Offset = offset;
        Problem = problem;
    }

    public string Path { get; }
    public long? Offset { get; }
    public string Problem { get; }
}
