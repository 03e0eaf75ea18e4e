using NativeNets.Tensors;

namespace NativeNets.Data.Datasets;

/// <summary>Minibatch order over a dataset: one seeded shuffle per epoch, consecutive slices of it.</summary>
public static class Batches
{
    /// <summary>The item order of one epoch: a seeded permutation, or 0..n-1 when <paramref name="rng"/> is null.</summary>
    public static int[] Order(int count, Rng? rng)
    {
        var order = new int[count];
        for (var i = 0; i < count; i++) order[i] = i;
        rng?.Shuffle(order.AsSpan());
        return order;
    }

    /// <summary>Consecutive slices of <paramref name="order"/>; the last one may be shorter unless <paramref name="dropLast"/>.</summary>
    public static IEnumerable<ArraySegment<int>> Slices(int[] order, int batchSize, bool dropLast = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        for (var start = 0; start < order.Length; start += batchSize)
        {
            var n = Math.Min(batchSize, order.Length - start);
            if (n < batchSize && dropLast) yield break;
            yield return new ArraySegment<int>(order, start, n);
        }
    }
}
