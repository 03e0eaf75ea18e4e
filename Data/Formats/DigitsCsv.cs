using System.Globalization;
using System.IO.Compression;
using NativeNets.Tensors;

namespace NativeNets.Data.Formats;

/// <summary>
/// The UCI optical digits as scikit-learn ships them (digits.csv.gz): one line per image, 64 pixel values
/// 0..16 of an 8x8 grid, then the label 0..9. Pixels are scaled to 0..255 (round(v * 255 / 16)) so that every
/// dataset here shares one pixel range.
/// </summary>
public static class DigitsCsv
{
    public const int Side = 8;
    public const int PixelMax = 16;

    public static LabeledImages Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        var gz = file.Read(magic) == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        file.Position = 0;
        using var stream = gz ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        using var reader = new StreamReader(stream);
        var pixels = new List<byte>();
        var labels = new List<int>();
        string? line;
        var lineNo = 0;
        try
        {
            while ((line = reader.ReadLine()) is not null)
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                var fields = line.Split(',');
                if (fields.Length != Side * Side + 1)
                    throw new DataFormatException(path, $"line {lineNo}: {fields.Length} fields, expected {Side * Side + 1} (64 pixels and a label)");
                for (var i = 0; i <= Side * Side; i++)
                {
                    if (!double.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v != Math.Floor(v))
                        throw new DataFormatException(path, $"line {lineNo}, field {i + 1}: '{fields[i]}' is not a whole number");
                    if (i < Side * Side)
                    {
                        if (v < 0 || v > PixelMax)
                            throw new DataFormatException(path, $"line {lineNo}, field {i + 1}: pixel {v} is outside 0..{PixelMax}");
                        pixels.Add((byte)Math.Round(v * 255.0 / PixelMax));
                    }
                    else
                    {
                        if (v < 0 || v > 9)
                            throw new DataFormatException(path, $"line {lineNo}: label {v} is outside the 10 classes 0..9");
                        labels.Add((int)v);
                    }
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(path, $"corrupt gzip data after line {lineNo}: {e.Message}", inner: e);
        }
        if (labels.Count == 0) throw new DataFormatException(path, "no images: the file is empty");
        var images = Tensor.FromArray(pixels.ToArray(), labels.Count, 1, Side, Side);
        return new LabeledImages(images, labels.ToArray(), Enumerable.Range(0, 10).Select(d => d.ToString(CultureInfo.InvariantCulture)).ToArray(), path);
    }

    /// <summary>Where Debian's python3-sklearn installs the file, if it is installed.</summary>
    public static string? FindInstalled()
    {
        foreach (var root in new[] { "/usr/lib/python3/dist-packages", "/usr/local/lib/python3/dist-packages" })
        {
            var p = Path.Combine(root, "sklearn", "datasets", "data", "digits.csv.gz");
            if (File.Exists(p)) return p;
        }
        return null;
    }
}
