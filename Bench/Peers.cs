using System.Diagnostics;
using System.Text.Json;

namespace NativeNets.Bench;

/// <summary>
/// Runs Bench/peers/cpu_peers.py (PyTorch and scikit-learn from Debian) in the same call, in each BLAS
/// configuration REFERENCE.md names, and keeps each workload's best figure: the peer at its best.
/// </summary>
internal sealed class Peers
{
    private readonly List<JsonElement> _records = [];

    public bool Available { get; private set; }
    public string Status { get; private set; } = "not run";
    public IReadOnlyList<JsonElement> Records => _records;

    public static string? FindPython()
    {
        foreach (var p in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                using var proc = Process.Start(new ProcessStartInfo(p, ["-c", "import torch, sklearn"]) { RedirectStandardError = true, RedirectStandardOutput = true });
                if (proc is null) continue;
                proc.WaitForExit();
                if (proc.ExitCode == 0) return p;
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        return null;
    }

    public void Run(string script, string data, int knnLimit, int runs)
    {
        var python = FindPython();
        if (python is null)
        {
            Status = "PyTorch/scikit-learn not installed (apt-get install python3-torch python3-sklearn libopenblas0-pthread)";
            return;
        }
        // OpenBLAS with one thread (torch parallelises itself) and with two; the script sets COOPERLAKE.
        // Convolutions go through oneDNN, not the BLAS: ResNet-18 (a minute per configuration) runs in the first only.
        RunOnce(python, script, ["--data", data, "--knn-limit", knnLimit.ToString(), "--epochs-runs", runs.ToString(),
            "--only", "knn-sklearn,knn-cdist,linear-softmax,linear-svm,two-layer,three-layer,lenet5,resnet18-small"], ("OPENBLAS_NUM_THREADS", "1"));
        RunOnce(python, script, ["--data", data, "--epochs-runs", runs.ToString(), "--only", "linear-softmax,linear-svm,two-layer,three-layer,lenet5"], ("OPENBLAS_NUM_THREADS", "2"));
        Available = _records.Count > 0;
        Status = Available ? $"{python}, {_records.Count} records" : "the peer script produced no results";
    }

    private void RunOnce(string python, string script, string[] args, (string, string) env)
    {
        var psi = new ProcessStartInfo(python, [script, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment[env.Item1] = env.Item2;
        psi.Environment["OPENBLAS_CORETYPE"] = "COOPERLAKE";
        using var proc = Process.Start(psi)!;
        proc.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  peer: {e.Data}"); };
        proc.BeginErrorReadLine();
        string? line;
        while ((line = proc.StandardOutput.ReadLine()) is not null)
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                var e = doc.RootElement.Clone();
                // Tag each record with the BLAS threads it ran with.
                _records.Add(JsonDocument.Parse(e.GetRawText().TrimEnd('}') + $",\"blas_threads\":\"{env.Item2}\"}}").RootElement.Clone());
            }
            catch (JsonException) { Console.Error.WriteLine($"  peer (not JSON): {line}"); }
        }
        proc.WaitForExit();
    }

    /// <summary>The best record of a workload (and model, for training) over the configurations run.</summary>
    public JsonElement? Best(string workload, string metric, string? model = null, string? peerPrefix = null)
    {
        JsonElement? best = null;
        foreach (var r in _records)
        {
            if (r.GetProperty("workload").GetString() != workload) continue;
            if (model is not null && (!r.TryGetProperty("model", out var m) || m.GetString() != model)) continue;
            if (peerPrefix is not null && !r.GetProperty("peer").GetString()!.StartsWith(peerPrefix, StringComparison.Ordinal)) continue;
            if (best is null || r.GetProperty(metric).GetDouble() > best.Value.GetProperty(metric).GetDouble()) best = r;
        }
        return best;
    }
}
