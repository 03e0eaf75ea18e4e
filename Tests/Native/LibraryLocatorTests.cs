using NativeNets.Native;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Native;

/// <summary>The library locator: what it tries, in which order, and what it says when nothing loads.</summary>
public class LibraryLocatorTests
{
    [Fact]
    public void AMissingLibraryListsEveryPathTriedWithTheReason()
    {
        using var dir = new TempDirectory();
        var load = NativeLibraries.Probe("fake", ["libnativenets-fake.so.7", "libnativenets-fake.so"], [dir.Path]);
        Assert.False(load.Found);
        Assert.Equal(4, load.Attempts.Count); // two names, each in the folder and by the loader's search
        Assert.Contains(Path.Combine(dir.Path, "libnativenets-fake.so.7") + ": no such file", load.Attempts);
        Assert.Contains(load.Attempts, a => a.StartsWith("libnativenets-fake.so.7 (loader's search):", StringComparison.Ordinal));
        var e = new NativeLibraryNotFoundException("fake", load.Attempts);
        Assert.Contains("libnativenets-fake.so.7", e.Message);
    }

    [Fact]
    public void AFileThatIsNotALibraryIsReportedAsSuchAndTheSearchGoesOn()
    {
        using var dir = new TempDirectory();
        var bogus = Path.Combine(dir.Path, "libnativenets-bogus.so.1");
        File.WriteAllText(bogus, "not an ELF file");
        var load = NativeLibraries.Probe("bogus", ["libnativenets-bogus.so.1", "libc.so.6"], [dir.Path]);
        Assert.True(load.Found); // libc, by the loader's search, after the bogus file failed
        Assert.Contains(load.Attempts, a => a.StartsWith(bogus, StringComparison.Ordinal) && a.Contains("file too short", StringComparison.Ordinal));
    }

    [Fact]
    public void TheFolderSearchComesBeforeTheLoadersAndNamesTheFileFound()
    {
        using var dir = new TempDirectory();
        var libc = "/lib/x86_64-linux-gnu/libc.so.6";
        Assert.SkipUnless(File.Exists(libc), "needs glibc at the Debian path");
        File.Copy(libc, Path.Combine(dir.Path, "libc.so.6"));
        var load = NativeLibraries.Probe("c", ["libc.so.6"], [dir.Path]);
        Assert.True(load.Found);
        Assert.Equal(Path.Combine(dir.Path, "libc.so.6"), load.Path);
    }

    [Fact]
    public void EveryLogicalNameHasVersionedCandidatesFirst()
    {
        foreach (var (name, files) in NativeLibraries.Candidates)
        {
            Assert.NotEmpty(files);
            Assert.Matches(@"\.so\.\d+$", files[0]);
            Assert.EndsWith(".so", files[^1]);
        }
        Assert.Equal("libcudnn.so.9", NativeLibraries.Candidates[NativeLibraries.Cudnn][0]);
        Assert.Equal("libcublas.so.13", NativeLibraries.Candidates[NativeLibraries.Cublas][0]);
    }

    [Fact]
    public void EveryKernelFileIsEmbedded()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "NativeNets.sln"))) root = Path.GetDirectoryName(root)!;
        var files = Directory.GetFiles(Path.Combine(root, "runtime", "kernels"), "*.cu").Select(Path.GetFileName).Order().ToArray();
        Assert.NotEmpty(files);
        Assert.Equal(files, NativeNets.Backends.CudaKernels.Sources.Keys.Order().ToArray());
    }
}
