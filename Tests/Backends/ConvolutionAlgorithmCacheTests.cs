using System.Text;
using NativeNets.Backends;
using NativeNets.Native;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Backends;

/// <summary>
/// The cuDNN convolution algorithm cache (NATIVENETS_CONV_ALGO_CACHE) without a GPU: its keys, its JSON file, the GPU and
/// cuDNN version it is tied to, damaged files, and writes that never leave half a file behind.
/// </summary>
public sealed class ConvolutionAlgorithmCacheTests : IDisposable
{
    private static readonly ConvolutionAlgorithmCacheIdentity H100 = new("NVIDIA H100 80GB HBM3", 90, 91400);

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ConvolutionAlgorithmKey Key(ConvolutionDirection direction = ConvolutionDirection.Forward, int n = 256, int c = 64,
        int k = 64, bool tf32 = false, long limit = 1L << 30, Conv2dGeometry? geometry = null) =>
        new(direction, cudnnDataType_t.CUDNN_DATA_FLOAT, cudnnDataType_t.CUDNN_DATA_FLOAT, cudnnMathType_t.CUDNN_FMA_MATH, tf32,
            cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, n, c, 56, 56, k, 3, 3, geometry ?? Conv2dGeometry.Square(1, 1), 56, 56, limit);

    [Fact]
    public void TheWorkspaceLimitIsAnEighthOfTheGpuBetweenOneAndEightGiB()
    {
        const long GiB = 1L << 30;
        Assert.Equal(GiB, CudaBackend.DefaultWorkspaceLimit(4 * GiB, null));           // a small card: the floor
        Assert.Equal(2 * GiB, CudaBackend.DefaultWorkspaceLimit(16 * GiB, null));
        Assert.Equal(8 * GiB, CudaBackend.DefaultWorkspaceLimit(80 * GiB, ""));        // H100: the ceiling
        Assert.Equal(8 * GiB, CudaBackend.DefaultWorkspaceLimit(141 * GiB, null));     // H200
        Assert.Equal(512L << 20, CudaBackend.DefaultWorkspaceLimit(80 * GiB, "512"));  // NATIVENETS_CONV_WORKSPACE_MB
        Assert.Equal(0, CudaBackend.DefaultWorkspaceLimit(80 * GiB, "0"));
        Assert.Contains("NATIVENETS_CONV_WORKSPACE_MB='lots'", Assert.Throws<ArgumentException>(() => CudaBackend.DefaultWorkspaceLimit(GiB, "lots")).Message);
    }

    private static ConvolutionAlgorithmChoice Choice(int algo = 1, long bytes = 4096, float ms = 0.123f) =>
        new(algo, cudnnMathType_t.CUDNN_FMA_MATH, bytes, ms);

    private static (ConvolutionAlgorithmCache Cache, StringWriter Messages) Open(string? path, ConvolutionAlgorithmCacheIdentity? identity = null)
    {
        var messages = new StringWriter();
        return (new ConvolutionAlgorithmCache(path, identity ?? H100, messages), messages);
    }

    private static string[] Lines(StringWriter w) => w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void KeysAreEqualExactlyWhenEveryFieldIs()
    {
        Assert.Equal(Key(), Key());
        Assert.Equal(Key().GetHashCode(), Key().GetHashCode());
        Assert.NotEqual(Key(), Key(direction: ConvolutionDirection.BackwardData));
        Assert.NotEqual(Key(), Key(n: 128));
        Assert.NotEqual(Key(), Key(k: 128));
        Assert.NotEqual(Key(), Key(tf32: true));
        Assert.NotEqual(Key(), Key(limit: 1L << 20));
        Assert.NotEqual(Key(), Key(geometry: Conv2dGeometry.Square(1, 1, groups: 2)));
        Assert.NotEqual(Key(), Key(geometry: new Conv2dGeometry(1, 1, 1, 0)));
        Assert.NotEqual(Key(), Key() with { DataType = cudnnDataType_t.CUDNN_DATA_HALF });
        Assert.NotEqual(Key(), Key() with { MathType = cudnnMathType_t.CUDNN_TENSOR_OP_MATH });
        Assert.NotEqual(Key(), Key() with { Layout = cudnnTensorFormat_t.CUDNN_TENSOR_NHWC });
        Assert.NotEqual(Key(), Key() with { OutH = 28 });
    }

    [Fact]
    public void EveryFieldOfKeyAndChoiceSurvivesTheFile()
    {
        var entries = new Dictionary<ConvolutionAlgorithmKey, ConvolutionAlgorithmChoice>
        {
            [Key()] = Choice(),
            [Key(ConvolutionDirection.BackwardData, tf32: true)] = new(5, cudnnMathType_t.CUDNN_TENSOR_OP_MATH, 0, 1.5e-3f),
            [Key(ConvolutionDirection.BackwardFilter, geometry: new Conv2dGeometry(2, 3, 4, 5, 6, 7, 8), limit: 123456789012)] = Choice(3, 5L << 32, 17.25f),
            [new(ConvolutionDirection.Forward, cudnnDataType_t.CUDNN_DATA_BFLOAT16, cudnnDataType_t.CUDNN_DATA_FLOAT,
                cudnnMathType_t.CUDNN_TENSOR_OP_MATH, false, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, 1, 3, 224, 224, 64, 7, 7,
                Conv2dGeometry.Square(2, 3), 112, 112, 1L << 30)] = new(7, cudnnMathType_t.CUDNN_DEFAULT_MATH, 0, 0.0625f),
        };
        var path = _dir.File("algos.json");
        File.WriteAllBytes(path, ConvolutionAlgorithmCache.Serialize(H100, entries));
        var (read, problem) = ConvolutionAlgorithmCache.Read(path, H100);
        Assert.Null(problem);
        Assert.Equal(entries.Count, read.Count);
        foreach (var (key, choice) in read) Assert.Equal(entries[key], choice);

        // One entry per line, with readable names beside the values.
        var text = File.ReadAllText(path);
        Assert.Contains("\"format\": \"nativenets-conv-algorithms\"", text);
        Assert.Contains("\"cudnn_version\": 91400", text);
        Assert.Contains("\"algo_name\":\"CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM\"", text);
        Assert.Equal(entries.Count, text.Split('\n').Count(l => l.TrimStart().StartsWith("{\"direction\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void WhatOneRunSavesTheNextRunFinds()
    {
        var path = _dir.File("sub/folder/algos.json"); // folders are made as needed
        var (first, firstMessages) = Open(path);
        Assert.Equal(0, first.Count);
        first.Add(Key(), Choice());
        first.Add(Key(ConvolutionDirection.BackwardFilter), Choice(2, 0, 9.5f));
        Assert.True(File.Exists(path));

        var (second, secondMessages) = Open(path);
        Assert.Equal(2, second.Count);
        Assert.True(second.TryGet(Key(), out var forward));
        Assert.Equal(Choice(), forward);
        Assert.True(second.TryGet(Key(ConvolutionDirection.BackwardFilter), out var filter));
        Assert.Equal(Choice(2, 0, 9.5f), filter);
        Assert.False(second.TryGet(Key(ConvolutionDirection.BackwardData), out _));
        Assert.Equal("", firstMessages.ToString()); // a missing file is simply an empty cache
        Assert.Equal("", secondMessages.ToString());
    }

    [Fact]
    public void WithoutAPathNothingIsWritten()
    {
        var (cache, messages) = Open(null);
        cache.Add(Key(), Choice());
        Assert.True(cache.TryGet(Key(), out _));
        Assert.Null(cache.Path);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
        Assert.Equal("", messages.ToString());
        Assert.Null(Open("  ").Cache.Path);
    }

    [Fact]
    public void TheEnvironmentVariableNamesTheFile()
    {
        var path = _dir.File("env.json");
        var before = Environment.GetEnvironmentVariable(ConvolutionAlgorithmCache.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(ConvolutionAlgorithmCache.EnvironmentVariable, path);
            var cache = ConvolutionAlgorithmCache.FromEnvironment(H100, new StringWriter());
            Assert.Equal(Path.GetFullPath(path), cache.Path);
            cache.Add(Key(), Choice());
            Assert.True(File.Exists(path));
            Environment.SetEnvironmentVariable(ConvolutionAlgorithmCache.EnvironmentVariable, null);
            Assert.Null(ConvolutionAlgorithmCache.FromEnvironment(H100, new StringWriter()).Path);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ConvolutionAlgorithmCache.EnvironmentVariable, before);
        }
    }

    [Theory]
    [InlineData("NVIDIA A100-SXM4-80GB", 90, 91400)]
    [InlineData("NVIDIA H100 80GB HBM3", 80, 91400)]
    [InlineData("NVIDIA H100 80GB HBM3", 90, 90100)]
    public void AFileForAnotherGpuOrCudnnIsIgnoredWithOneLineThenReplaced(string gpu, int cc, long cudnn)
    {
        var path = _dir.File("algos.json");
        var (writer, _) = Open(path);
        writer.Add(Key(), Choice());

        var other = new ConvolutionAlgorithmCacheIdentity(gpu, cc, cudnn);
        var (reader, messages) = Open(path, other);
        Assert.Equal(0, reader.Count);
        var line = Assert.Single(Lines(messages));
        Assert.Contains(Path.GetFullPath(path), line);
        Assert.Contains($"written for {H100}", line);
        Assert.Contains($"not for this {other}", line);

        // Its first new entry rewrites the file for this GPU and library; the other's entries are not carried over.
        reader.Add(Key(n: 8), Choice(4));
        var (read, problem) = ConvolutionAlgorithmCache.Read(path, other);
        Assert.Null(problem);
        Assert.Equal(Key(n: 8), Assert.Single(read).Key);
    }

    public static TheoryData<string, string> DamagedFiles()
    {
        var valid = Encoding.UTF8.GetString(ConvolutionAlgorithmCache.Serialize(H100, [new(Key(), Choice()), new(Key(n: 2), Choice())]));
        return new()
        {
            { "", "not valid JSON" },
            { "\0\0\0\0garbage", "not valid JSON" },
            { valid[..(valid.Length / 2)], "not valid JSON" },
            { valid[..^3], "not valid JSON" },
            { "[1, 2, 3]", "expected a JSON object" },
            { valid.Replace("nativenets-conv-algorithms", "something-else"), "format" },
            { valid.Replace("\"version\": 1", "\"version\": 99"), "version: expected 1, found 99" },
            { valid.Replace("\"n\":2,", "\"n\":\"two\","), "entries[0].n: expected an integer, found String" },
            { valid.Replace("\"n\":256,", "\"n\":-3,"), "entries[1].n: expected an integer >= 1, found -3" },
            { valid.Replace("\"direction\":\"forward\"", "\"direction\":\"sideways\""), "direction: expected forward, backward_data or backward_filter" },
            { valid.Replace("CUDNN_DATA_FLOAT\",\"compute", "CUDNN_DATA_QUAD\",\"compute"), "data_type: expected one of CUDNN_DATA_FLOAT" },
            { valid.Replace("\"workspace_bytes\":4096,", ""), "workspace_bytes: missing" },
            { valid.Replace("\"entries\": [", "\"entries\": {\"x\": [").Replace("]\n}", "]}\n}"), "entries: expected an array" },
        };
    }

    [Theory]
    [MemberData(nameof(DamagedFiles))]
    public void ADamagedFileIsReportedByNameAndTheRunGoesOnWithAnEmptyCache(string content, string expected)
    {
        var path = _dir.File("algos.json");
        File.WriteAllText(path, content);
        var (cache, messages) = Open(path);
        Assert.Equal(0, cache.Count);
        var line = Assert.Single(Lines(messages));
        Assert.StartsWith("nativenets: ", line);
        Assert.Contains(Path.GetFullPath(path), line);
        Assert.Contains(expected, line);
        Assert.EndsWith("ignoring it and starting empty", line.TrimEnd());

        // The next entry replaces the damaged file with a good one.
        cache.Add(Key(), Choice());
        var (read, problem) = ConvolutionAlgorithmCache.Read(path, H100);
        Assert.Null(problem);
        Assert.Single(read);
    }

    [Fact]
    public void TheTruncatedFileMessageSaysWhere()
    {
        var path = _dir.File("algos.json");
        var valid = ConvolutionAlgorithmCache.Serialize(H100, [new(Key(), Choice())]);
        File.WriteAllBytes(path, valid[..(valid.Length - 10)]);
        var (_, messages) = Open(path);
        Assert.Matches(@"line \d+, byte \d+: ", messages.ToString());
    }

    [Fact]
    public void SavesLeaveNoTempFileBehind()
    {
        var path = _dir.File("algos.json");
        var (cache, messages) = Open(path);
        for (var i = 1; i <= 20; i++) cache.Add(Key(n: i), Choice(i % 7));
        Assert.Equal([path], Directory.GetFileSystemEntries(_dir.Path));
        Assert.Equal(20, ConvolutionAlgorithmCache.Read(path, H100).Entries.Count);
        Assert.Equal("", messages.ToString());
    }

    [Fact]
    public void AFailedSaveIsReportedOnceLeavesNoTempFileAndDoesNotThrow()
    {
        var path = _dir.File("algos.json");
        Directory.CreateDirectory(path); // a folder where the file should go: the rename fails
        var (cache, messages) = Open(path);
        cache.Add(Key(), Choice());
        cache.Add(Key(n: 2), Choice());
        Assert.True(cache.TryGet(Key(n: 2), out _)); // still cached in memory
        var line = Assert.Single(Lines(messages));
        Assert.Contains($"cannot write the convolution algorithm cache {Path.GetFullPath(path)}", line);
        Assert.Equal([path], Directory.GetFileSystemEntries(_dir.Path));
        Assert.Empty(Directory.GetFileSystemEntries(path));
    }

    [Fact]
    public void TwoWritersOfOneFileKeepEachOthersEntries()
    {
        var path = _dir.File("algos.json");
        var (a, _) = Open(path);
        var (b, _) = Open(path);
        a.Add(Key(n: 1), Choice(1));
        b.Add(Key(n: 2), Choice(2));
        a.Add(Key(n: 3), Choice(3));
        b.Add(Key(n: 1), Choice(6)); // the latest writer's choice wins for a key both have
        var (read, problem) = ConvolutionAlgorithmCache.Read(path, H100);
        Assert.Null(problem);
        var byKey = read.ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal(3, byKey.Count);
        Assert.Equal(6, byKey[Key(n: 1)].Algo);
        Assert.Equal(2, byKey[Key(n: 2)].Algo);
        Assert.Equal(3, byKey[Key(n: 3)].Algo);
    }
}
