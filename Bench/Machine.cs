using System.Runtime.InteropServices;
using NativeNets.Backends;

namespace NativeNets.Bench;

/// <summary>What the figures were measured on: they mean nothing without it.</summary>
internal static class Machine
{
    public static string Describe()
    {
        var cpu = ReadCpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString();
        return $"{cpu}, {Environment.ProcessorCount} logical cores, {CpuFeatures.Describe()}, {MemoryGiB():F0} GiB, " +
               $"{RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }

    private static string? ReadCpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim();
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static double MemoryGiB() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
}
