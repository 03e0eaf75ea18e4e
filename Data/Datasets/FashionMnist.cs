using NativeNets.Data.Formats;
using NativeNets.Tensors;

namespace NativeNets.Data.Datasets;

/// <summary>
/// Fashion-MNIST (and MNIST, which shares its files' names and format): 28x28 grey images, 10 classes, in
/// four IDX files, gzipped or raw. Debian's dataset-fashion-mnist installs them in <see cref="DefaultDirectory"/>.
/// </summary>
public static class FashionMnist
{
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";
    public const string DebianPackage = "dataset-fashion-mnist";

    public static readonly IReadOnlyList<string> ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static LabeledImages LoadTrain(string directory) => Load(directory, "train");

    public static LabeledImages LoadTest(string directory) => Load(directory, "t10k");

    /// <summary>Loads one split ("train" or "t10k") and checks that images and labels agree.</summary>
    public static LabeledImages Load(string directory, string split, IReadOnlyList<string>? classNames = null)
    {
        classNames ??= ClassNames;
        var imagesPath = FindFile(directory, $"{split}-images-idx3-ubyte");
        var labelsPath = FindFile(directory, $"{split}-labels-idx1-ubyte");
        var images = IdxFile.Read(imagesPath, 3);
        try
        {
            using var labelBytes = IdxFile.Read(labelsPath, 1);
            if (labelBytes.Count != images[0])
                throw new DataFormatException(labelsPath, $"{labelBytes.Count} labels, but {imagesPath} holds {images[0]} images: the counts must be equal");
            var raw = labelBytes.Span<byte>();
            var labels = new int[raw.Length];
            for (var i = 0; i < raw.Length; i++)
            {
                if (raw[i] >= classNames.Count)
                    throw new DataFormatException(labelsPath, $"label {raw[i]} of item {i} is outside the {classNames.Count} classes 0..{classNames.Count - 1}", 8 + i);
                labels[i] = raw[i];
            }
            var nchw = images.Reshape(images[0], 1, images[1], images[2]);
            // The reshape is a view: hand the storage over by copying into an owning tensor of the right rank.
            var owned = new Tensor(nchw.Shape, DType.U8);
            images.Backend.Copy(nchw, owned);
            return new LabeledImages(owned, labels, classNames, imagesPath);
        }
        finally
        {
            images.Dispose();
        }
    }

    /// <summary>The directory to use: the given one, else the Debian package's, else an error that says what to do.</summary>
    public static string Locate(string? directory)
    {
        if (directory is not null)
        {
            if (!Directory.Exists(directory))
                throw new DirectoryNotFoundException($"--data {directory}: no such directory");
            return directory;
        }
        if (Directory.Exists(DefaultDirectory)) return DefaultDirectory;
        throw new DirectoryNotFoundException(
            $"Fashion-MNIST was not found at {DefaultDirectory}. Install it with `sudo apt-get install {DebianPackage}` (Debian/Ubuntu), " +
            "or pass --data DIR with train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz.");
    }

    private static string FindFile(string directory, string stem)
    {
        foreach (var name in new[] { stem + ".gz", stem, stem.Replace("-idx", ".idx", StringComparison.Ordinal) })
        {
            var p = Path.Combine(directory, name);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"{directory}: neither {stem}.gz nor {stem} is there", Path.Combine(directory, stem + ".gz"));
    }
}
