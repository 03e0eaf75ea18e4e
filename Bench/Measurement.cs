namespace NativeNets.Bench;

/// <summary>One row of the results: what was measured, NativeNets' figure and the peer's from the same run.</summary>
internal sealed record Measurement(string Workload, string Unit, double Ours, double? Peer, string PeerName, string Note = "")
{
    public double? Ratio => Peer is > 0 ? Ours / Peer : null;
}

internal static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
