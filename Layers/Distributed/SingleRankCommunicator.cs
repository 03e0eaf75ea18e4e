using NativeNets.Tensors;

namespace NativeNets.Distributed;

/// <summary>One rank: every collective leaves its tensor as it is (the sum and the average over one rank are the tensor).</summary>
public sealed class SingleRankCommunicator : Communicator
{
    /// <inheritdoc/>
    public override int Rank => 0;

    /// <inheritdoc/>
    public override int Size => 1;

    /// <inheritdoc/>
    public override int LocalRank => 0;

    /// <inheritdoc/>
    public override string Name => "single";

    /// <inheritdoc/>
    public override CollectiveHandle AllReduceSumAsync(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return CollectiveHandle.Completed;
    }

    /// <inheritdoc/>
    public override void Broadcast(Tensor x, int root)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckRoot(root);
    }

    /// <inheritdoc/>
    public override void Barrier() { }
}
