namespace NativeNets.Backends;

/// <summary>Splits a range over the backend's threads, in chunks worth a thread's start-up cost.</summary>
internal static class CpuParallel
{
    /// <summary>Runs body(start, end) over [0, count) in at most Threads chunks of at least minChunk items.</summary>
    public static void For(long count, long minChunk, Action<long, long> body)
    {
        if (count <= 0) return;
        var chunks = (int)Math.Min(CpuBackend.Threads, Math.Max(1, count / Math.Max(1, minChunk)));
        if (chunks <= 1)
        {
            body(0, count);
            return;
        }
        var per = (count + chunks - 1) / chunks;
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, c =>
        {
            var start = c * per;
            var end = Math.Min(count, start + per);
            if (start < end) body(start, end);
        });
    }

    /// <summary>Runs body(i) for each of count work items over the backend's threads.</summary>
    public static void Items(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || CpuBackend.Threads == 1)
        {
            for (var i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = CpuBackend.Threads }, body);
    }
}
