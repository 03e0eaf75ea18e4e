using System.Buffers.Binary;
using System.IO.Compression;
using NativeNets.Data;
using NativeNets.Data.Datasets;
using NativeNets.Data.Formats;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Data;

public class IdxFileTests
{
    [Theory]
    [InlineData("images.idx")]
    [InlineData("images.idx.gz")]
    public void WrittenFilesReadBackRawOrGzipped(string name)
    {
        using var dir = new TempDirectory();
        var data = Enumerable.Range(0, 3 * 4 * 5).Select(i => (byte)i).ToArray();
        IdxFile.Write(dir.File(name), data, 3, 4, 5);
        using var t = IdxFile.Read(dir.File(name), 3);
        Assert.Equal(new[] { 3, 4, 5 }, t.Shape);
        Assert.Equal(data, t.ToArray<byte>());
        Assert.Single(Directory.GetFiles(dir.Path)); // no temporary left behind
    }

    [Fact]
    public void TruncatedFileNamesItselfAndTheMissingBytes()
    {
        using var dir = new TempDirectory();
        var path = dir.File("train-images-idx3-ubyte");
        File.WriteAllBytes(path, Header(0x0803, 10, 28, 28).Concat(new byte[100]).ToArray());
        var e = Assert.Throws<DataFormatException>(() => IdxFile.Read(path, 3));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("7840", e.Message);
    }

    [Fact]
    public void FileShorterThanTheHeaderIsTruncated()
    {
        using var dir = new TempDirectory();
        var path = dir.File("short.idx");
        File.WriteAllBytes(path, [0, 0, 8, 3, 0, 0]);
        var e = Assert.Throws<DataFormatException>(() => IdxFile.Read(path, 3));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("dimension", e.Message);
    }

    [Fact]
    public void WrongMagicNumberIsReported()
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad-magic.idx");
        File.WriteAllBytes(path, Header(0x12340803, 1, 2, 2).Concat(new byte[4]).ToArray());
        var e = Assert.Throws<DataFormatException>(() => IdxFile.Read(path, 3));
        Assert.Contains("wrong magic number 0x12340803", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void WrongRankAndUnsupportedTypeAreReported()
    {
        using var dir = new TempDirectory();
        var rank = dir.File("rank.idx");
        File.WriteAllBytes(rank, Header(0x0802, 2, 2).Concat(new byte[4]).ToArray());
        Assert.Contains("rank 2", Assert.Throws<DataFormatException>(() => IdxFile.Read(rank, 3)).Message);
        var type = dir.File("float.idx");
        File.WriteAllBytes(type, Header(0x0D01, 2).Concat(new byte[8]).ToArray());
        Assert.Contains("0x0D (float)", Assert.Throws<DataFormatException>(() => IdxFile.Read(type, 1)).Message);
    }

    [Fact]
    public void HeaderClaimingMoreItemsThanTheFileHoldsIsRefusedBeforeAllocating()
    {
        using var dir = new TempDirectory();
        var path = dir.File("huge-claim.idx.gz");
        // 2 billion items of 28x28 would need 1.5 TB: the length check must refuse it without trying.
        WriteGzip(path, Header(0x0803, 2_000_000, 28, 28).Concat(new byte[784]).ToArray());
        var e = Assert.Throws<DataFormatException>(() => IdxFile.Read(path, 3));
        Assert.Contains("2000000", e.Message.Replace(",", ""));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void TrailingBytesAreRefused()
    {
        using var dir = new TempDirectory();
        var path = dir.File("long.idx");
        File.WriteAllBytes(path, Header(0x0801, 3).Concat(new byte[5]).ToArray());
        Assert.Contains("2 bytes too many", Assert.Throws<DataFormatException>(() => IdxFile.Read(path, 1)).Message);
    }

    [Fact]
    public void CutGzipStreamIsReportedNotCrashed()
    {
        using var dir = new TempDirectory();
        var good = dir.File("good.idx.gz");
        IdxFile.Write(good, new byte[5000].Select((_, i) => (byte)(i * 31)).ToArray(), 5000);
        var bytes = File.ReadAllBytes(good);
        var cut = dir.File("cut.idx.gz");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<DataFormatException>(() => IdxFile.Read(cut, 1));
        Assert.Contains(cut, e.Message);
    }

    [Fact]
    public void LabelCountDifferentFromImageCountNamesBothFiles()
    {
        using var dir = new TempDirectory();
        IdxFile.Write(dir.File("train-images-idx3-ubyte.gz"), new byte[3 * 4], 3, 2, 2);
        IdxFile.Write(dir.File("train-labels-idx1-ubyte.gz"), new byte[] { 1, 2 }, 2);
        var e = Assert.Throws<DataFormatException>(() => FashionMnist.LoadTrain(dir.Path));
        Assert.Contains("train-labels-idx1-ubyte.gz", e.Message);
        Assert.Contains("train-images-idx3-ubyte.gz", e.Message);
        Assert.Contains("2 labels", e.Message);
    }

    [Fact]
    public void LabelOutsideTheClassRangeIsReportedWithItsItem()
    {
        using var dir = new TempDirectory();
        IdxFile.Write(dir.File("t10k-images-idx3-ubyte"), new byte[3 * 4], 3, 2, 2);
        IdxFile.Write(dir.File("t10k-labels-idx1-ubyte"), new byte[] { 1, 10, 2 }, 3);
        var e = Assert.Throws<DataFormatException>(() => FashionMnist.LoadTest(dir.Path));
        Assert.Contains("label 10 of item 1", e.Message);
        Assert.Contains("t10k-labels-idx1-ubyte", e.Message);
    }

    [Fact]
    public void MissingDirectorySaysHowToInstallTheData()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Locate("/nonexistent/fashion"));
        Assert.Contains("/nonexistent/fashion", e.Message);
        using var dir = new TempDirectory();
        var missing = Assert.Throws<FileNotFoundException>(() => FashionMnist.LoadTrain(dir.Path));
        Assert.Contains("train-images-idx3-ubyte", missing.Message);
    }

    [Fact]
    public void GoodFilesLoadAsNchwImagesWithLabels()
    {
        using var dir = new TempDirectory();
        using var train = Synthetic.Blobs(30, 10, 28, 1);
        using var test = Synthetic.Blobs(10, 10, 28, 2);
        Synthetic.WriteMnistFiles(dir.Path, train, test);
        using var loaded = FashionMnist.LoadTrain(dir.Path);
        Assert.Equal(new[] { 30, 1, 28, 28 }, loaded.Images.Shape);
        Assert.Equal(train.Labels, loaded.Labels);
        Assert.Equal(train.Images.ToArray<byte>(), loaded.Images.ToArray<byte>());
        Assert.Equal("Ankle boot", loaded.ClassNames[9]);
    }

    private static byte[] Header(int magic, params int[] dims)
    {
        var b = new byte[4 + 4 * dims.Length];
        BinaryPrimitives.WriteInt32BigEndian(b, magic);
        for (var i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * i), dims[i]);
        return b;
    }

    private static void WriteGzip(string path, byte[] data)
    {
        using var f = File.Create(path);
        using var gz = new GZipStream(f, CompressionLevel.Fastest);
        gz.Write(data);
    }
}
