using System.Diagnostics;
using System.Text.Json;
using NativeNets.Data.Datasets;
using NativeNets.Data.Images;
using NativeNets.Data.Loading;
using NativeNets.Data.Transforms;
using NativeNets.Tensors;

namespace NativeNets.Bench;

/// <summary>Images per second of the decode + augment pipeline, ours and Pillow + torchvision's on the same files.</summary>
public sealed record ImagePipelineResult(
    int Images,
    double MeanFileBytes,
    long MinFileBytes,
    long MaxFileBytes,
    string Dimensions,
    string Source,
    double OursDecodePerSecond,
    double OursPipelinePerSecond,
    double OursLoaderPerSecond,
    int LoaderWorkers,
    double? PillowDecodePerSecond,
    double? PillowPipelinePerSecond,
    string PeerStatus)
{
    /// <summary>The loader's rate divided by its worker threads (the machine's cores).</summary>
    public double OursLoaderPerCore => OursLoaderPerSecond / LoaderWorkers;
}

/// <summary>
/// Decode + RandomResizedCrop(224) + RandomHorizontalFlip on ImageNet-sized JPEGs (500x375 and 375x500, quality 90,
/// made by Bench/peers/pillow_pipeline.py with Pillow), single-threaded (images/s per core) and through the
/// <see cref="ImageLoader"/> on every core, beside Pillow 9.4 + torchvision 0.14 on one core in the same run.
/// </summary>
public static class ImagePipeline
{
    /// <summary>The JPEG quality Bench/peers/pillow_pipeline.py saves the benchmark images with.</summary>
    public const int JpegQuality = 90;

    /// <summary>Why <paramref name="python"/> cannot make the JPEGs or run the peer (no PIL, numpy, torch or torchvision), or null when it can.</summary>
    public static string? Unavailable(string python = "/usr/bin/python3")
    {
        var output = RunPython(python, ["-c", "import PIL, numpy, torch, torchvision; print(PIL.__version__, torchvision.__version__)"], out var error);
        if (output is not null) return null;
        var last = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "it failed";
        return $"{python} cannot import PIL, numpy, torch and torchvision ({last}); apt-get install python3-pil python3-torchvision";
    }

    /// <summary>Makes <paramref name="images"/> JPEGs in a temporary folder (or uses <paramref name="folder"/>'s), measures, prints one line per figure, and deletes what it made.</summary>
    /// <param name="peer">false: measure NativeNets only (Python still makes the JPEGs when no folder is given).</param>
    public static ImagePipelineResult Measure(int images = 200, int repeats = 3, string? folder = null, string python = "/usr/bin/python3", TextWriter? log = null,
        bool peer = true)
    {
        log ??= Console.Out;
        var script = FindScript();
        var made = folder is null;
        folder ??= Path.Combine(Path.GetTempPath(), "nativenets-jpegs-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            if (made)
            {
                var output = RunPython(python, [script, "--make", folder, "--count", images.ToString(System.Globalization.CultureInfo.InvariantCulture)], out var error);
                if (output is null) throw new InvalidOperationException($"cannot make the benchmark JPEGs with {python} {script}: {error}");
            }
            var files = Directory.GetFiles(folder, "*.JPEG").Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new InvalidOperationException($"{folder}: no .JPEG files");
            var lengths = files.Select(f => new FileInfo(f).Length).ToArray();
            var meanBytes = lengths.Average();

            var augment = new Compose(new RandomResizedCrop(224), new RandomHorizontalFlip());
            var rng = new Rng(1);
            void Pipeline(string f)
            {
                var decoded = ImageDecoder.DecodeFile(f);
                var output = augment.Apply(decoded, rng);
                if (!ReferenceEquals(output, decoded)) decoded.Release();
                output.Release();
            }
            var sizes = new SortedDictionary<string, int>(StringComparer.Ordinal);
            foreach (var f in files)
            {
                // Warm up (JIT, page cache) and note what the files are.
                var decoded = ImageDecoder.DecodeFile(f);
                var key = $"{decoded.Width}x{decoded.Height}";
                sizes[key] = sizes.GetValueOrDefault(key) + 1;
                decoded.Release();
                Pipeline(f);
            }
            var source = made ? $"made by Bench/peers/pillow_pipeline.py (Pillow, quality {JpegQuality}, 4:2:0)" : folder;
            var dimensions = string.Join(", ", sizes.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Value} of {kv.Key}"));
            var decode = Best(repeats, files.Length, () => { foreach (var f in files) ImageDecoder.DecodeFile(f).Release(); });
            var pipeline = Best(repeats, files.Length, () => { foreach (var f in files) Pipeline(f); });

            var workers = Environment.ProcessorCount;
            var samples = files.Select(f => new ImageSample(f, 0)).ToArray();
            using var loader = new ImageLoader(samples, augment, 224, 224, new ImageLoaderOptions { BatchSize = 32, Workers = workers, Seed = 1 });
            var epoch = 0;
            var loaded = Best(repeats, files.Length, () => { foreach (var b in loader.Epoch(epoch++)) b.Dispose(); });

            double? pillowDecode = null, pillowPipeline = null;
            string status;
            string? json = null;
            var peerError = "";
            if (peer) json = RunPython(python, [script, "--run", folder, "--repeats", repeats.ToString(System.Globalization.CultureInfo.InvariantCulture)], out peerError);
            if (!peer) status = "the Pillow peer was not run (--no-peers)";
            else if (json is null) status = $"the Pillow peer did not run: {peerError}";
            else
            {
                using var doc = JsonDocument.Parse(json);
                pillowDecode = doc.RootElement.GetProperty("decode_images_per_second").GetDouble();
                pillowPipeline = doc.RootElement.GetProperty("pipeline_images_per_second").GetDouble();
                status = doc.RootElement.GetProperty("peer").GetString() ?? "Pillow";
            }
            var result = new ImagePipelineResult(files.Length, meanBytes, lengths.Min(), lengths.Max(), dimensions, source, decode, pipeline, loaded, workers, pillowDecode, pillowPipeline, status);
            log.WriteLine($"image pipeline: {files.Length} JPEGs ({dimensions}), {source}, {lengths.Min() / 1024.0:F0}-{lengths.Max() / 1024.0:F0} KiB, mean {meanBytes / 1024:F0} KiB");
            log.WriteLine($"  decode, 1 core:                          ours {decode,7:F0} images/s   Pillow {pillowDecode,7:F0}");
            log.WriteLine($"  decode + RandomResizedCrop + flip, 1 core: ours {pipeline,7:F0} images/s   Pillow + torchvision {pillowPipeline,7:F0}");
            log.WriteLine($"  ImageLoader, {workers} workers:                ours {loaded,7:F0} images/s ({result.OursLoaderPerCore:F0} per core)   [{status}]");
            return result;
        }
        finally
        {
            if (made && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The best of <paramref name="repeats"/> timed passes, as items per second.</summary>
    private static double Best(int repeats, int items, Action pass)
    {
        var best = 0.0;
        for (var r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            pass();
            best = Math.Max(best, items / sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static string FindScript()
    {
        foreach (var candidate in new[] { Path.Combine(AppContext.BaseDirectory, "../../../peers/pillow_pipeline.py"), "Bench/peers/pillow_pipeline.py" })
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        throw new FileNotFoundException("Bench/peers/pillow_pipeline.py not found (run from the repository root)");
    }

    /// <summary>The last line of the script's stdout, or null (and the reason) when it failed.</summary>
    private static string? RunPython(string python, string[] args, out string error)
    {
        try
        {
            using var proc = Process.Start(new ProcessStartInfo(python, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var stderr = proc.StandardError.ReadToEndAsync();
            var stdout = proc.StandardOutput.ReadToEnd();
            proc.WaitForExit();
            error = stderr.Result.Trim();
            if (proc.ExitCode != 0) return null;
            return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            error = e.Message;
            return null;
        }
    }
}
