using NativeNets.Diagnostics;
using NativeNets.Modules;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Modules;

/// <summary>Per-layer timing (bench --layer-times): every child of every composite, by dotted path, parents inclusive.</summary>
public class LayerTimesTests
{
    [Fact]
    public void EveryChildIsTimedByItsPathForwardAndBackward()
    {
        var rng = new Rng(1);
        using var net = new Sequential()
            .Add("block", new Sequential().Add("fc", new Linear(64, 64, rng: rng)).Add("relu", new ReLU()))
            .Add("head", new Linear(64, 4, rng: rng));
        using var x = Tensor.FromArray(Enumerable.Range(0, 32 * 64).Select(i => (float)Math.Sin(i)).ToArray(), 32, 64);
        using var dy = Tensor.FromArray(Enumerable.Range(0, 32 * 4).Select(i => (float)Math.Cos(i)).ToArray(), 32, 4);
        var timing = new LayerTimes();
        Profiling.Timing = timing;
        try
        {
            for (var step = 0; step < 3; step++)
            {
                net.Forward(x);
                net.Backward(dy);
            }
        }
        finally
        {
            Profiling.Timing = null;
        }
        var rows = timing.Results.ToDictionary(r => r.Path);
        Assert.Equal(["block", "block.fc", "block.relu", "head"], timing.Results.Select(r => r.Path));
        Assert.Equal(1, rows["block"].Depth);
        Assert.Equal(2, rows["block.fc"].Depth);
        Assert.All(timing.Results, r => Assert.Equal(3, r.ForwardCalls));
        Assert.All(timing.Results, r => Assert.True(r.ForwardSeconds > 0 && r.BackwardSeconds > 0, $"{r.Path}: {r}"));
        // Inclusive: the block's time holds its children's.
        Assert.True(rows["block"].ForwardSeconds >= rows["block.fc"].ForwardSeconds + rows["block.relu"].ForwardSeconds);

        // Off again: nothing more is recorded.
        net.Forward(x);
        Assert.All(timing.Results, r => Assert.Equal(3, r.ForwardCalls));
    }
}
