using NativeNets.Data;
using NativeNets.Data.Formats;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Data;

public class DigitsCsvTests
{
    [Fact]
    public void ReadsPixelsScaledToBytesAndLabels()
    {
        using var dir = new TempDirectory();
        var path = dir.File("digits.csv");
        var row1 = string.Join(",", Enumerable.Range(0, 64).Select(i => i % 17)) + ",7";
        var row2 = string.Join(",", Enumerable.Repeat("16", 64)) + ",0";
        File.WriteAllText(path, row1 + "\n" + row2 + "\n");
        using var d = DigitsCsv.Read(path);
        Assert.Equal(new[] { 2, 1, 8, 8 }, d.Images.Shape);
        Assert.Equal(new[] { 7, 0 }, d.Labels);
        var px = d.Images.ToArray<byte>();
        Assert.Equal(0, px[0]);
        Assert.Equal((byte)Math.Round(5 * 255.0 / 16), px[5]);
        Assert.Equal(255, px[64]);
    }

    [Fact]
    public void BadLinesAreReportedWithFileAndLine()
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.csv");
        File.WriteAllText(path, string.Join(",", Enumerable.Repeat("0", 64)) + ",1\n" + "1,2,3\n");
        var e = Assert.Throws<DataFormatException>(() => DigitsCsv.Read(path));
        Assert.Contains("line 2", e.Message);
        Assert.Contains(path, e.Message);
        File.WriteAllText(path, string.Join(",", Enumerable.Repeat("17", 64)) + ",1\n");
        Assert.Contains("outside 0..16", Assert.Throws<DataFormatException>(() => DigitsCsv.Read(path)).Message);
        File.WriteAllText(path, string.Join(",", Enumerable.Repeat("1", 64)) + ",12\n");
        Assert.Contains("label 12", Assert.Throws<DataFormatException>(() => DigitsCsv.Read(path)).Message);
    }

    [Fact]
    public void TheInstalledScikitLearnCopyReadsWhenPresent()
    {
        var path = DigitsCsv.FindInstalled();
        Assert.SkipWhen(path is null, "python3-sklearn's digits.csv.gz is not installed");
        using var d = DigitsCsv.Read(path!);
        Assert.Equal(1797, d.Count);
        Assert.Equal(10, d.Labels.Distinct().Count());
    }
}
