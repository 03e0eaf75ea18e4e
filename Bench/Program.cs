using System.CommandLine;
using System.Globalization;
using System.Text;
using NativeNets.Bench;
using NativeNets.Data.Datasets;
using NativeNets.Nets.Classifiers;
using Spectre.Console;

// `make bench`: NativeNets and its peers on this machine, in one run, written to Bench/RESULTS.md.
var data = new Option<string>("--data") { DefaultValueFactory = _ => FashionMnist.DefaultDirectory, Description = "Fashion-MNIST directory" };
var results = new Option<string?>("--results") { Description = "Markdown file to write the figures to (replaced atomically; with --only, a section is appended)" };
var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 3, Description = "Timed epochs per training figure (median)" };
var knnLimit = new Option<int>("--peer-knn-limit") { DefaultValueFactory = _ => 500, Description = "Test images for the peers' k-NN (they do ~50 queries/s)" };
var noPeers = new Option<bool>("--no-peers") { Description = "Measure NativeNets only" };
var only = new Option<string?>("--only")
{
    Description = "Run one part alone: image-pipeline (decode + augment beside Pillow; with --results its figures are appended as a new dated section)",
};
only.AcceptOnlyFromAmong("image-pipeline");
var root = new RootCommand("NativeNets CPU benchmarks beside PyTorch and scikit-learn") { data, results, runs, knnLimit, noPeers, only };
root.SetAction(p => Run(p.GetValue(data)!, p.GetValue(results), p.GetValue(runs), p.GetValue(knnLimit), p.GetValue(noPeers), p.GetValue(only)));
return root.Parse(args).Invoke();

static int Run(string dataDir, string? resultsPath, int runs, int peerKnnLimit, bool noPeers, string? only)
{
    var inv = CultureInfo.InvariantCulture;
    var machine = Machine.Describe();
    AnsiConsole.WriteLine($"machine: {machine}");
    if (only == "image-pipeline") return RunImagePipelineAlone(machine, resultsPath, noPeers);
    using var train = FashionMnist.LoadTrain(FashionMnist.Locate(dataDir));
    using var test = FashionMnist.LoadTest(FashionMnist.Locate(dataDir));
    var rows = new List<Measurement>();

    var peers = new Peers();
    if (!noPeers)
    {
        AnsiConsole.WriteLine("peers: running Bench/peers/cpu_peers.py ...");
        peers.Run(Path.Combine(AppContext.BaseDirectory, "../../../peers/cpu_peers.py") is var s && File.Exists(s) ? s : "Bench/peers/cpu_peers.py",
            dataDir, peerKnnLimit, runs);
    }
    AnsiConsole.WriteLine($"peers: {peers.Status}");
    string PeerName(System.Text.Json.JsonElement? r) => r is { } e
        ? $"{e.GetProperty("peer").GetString()} (OpenBLAS threads {e.GetProperty("blas_threads").GetString()})" : "-";
    double? PeerValue(System.Text.Json.JsonElement? r, string metric) => r?.GetProperty(metric).GetDouble();

    AnsiConsole.WriteLine("GEMM ...");
    var sgemm = CpuBenchmarks.GemmGflops(2048, 2048, 2048, runs: 3);
    var peerGemm = peers.Best("sgemm", "gflops");
    rows.Add(new("SGEMM 2048x2048x2048", "GFLOP/s", sgemm, PeerValue(peerGemm, "gflops"), PeerName(peerGemm)));
    rows.Add(new("SGEMM 256x100x784 (fc1 forward)", "GFLOP/s", CpuBenchmarks.GemmGflops(256, 100, 784, false, true), null, "-"));
    rows.Add(new("SGEMM 100x784x256 (fc1 weight gradient)", "GFLOP/s", CpuBenchmarks.GemmGflops(100, 784, 256, true, false), null, "-"));

    AnsiConsole.WriteLine("k-NN ...");
    var (acc, qps, _) = CpuBenchmarks.Knn(train, test, 1, Distance.L1);
    using (var firstQueries = test.Take(peerKnnLimit))
    {
        var (accSub, _, predSub) = CpuBenchmarks.Knn(train, firstQueries, 1, Distance.L1);
        var sk = peers.Best("knn", "queries_per_second", peerPrefix: "scikit-learn");
        var note = $"accuracy {acc:F4} on all {test.Count:N0} test images; on the first {firstQueries.Count}: {accSub:F4}";
        if (sk is { } skr)
        {
            var theirs = skr.GetProperty("predictions").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var same = theirs.Length == predSub.Length ? theirs.Zip(predSub).Count(t => t.First == t.Second) : -1;
            note += $", scikit-learn {skr.GetProperty("accuracy").GetDouble():F4}; identical predictions {same}/{theirs.Length}";
        }
        rows.Add(new("1-NN L1, Fashion-MNIST test set", "queries/s", qps, PeerValue(sk, "queries_per_second"), PeerName(sk), note));
        var cd = peers.Best("knn", "queries_per_second", peerPrefix: "pytorch");
        rows.Add(new("1-NN L1 (torch.cdist peer)", "queries/s", qps, PeerValue(cd, "queries_per_second"), PeerName(cd)));
    }
    var (acc2, qps2, _) = CpuBenchmarks.Knn(train, test, 1, Distance.L2);
    rows.Add(new("1-NN L2 (GEMM identity), test set", "queries/s", qps2, null, "-", $"accuracy {acc2:F4}"));

    foreach (var model in Zoo.LinearModels)
    {
        AnsiConsole.WriteLine($"training {model} ...");
        var (ips, testAcc) = CpuBenchmarks.TrainThroughput(model, train, test, runs);
        var pr = peers.Best("train", "train_images_per_second", model);
        rows.Add(new($"train {model}, batch 256", "images/s", ips, PeerValue(pr, "train_images_per_second"), PeerName(pr),
            $"median of {runs} epochs after one warm-up; test accuracy after {runs + 1} epochs {testAcc:F4}"));
    }

    AnsiConsole.WriteLine("training lenet5 ...");
    {
        var (ips, testAcc) = CpuBenchmarks.TrainThroughput("lenet5", train, test, runs);
        var pr = peers.Best("train", "train_images_per_second", "lenet5");
        rows.Add(new("train lenet5 (1x28x28, tanh, avg-pool), batch 256", "images/s", ips, PeerValue(pr, "train_images_per_second"), PeerName(pr),
            $"median of {runs} epochs after one warm-up; test accuracy after {runs + 1} epochs {testAcc:F4}"));
    }
    AnsiConsole.WriteLine("training resnet18, small stem ...");
    using (var slice = train.Take(1280))
    using (var testSlice = test.Take(1000))
    {
        var (ips, _) = CpuBenchmarks.TrainThroughput("resnet18", slice, testSlice, runs, batch: 64, smallStem: true);
        var pr = peers.Best("train", "train_images_per_second", "resnet18-small");
        rows.Add(new("train resnet18 (3x3 stem, no max-pool, 28 px), batch 64", "images/s", ips, PeerValue(pr, "train_images_per_second"), PeerName(pr),
            $"median of {runs} runs of 1,280 images after one warm-up run"));
    }

    AnsiConsole.WriteLine("image pipeline ...");
    var (imageRows, imageStatus) = ImagePipelineRows(noPeers);
    rows.AddRange(imageRows);

    var profile = CpuBenchmarks.TwoLayerProfile(train);
    var cnnProfiles = new List<(string Title, List<LayerProfiler.Row> Rows)>();
    foreach (var (arch, batch, small) in new[] { ("lenet5", 256, false), ("resnet18", 64, true) })
    {
        using var model = NativeNets.Nets.Architectures.Architectures.Create(arch, new() { Classes = 10, InChannels = 1, SmallStem = small });
        model.Network.SkipInputGradient();
        using var xb = new NativeNets.Tensors.Tensor([batch, 1, 28, 28]);
        using var yb = NativeNets.Tensors.Tensor.FromArray(train.Labels[..batch], batch);
        using var first = train.Take(batch);
        first.Images.Backend.ScaleShift(first.Images, xb, 1 / 255.0, 0);
        cnnProfiles.Add(($"{arch}{(small ? " (small stem)" : "")}, batch {batch}, training step", LayerProfiler.Profile(model.Network, xb, yb, arch == "lenet5" ? 20 : 3)));
    }

    WriteTable(rows);
    var prof = new Table().AddColumns("two-layer step, batch 256", "µs per call");
    foreach (var (part, us) in profile) prof.AddRow(Markup.Escape(part), us.ToString("F1", inv));
    AnsiConsole.Write(prof);

    if (resultsPath is not null)
    {
        var md = new StringBuilder();
        md.AppendLine("# Benchmark results").AppendLine();
        md.AppendLine("Written by `make bench` (Bench/Program.cs). Every figure below comes from one run on one machine; the peers ran in the same run.");
        md.AppendLine("Peers are configured as REFERENCE.md says their best users do (OpenBLAS pthread, `OPENBLAS_CORETYPE=COOPERLAKE`, torch with 2 threads),");
        md.AppendLine("each workload run with OpenBLAS at 1 and at 2 threads, and the better figure kept.").AppendLine();
        md.AppendLine($"## CPU: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC").AppendLine();
        md.AppendLine($"Machine: {machine}").AppendLine();
        md.AppendLine($"Peers: {peers.Status}").AppendLine();
        md.AppendLine($"Image pipeline: {imageStatus}").AppendLine();
        AppendRows(md, rows);
        md.AppendLine().AppendLine("Per-layer profile of one two-layer (784-100-10) training step at batch 256:").AppendLine();
        md.AppendLine("| part | µs per call |").AppendLine("|---|---:|");
        foreach (var (part, us) in profile) md.AppendLine(string.Create(inv, $"| {part} | {us:F1} |"));
        foreach (var (title, prows) in cnnProfiles)
        {
            md.AppendLine().AppendLine($"Per-layer profile, {title} (each layer timed alone on its real input; the first layer computes no input gradient):").AppendLine();
            md.AppendLine("| layer | kind | output | forward µs | backward µs |").AppendLine("|---|---|---|---:|---:|");
            foreach (var r in prows) md.AppendLine(string.Create(inv, $"| {r.Layer} | {r.Kind} | {r.Output} | {r.ForwardMicroseconds:F0} | {r.BackwardMicroseconds:F0} |"));
            md.AppendLine(string.Create(inv, $"| total | | | {prows.Sum(r => r.ForwardMicroseconds):F0} | {prows.Sum(r => r.BackwardMicroseconds):F0} |"));
        }
        md.AppendLine();
        var tmp = resultsPath + ".tmp";
        File.WriteAllText(tmp, md.ToString());
        File.Move(tmp, resultsPath, overwrite: true);
        AnsiConsole.WriteLine($"written {resultsPath}");
    }
    return 0;
}

static void WriteTable(List<Measurement> rows)
{
    var table = new Table().AddColumns("workload", "NativeNets", "peer", "ratio", "peer run", "note");
    foreach (var r in rows)
        table.AddRow(Markup.Escape(r.Workload), $"{r.Ours:N1} {r.Unit}", r.Peer is { } pv ? $"{pv:N1}" : "-", r.Ratio is { } ra ? $"{ra:F2}x" : "-",
            Markup.Escape(r.PeerName), Markup.Escape(r.Note));
    AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 200);
    AnsiConsole.Write(table);
}

static void AppendRows(StringBuilder md, List<Measurement> rows)
{
    var inv = CultureInfo.InvariantCulture;
    md.AppendLine("| workload | NativeNets | peer | ratio | peer run | note |");
    md.AppendLine("|---|---:|---:|---:|---|---|");
    foreach (var r in rows)
        md.AppendLine(string.Create(inv, $"| {r.Workload} | {r.Ours:N1} {r.Unit} | {(r.Peer is { } pv ? pv.ToString("N1", inv) : "-")} | {(r.Ratio is { } ra ? ra.ToString("F2", inv) + "x" : "-")} | {r.PeerName} | {r.Note} |"));
}

// Decode + augment (issue 7): ours and Pillow + torchvision on the same JPEGs, which the peer's script makes, so
// without PIL/torchvision in /usr/bin/python3 the part is skipped with the reason.
static (List<Measurement> Rows, string Status) ImagePipelineRows(bool noPeers)
{
    const string python = "/usr/bin/python3";
    var inv = CultureInfo.InvariantCulture;
    if (ImagePipeline.Unavailable(python) is { } why)
    {
        AnsiConsole.WriteLine($"image pipeline: skipped: {why}");
        return ([], $"skipped: {why}");
    }
    ImagePipelineResult r;
    try
    {
        r = ImagePipeline.Measure(images: 200, repeats: 3, folder: null, python: python, log: Console.Out, peer: !noPeers);
    }
    catch (Exception e) when (e is InvalidOperationException or IOException)
    {
        AnsiConsole.WriteLine($"image pipeline: skipped: {e.Message}");
        return ([], $"skipped: {e.Message}");
    }
    var peerName = r.PillowPipelinePerSecond is null ? "-" : $"{r.PeerStatus}, 1 thread";
    var files = string.Create(inv, $"{r.Images} JPEGs ({r.Dimensions}), {r.MinFileBytes / 1024.0:F0}-{r.MaxFileBytes / 1024.0:F0} KiB, mean {r.MeanFileBytes / 1024:F0} KiB");
    List<Measurement> rows =
    [
        new("decode JPEG to RGB, 1 core", "images/s", r.OursDecodePerSecond, r.PillowDecodePerSecond, peerName,
            "ImageDecoder.DecodeFile beside Pillow's open + convert(\"RGB\"); best of 3 passes over the files"),
        new("decode + RandomResizedCrop(224) + flip, 1 core", "images/s", r.OursPipelinePerSecond, r.PillowPipelinePerSecond, peerName,
            "images/s per core; best of 3 passes"),
        new($"ImageLoader, {r.LoaderWorkers} workers, batch 32 (decode + augment + U8 NHWC batch)", "images/s", r.OursLoaderPerSecond, null, "-",
            string.Create(inv, $"{r.OursLoaderPerCore:N1} images/s per worker; no peer (torch's DataLoader not measured)")),
    ];
    return (rows, $"{files}, {r.Source}; peer: {r.PeerStatus}");
}

// --only image-pipeline: that part alone; with --results, a new dated section is appended and nothing above it changes.
static int RunImagePipelineAlone(string machine, string? resultsPath, bool noPeers)
{
    var loadBefore = LoadAverage();
    var (rows, status) = ImagePipelineRows(noPeers);
    var loadAfter = LoadAverage();
    if (rows.Count > 0) WriteTable(rows);
    AnsiConsole.WriteLine($"load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter}");
    if (rows.Count == 0 || resultsPath is null) return 0;   // skipped (the reason is printed): nothing to append
    var md = new StringBuilder();
    md.AppendLine().AppendLine($"## Image pipeline (decode + augment): {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC").AppendLine();
    md.AppendLine("Written by `NativeNets.Bench --only image-pipeline` (Bench/Program.cs, Bench/ImagePipeline.cs); the peer ran in the same run, on the same files.").AppendLine();
    md.AppendLine($"Machine: {machine}").AppendLine();
    md.AppendLine($"Load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter}").AppendLine();
    md.AppendLine($"Image pipeline: {status}").AppendLine();
    AppendRows(md, rows);
    var existing = File.Exists(resultsPath) ? File.ReadAllText(resultsPath) : "# Benchmark results\n";
    var tmp = resultsPath + ".tmp";
    File.WriteAllText(tmp, existing.TrimEnd('\n') + "\n" + md);
    File.Move(tmp, resultsPath, overwrite: true);
    AnsiConsole.WriteLine($"appended to {resultsPath}");
    return 0;
}

static string LoadAverage()
{
    try
    {
        return string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
    }
    catch (IOException)
    {
        return "unknown";
    }
    catch (UnauthorizedAccessException)
    {
        return "unknown";
    }
}
