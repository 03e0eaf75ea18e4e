using System.Globalization;

namespace NativeNets.Data.Datasets;

/// <summary>One labelled image file.</summary>
public readonly record struct ImageSample(string Path, int Label);

/// <summary>
/// Image files with class labels, found the way torchvision's ImageFolder finds them, or listed by a labels file.
/// <para><see cref="FromClassFolders"/>: <c>root/&lt;class&gt;/**/file</c>. Classes are the sub-folders of root sorted by
/// ordinal name (Python's sorted), labels their positions; within a class, folders are walked recursively in
/// ordinal order of their paths and files sorted by name, as torchvision's make_dataset does. A file belongs if its
/// name ends, ignoring case, with one of <see cref="Extensions"/> (torchvision's IMG_EXTENSIONS by default).</para>
/// <para><see cref="FromLabelsFile"/>: a flat folder (ImageNet's validation set) and a labels file, one image per line:
/// <c>FILE LABEL</c>, the last run of blanks (or the last tab, when the line has one, so names may hold spaces) separating
/// the two; LABEL is a class index (digits) or a class name. Blank lines and lines starting with '#' are skipped.
/// ImageNet's <c>LOC_val_solution.csv</c> is read as is: a header <c>ImageId,PredictionString</c>, then
/// <c>ImageId,synset x y x y ...</c>, the file being ImageId plus an image extension and the class the first synset.
/// Samples are sorted by file name.</para>
/// </summary>
public sealed class ImageFolder
{
    /// <summary>torchvision's IMG_EXTENSIONS (matched ignoring case); ImageDecoder reads the JPEG, PNG and BMP ones and reports the rest as unsupported.</summary>
    public static readonly IReadOnlyList<string> TorchvisionExtensions = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"];

    private ImageFolder(string root, IReadOnlyList<string> classes, IReadOnlyList<ImageSample> samples, IReadOnlyList<string> extensions)
    {
        Root = root;
        Classes = classes;
        Samples = samples;
        Extensions = extensions;
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < classes.Count; i++) map[classes[i]] = i;
        ClassToIndex = map;
    }

    /// <summary>The folder the images were found in.</summary>
    public string Root { get; }
    /// <summary>Class names; a label is an index into this list.</summary>
    public IReadOnlyList<string> Classes { get; }
    /// <summary>Class name to label.</summary>
    public IReadOnlyDictionary<string, int> ClassToIndex { get; }
    /// <summary>The images with their labels, in torchvision's order.</summary>
    public IReadOnlyList<ImageSample> Samples { get; }
    /// <summary>The file name endings that were accepted.</summary>
    public IReadOnlyList<string> Extensions { get; }
    /// <summary>Number of samples.</summary>
    public int Count => Samples.Count;

    /// <summary>torchvision's ImageFolder(root): one sub-folder per class.</summary>
    public static ImageFolder FromClassFolders(string root, IReadOnlyList<string>? extensions = null)
    {
        extensions ??= TorchvisionExtensions;
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: no such directory");
        var classes = Directory.EnumerateDirectories(root).Select(d => System.IO.Path.GetFileName(d)!).ToList();
        classes.Sort(StringComparer.Ordinal);
        if (classes.Count == 0)
            throw new DataFormatException(root, "no class folders: expected root/<class>/<image> (one sub-folder per class)");
        var samples = new List<ImageSample>();
        var empty = new List<string>();
        for (var label = 0; label < classes.Count; label++)
        {
            var before = samples.Count;
            var dir = System.IO.Path.Combine(root, classes[label]);
            // os.walk order as torchvision sorts it: folders by path, files by name within each.
            var folders = Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories).Prepend(dir).ToList();
            folders.Sort(StringComparer.Ordinal);
            foreach (var folder in folders)
            {
                var files = Directory.EnumerateFiles(folder).Where(f => HasExtension(f, extensions)).ToList();
                files.Sort(StringComparer.Ordinal);
                foreach (var f in files) samples.Add(new ImageSample(f, label));
            }
            if (samples.Count == before) empty.Add(classes[label]);
        }
        if (empty.Count > 0)
            throw new DataFormatException(root,
                $"no image files in the class folder{(empty.Count > 1 ? "s" : "")} {string.Join(", ", empty)} (accepted endings: {string.Join(" ", extensions)})");
        return new ImageFolder(root, classes, samples, extensions);
    }

    /// <summary>
    /// A flat folder of images labelled by <paramref name="labelsFile"/> (format in the class summary). Class names
    /// resolve against <paramref name="classes"/> (pass the training folder's, so labels agree); without it they are the
    /// sorted distinct names of the file, or "0".."max" for numeric labels.
    /// </summary>
    public static ImageFolder FromLabelsFile(string folder, string labelsFile, IReadOnlyList<string>? classes = null, IReadOnlyList<string>? extensions = null)
    {
        extensions ??= TorchvisionExtensions;
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: no such directory");
        if (!File.Exists(labelsFile)) throw new FileNotFoundException($"{labelsFile}: no such labels file", labelsFile);
        var lines = File.ReadAllLines(labelsFile);
        var csv = lines.Length > 0 && lines[0].Trim().Equals("ImageId,PredictionString", StringComparison.Ordinal);
        // For the CSV layout, ImageId has no extension: find files by name without it.
        Dictionary<string, string>? byStem = null;
        if (csv)
        {
            byStem = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var f in Directory.EnumerateFiles(folder).Where(f => HasExtension(f, extensions)))
                byStem.TryAdd(System.IO.Path.GetFileNameWithoutExtension(f), System.IO.Path.GetFileName(f));
        }
        var entries = new List<(string File, string Label, int Line)>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = csv ? 1 : 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            var lineNo = i + 1;
            if (line.Length == 0 || line[0] == '#') continue;
            string file, label;
            if (csv)
            {
                var comma = line.IndexOf(',');
                var prediction = comma < 0 ? "" : line[(comma + 1)..].Trim();
                var first = prediction.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
                if (comma <= 0 || first is null)
                    throw new DataFormatException(labelsFile, $"line {lineNo}: expected ImageId,PredictionString (the first token of PredictionString is the class); got \"{Shorten(line)}\"");
                var id = line[..comma].Trim();
                if (!byStem!.TryGetValue(id, out var found))
                    throw new DataFormatException(labelsFile, $"line {lineNo}: no image file {id}.* in {folder} (accepted endings: {string.Join(" ", extensions)})");
                (file, label) = (found, first);
            }
            else
            {
                var cut = line.Contains('\t') ? line.LastIndexOf('\t') : line.LastIndexOfAny([' ', '\t']);
                if (cut <= 0)
                    throw new DataFormatException(labelsFile, $"line {lineNo}: expected \"FILE LABEL\" or \"FILE<TAB>CLASS\"; got \"{Shorten(line)}\"");
                file = line[..cut].TrimEnd();
                label = line[(cut + 1)..].Trim();
                if (file.Length == 0 || label.Length == 0)
                    throw new DataFormatException(labelsFile, $"line {lineNo}: expected \"FILE LABEL\" or \"FILE<TAB>CLASS\"; got \"{Shorten(line)}\"");
                if (!File.Exists(System.IO.Path.Combine(folder, file)))
                    throw new DataFormatException(labelsFile, $"line {lineNo}: the image {file} is not in {folder}");
            }
            if (seen.TryGetValue(file, out var earlier))
                throw new DataFormatException(labelsFile, $"line {lineNo}: {file} is labelled again (first on line {earlier})");
            seen[file] = lineNo;
            entries.Add((file, label, lineNo));
        }
        if (entries.Count == 0) throw new DataFormatException(labelsFile, "no labelled images: the labels file is empty");

        var numeric = entries.All(e => e.Label.All(char.IsAsciiDigit));
        List<string> classList;
        if (classes is not null) classList = [.. classes];
        else if (numeric)
        {
            var max = entries.Max(e => int.TryParse(e.Label, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0);
            classList = Enumerable.Range(0, max + 1).Select(v => v.ToString(CultureInfo.InvariantCulture)).ToList();
        }
        else
        {
            classList = entries.Select(e => e.Label).Distinct(StringComparer.Ordinal).ToList();
            classList.Sort(StringComparer.Ordinal);
        }
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var c = 0; c < classList.Count; c++) index.TryAdd(classList[c], c);
        var samples = new List<ImageSample>(entries.Count);
        foreach (var (file, label, lineNo) in entries)
        {
            int value;
            if (label.All(char.IsAsciiDigit))
            {
                if (!int.TryParse(label, NumberStyles.None, CultureInfo.InvariantCulture, out value) || value >= classList.Count)
                    throw new DataFormatException(labelsFile, $"line {lineNo}: label {label} is outside the {classList.Count} classes 0..{classList.Count - 1}");
            }
            else if (!index.TryGetValue(label, out value))
                throw new DataFormatException(labelsFile, $"line {lineNo}: unknown class \"{label}\" ({classList.Count} classes known, e.g. {string.Join(", ", classList.Take(3))})");
            samples.Add(new ImageSample(System.IO.Path.Combine(folder, file), value));
        }
        samples.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new ImageFolder(folder, classList, samples, extensions);
    }

    /// <summary>Whether <paramref name="path"/> ends with one of <paramref name="extensions"/>, ignoring case (torchvision's has_file_allowed_extension).</summary>
    public static bool HasExtension(string path, IReadOnlyList<string> extensions)
    {
        foreach (var e in extensions)
            if (path.EndsWith(e, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";
}
