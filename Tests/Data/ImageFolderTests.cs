using NativeNets.Data;
using NativeNets.Data.Datasets;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Data;

public class ImageFolderTests
{
    private static void Touch(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [0xFF, 0xD8, 0xFF]);
    }

    [Fact]
    public void ClassFoldersAreSortedOrdinallyAndFilesAsTorchvisionWalksThem()
    {
        using var dir = new TempDirectory();
        var root = dir.Path;
        // Upper case sorts before lower case ordinally, as in Python's sorted().
        foreach (var f in new[] { "b/2.JPEG", "b/10.jpeg", "b/1.png", "a/x.Jpg", "a/sub/y.jpg", "a/sub/a.PNG", "a/notes.txt", "a/z.gif", "B/only.bmp", "a/sub2/k.webp" })
            Touch(Path.Combine(root, f));
        var ds = ImageFolder.FromClassFolders(root);
        Assert.Equal(["B", "a", "b"], ds.Classes);
        var rel = ds.Samples.Select(s => (Path.GetRelativePath(root, s.Path), s.Label)).ToArray();
        Assert.Equal(
        [
            ("B/only.bmp", 0),
            ("a/x.Jpg", 1), ("a/sub/a.PNG", 1), ("a/sub/y.jpg", 1), ("a/sub2/k.webp", 1),
            ("b/1.png", 2), ("b/10.jpeg", 2), ("b/2.JPEG", 2),
        ], rel);
        Assert.Equal(2, ds.ClassToIndex["b"]);
    }

    [Fact]
    public void EmptyRootsAndEmptyClassesAreClearErrors()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<DataFormatException>(() => ImageFolder.FromClassFolders(dir.Path));
        Assert.Contains("no class folders", e.Message);
        Touch(Path.Combine(dir.Path, "cat", "1.jpg"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "dog"));
        File.WriteAllText(Path.Combine(dir.Path, "dog", "readme.txt"), "no images");
        e = Assert.Throws<DataFormatException>(() => ImageFolder.FromClassFolders(dir.Path));
        Assert.Contains("dog", e.Message);
        Assert.DoesNotContain("cat", e.Problem);
        Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.FromClassFolders(Path.Combine(dir.Path, "missing")));
    }

    [Fact]
    public void ALabelsFileWithIndicesOrClassNames()
    {
        using var dir = new TempDirectory();
        var val = Path.Combine(dir.Path, "val");
        foreach (var f in new[] { "c.jpg", "a.jpg", "with space.JPEG", "unlisted.jpg" }) Touch(Path.Combine(val, f));
        var labels = dir.File("labels.txt");
        File.WriteAllLines(labels, ["# file label", "c.jpg 2", "", "a.jpg\t0", "with space.JPEG\t1"]);
        var ds = ImageFolder.FromLabelsFile(val, labels);
        Assert.Equal(["0", "1", "2"], ds.Classes);
        Assert.Equal([("a.jpg", 0), ("c.jpg", 2), ("with space.JPEG", 1)], ds.Samples.Select(s => (Path.GetFileName(s.Path), s.Label)).ToArray());

        File.WriteAllLines(labels, ["c.jpg\tn02", "a.jpg n01"]);
        ds = ImageFolder.FromLabelsFile(val, labels, classes: ["n01", "n02", "n03"]);
        Assert.Equal([0, 1], ds.Samples.Select(s => s.Label).ToArray());
        ds = ImageFolder.FromLabelsFile(val, labels);
        Assert.Equal(["n01", "n02"], ds.Classes);
    }

    [Fact]
    public void ImageNetsLocValSolutionCsvIsReadAsIs()
    {
        using var dir = new TempDirectory();
        var val = Path.Combine(dir.Path, "val");
        Touch(Path.Combine(val, "ILSVRC2012_val_00000002.JPEG"));
        Touch(Path.Combine(val, "ILSVRC2012_val_00000001.JPEG"));
        var csv = dir.File("LOC_val_solution.csv");
        File.WriteAllLines(csv,
        [
            "ImageId,PredictionString",
            "ILSVRC2012_val_00000002,n01751748 1 2 300 400 n01751748 5 5 100 100 ",
            "ILSVRC2012_val_00000001,n01440764 10 20 200 300",
        ]);
        var ds = ImageFolder.FromLabelsFile(val, csv, classes: ["n01440764", "n01443537", "n01751748"]);
        Assert.Equal([("ILSVRC2012_val_00000001.JPEG", 0), ("ILSVRC2012_val_00000002.JPEG", 2)],
            ds.Samples.Select(s => (Path.GetFileName(s.Path), s.Label)).ToArray());
        File.AppendAllLines(csv, ["ILSVRC2012_val_00000003,n01440764 1 1 2 2"]);
        var e = Assert.Throws<DataFormatException>(() => ImageFolder.FromLabelsFile(val, csv));
        Assert.Contains("line 4", e.Message);
        Assert.Contains("ILSVRC2012_val_00000003", e.Message);
    }

    [Fact]
    public void BadLabelsFilesNameTheFileAndLine()
    {
        using var dir = new TempDirectory();
        var val = Path.Combine(dir.Path, "val");
        Touch(Path.Combine(val, "a.jpg"));
        var labels = dir.File("labels.txt");

        File.WriteAllLines(labels, ["a.jpg 0", "missing.jpg 1"]);
        var e = Assert.Throws<DataFormatException>(() => ImageFolder.FromLabelsFile(val, labels));
        Assert.StartsWith(labels + ": line 2: ", e.Message);
        Assert.Contains("missing.jpg", e.Message);

        File.WriteAllLines(labels, ["a.jpg"]);
        e = Assert.Throws<DataFormatException>(() => ImageFolder.FromLabelsFile(val, labels));
        Assert.Contains("line 1", e.Message);

        File.WriteAllLines(labels, ["a.jpg 0", "a.jpg 1"]);
        Assert.Contains("again (first on line 1)", Assert.Throws<DataFormatException>(() => ImageFolder.FromLabelsFile(val, labels)).Message);

        File.WriteAllLines(labels, ["a.jpg 7"]);
        Assert.Contains("outside the 2 classes", Assert.Throws<DataFormatException>(() => ImageFolder.FromLabelsFile(val, labels, classes: ["x", "y"])).Message);

        File.WriteAllLines(labels, ["a.jpg zebra"]);
        Assert.Contains("unknown class \"zebra\"", Assert.Throws<DataFormatException>(() => ImageFolder.FromLabelsFile(val, labels, classes: ["x", "y"])).Message);

        File.WriteAllLines(labels, ["# nothing"]);
        Assert.Contains("empty", Assert.Throws<DataFormatException>(() => ImageFolder.FromLabelsFile(val, labels)).Message);
    }
}
