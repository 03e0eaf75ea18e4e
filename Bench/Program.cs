using System.CommandLine;
using System.Globalization;
using System.Text;
using NativeNets.Bench;
using NativeNets.Data.Datasets;
using NativeNets.Nets.Classifiers;
using Spectre.Console;

// `make bench`: NativeNets and its peers on this machine, in one run, written to Bench/RESULTS.md.
var data = new Option<string>("--data") { DefaultValueFactory = _ => FashionMnist.DefaultDirectory, Description = "Fashion-MNIST directory" };
var results = new Option<string?>("--results") { Description = "Markdown file to write the figures to (replaced atomically)" };
var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 3, Description = "Timed epochs per training figure (median)" };
var knnLimit = new Option<int>("--peer-knn-limit") { DefaultValueFactory = _ => 500, Description = "Test images for the peers' k-NN (they do ~50 queries/s)" };
var noPeers = new Option<bool>("--no-peers") { Description = "Measure NativeNets only" };
var root = new RootCommand("NativeNets CPU benchmarks beside PyTorch and scikit-learn") { data, results, runs, knnLimit, noPeers };
root.SetAction(p => Run(p.GetValue(data)!, p.GetValue(results), p.GetValue(runs), p.GetValue(knnLimit), p.GetValue(noPeers)));
return root.Parse(args).Invoke();

static int Run(string dataDir, string? resultsPath, int runs, int peerKnnLimit, bool noPeers)
{
    var inv = CultureInfo.InvariantCulture;
    var machine = Machine.Describe();
    AnsiConsole.WriteLine($"machine: {machine}");
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

    var profile = CpuBenchmarks.TwoLayerProfile(train);

    var table = new Table().AddColumns("workload", "NativeNets", "peer", "ratio", "peer run", "note");
    foreach (var r in rows)
        table.AddRow(Markup.Escape(r.Workload), $"{r.Ours:N1} {r.Unit}", r.Peer is { } pv ? $"{pv:N1}" : "-", r.Ratio is { } ra ? $"{ra:F2}x" : "-",
            Markup.Escape(r.PeerName), Markup.Escape(r.Note));
    AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 200);
    AnsiConsole.Write(table);
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
        md.AppendLine("| workload | NativeNets | peer | ratio | peer run | note |");
        md.AppendLine("|---|---:|---:|---:|---|---|");
        foreach (var r in rows)
            md.AppendLine(string.Create(inv, $"| {r.Workload} | {r.Ours:N1} {r.Unit} | {(r.Peer is { } pv ? pv.ToString("N1", inv) : "-")} | {(r.Ratio is { } ra ? ra.ToString("F2", inv) + "x" : "-")} | {r.PeerName} | {r.Note} |"));
        md.AppendLine().AppendLine("Per-layer profile of one two-layer (784-100-10) training step at batch 256:").AppendLine();
        md.AppendLine("| part | µs per call |").AppendLine("|---|---:|");
        foreach (var (part, us) in profile) md.AppendLine(string.Create(inv, $"| {part} | {us:F1} |"));
        md.AppendLine();
        var tmp = resultsPath + ".tmp";
        File.WriteAllText(tmp, md.ToString());
        File.Move(tmp, resultsPath, overwrite: true);
        AnsiConsole.WriteLine($"written {resultsPath}");
    }
    return 0;
}
