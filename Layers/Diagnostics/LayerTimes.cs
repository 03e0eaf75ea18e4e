using System.Diagnostics;
using NativeNets.Backends;

namespace NativeNets.Diagnostics;

/// <summary>One layer's share of the steps timed by <see cref="LayerTimes"/>: its dotted path and its seconds, inclusive of its children.</summary>
internal readonly record struct LayerTime(string Path, int Depth, double ForwardSeconds, double BackwardSeconds, int ForwardCalls);

/// <summary>
/// Wall time per layer, forward and backward, for finding the next bottleneck. While <see cref="Profiling.Timing"/> holds
/// one, every child a composite runs (the same points that open NVTX ranges) is timed between two synchronisations of its
/// backend, so the time of a GPU layer is its kernels' time, not their launch; the synchronisations slow the whole step,
/// which is why throughput is measured without them. Times are inclusive (a block's time holds its convolutions').
/// </summary>
internal sealed class LayerTimes
{
    private readonly List<string> _stack = [];
    private readonly Stack<int> _open = new(); // the rows of the layers begun and not yet ended
    private readonly Dictionary<string, int> _index = [];
    private readonly List<(string Path, int Depth, double Forward, double Backward, int Calls)> _rows = [];

    /// <summary>Every layer timed, in the order its first forward began (parents before children).</summary>
    public IReadOnlyList<LayerTime> Results => _rows.Select(r => new LayerTime(r.Path, r.Depth, r.Forward, r.Backward, r.Calls)).ToList();

    internal long Begin(string name, Backend backend)
    {
        backend.Synchronize();
        _stack.Add(name);
        var path = string.Join('.', _stack);
        if (!_index.TryGetValue(path, out var row))
        {
            row = _index[path] = _rows.Count;
            _rows.Add((path, _stack.Count, 0, 0, 0));
        }
        _open.Push(row);
        return Stopwatch.GetTimestamp();
    }

    internal void End(long start, bool backward, Backend backend)
    {
        backend.Synchronize();
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var i = _open.Pop();
        _stack.RemoveAt(_stack.Count - 1);
        var r = _rows[i];
        _rows[i] = backward ? r with { Backward = r.Backward + seconds } : r with { Forward = r.Forward + seconds, Calls = r.Calls + 1 };
    }
}
