using NativeNets.Modules;

namespace NativeNets.Distributed;

/// <summary>Keeping the ranks' copies of a model the same: what the gradient all-reduce does not cover.</summary>
public static class ModelReplicas
{
    /// <summary>
    /// Copies rank <paramref name="root"/>'s parameters and buffers to every rank: call once after the model is built
    /// (or loaded from a checkpoint), so that all ranks start from the same weights whatever their seeds.
    /// </summary>
    public static void BroadcastFrom(Layer model, Communicator communicator, int root = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(communicator);
        if (communicator.Size == 1) return;
        foreach (var p in model.Parameters())
        {
            communicator.Broadcast(p.Master, root);
            p.SyncValueFromMaster();
        }
        foreach (var (_, b) in model.NamedBuffers()) communicator.Broadcast(b, root);
    }

    /// <summary>
    /// Averages the buffers (BN running mean and variance) over the ranks. Each rank's running statistics follow its own
    /// batches; the update is linear in the batch statistics, so their average equals what one process with
    /// --virtual-workers k keeps. Call before evaluating or saving.
    /// </summary>
    public static void AverageBuffers(Layer model, Communicator communicator)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(communicator);
        if (communicator.Size == 1) return;
        foreach (var (_, b) in model.NamedBuffers()) communicator.AllReduceAverage(b);
    }
}
