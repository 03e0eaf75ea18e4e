namespace NativeNets.Native;

/// <summary>
/// A native call returned an error status. The message names the call as written at the call site, the
/// status by its native name and text, and the source file and line (as llm.c's checks do), so that a failure
/// deep in a training step says exactly which call failed where.
/// </summary>
public class NativeCallException : Exception
{
    public NativeCallException(string library, string call, int status, string statusName, string statusText, string file, int line)
        : base($"{call} failed: {statusName} ({status}): {statusText} [{System.IO.Path.GetFileName(file)}:{line}]")
    {
        Library = library;
        Call = call;
        Status = status;
        StatusName = statusName;
    }

    public string Library { get; }
    public string Call { get; }
    public int Status { get; }
    public string StatusName { get; }
}

/// <summary>A library was found but is not a version NativeNets binds (its own version call said so).</summary>
public sealed class NativeLibraryVersionException(string library, string path, string found, string expected)
    : Exception($"{path} is {library} {found}; NativeNets needs {expected}")
{
    public string Library { get; } = library;
}
