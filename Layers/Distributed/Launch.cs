using System.Globalization;
using NativeNets.Backends;
using NativeNets.Tensors;

namespace NativeNets.Distributed;

/// <summary>Where this process sits in a launched job: its rank, the number of ranks, its rank on this host, and who said so.</summary>
public sealed record LaunchInfo(int Rank, int Size, int LocalRank, string Launcher)
{
    /// <summary>One process, no launcher.</summary>
    public static LaunchInfo Single { get; } = new(0, 1, 0, "none");

    /// <summary>True when there is more than one rank.</summary>
    public bool IsDistributed => Size > 1;

    /// <summary>The GPU of this rank: one per local rank (cuda:LocalRank).</summary>
    public Device CudaDevice => Device.Cuda(LocalRank);
}

/// <summary>
/// Reads the launcher's environment and makes the communicator. Launchers, first match wins: Open MPI's mpirun
/// (OMPI_COMM_WORLD_RANK, _SIZE, _LOCAL_RANK), PMI (PMI_RANK, PMI_SIZE, MPI_LOCALRANKID: MPICH's hydra, Intel MPI),
/// Slurm's srun (SLURM_PROCID, SLURM_STEP_NUM_TASKS or SLURM_NTASKS, SLURM_LOCALID) and torchrun's RANK, WORLD_SIZE,
/// LOCAL_RANK. None set: one rank. Open MPI comes first because mpirun inside a Slurm allocation also inherits SLURM_*.
/// </summary>
public static class Launch
{
    /// <summary>This process's place in the job, from the environment.</summary>
    public static LaunchInfo FromEnvironment() => FromVariables(Environment.GetEnvironmentVariable);

    /// <summary>The same from any variable lookup (for tests); a malformed value is an error that names the variable.</summary>
    public static LaunchInfo FromVariables(Func<string, string?> get)
    {
        ArgumentNullException.ThrowIfNull(get);
        return Read(get, "Open MPI", "OMPI_COMM_WORLD_RANK", ["OMPI_COMM_WORLD_SIZE"], "OMPI_COMM_WORLD_LOCAL_RANK")
            ?? Read(get, "PMI", "PMI_RANK", ["PMI_SIZE"], "MPI_LOCALRANKID")
            ?? Read(get, "Slurm", "SLURM_PROCID", ["SLURM_STEP_NUM_TASKS", "SLURM_NTASKS"], "SLURM_LOCALID")
            ?? Read(get, "torchrun", "RANK", ["WORLD_SIZE"], "LOCAL_RANK")
            ?? LaunchInfo.Single;
    }

    private static LaunchInfo? Read(Func<string, string?> get, string launcher, string rankVariable, string[] sizeVariables, string localVariable)
    {
        var rankText = get(rankVariable);
        if (string.IsNullOrWhiteSpace(rankText)) return null;
        var sizeVariable = sizeVariables.FirstOrDefault(v => !string.IsNullOrWhiteSpace(get(v)));
        if (sizeVariable is null)
            throw new InvalidOperationException($"{launcher} launch: {rankVariable} is set but {string.Join(" and ", sizeVariables)} not: cannot tell how many ranks there are");
        var rank = Parse(rankVariable, rankText, 0);
        var size = Parse(sizeVariable, get(sizeVariable)!, 1);
        var localText = get(localVariable);
        var local = string.IsNullOrWhiteSpace(localText) ? (size == 1 ? 0 : rank) : Parse(localVariable, localText, 0);
        if (rank >= size)
            throw new InvalidOperationException($"{launcher} launch: {rankVariable}={rank} is not below {sizeVariable}={size}");
        return new LaunchInfo(rank, size, local, launcher);
    }

    private static int Parse(string variable, string text, int minimum)
    {
        if (!int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < minimum)
            throw new InvalidOperationException($"environment variable {variable}='{text}' is not an integer of at least {minimum}");
        return value;
    }

    /// <summary>
    /// The communicator for this job on <paramref name="device"/>: single-rank for one process; MPI for CPU training;
    /// NCCL (bootstrapped over MPI) for CUDA devices. A job launched by torchrun alone has no MPI to bootstrap with and is
    /// refused with the launch lines that work. MPI's own rank and size must agree with the launcher's.
    /// </summary>
    public static Communicator CreateCommunicator(LaunchInfo info, Device device, TimeSpan? timeout = null, bool evenForOneRank = false)
    {
        ArgumentNullException.ThrowIfNull(info);
        // One process gets the no-op communicator, unless a launcher started it and the caller wants the real path.
        if (!info.IsDistributed && !(evenForOneRank && info.Launcher != LaunchInfo.Single.Launcher)) return new SingleRankCommunicator();
        if (info.Launcher == "torchrun")
            throw new NotSupportedException(
                $"torchrun-style launch (RANK={info.Rank}, WORLD_SIZE={info.Size}): NativeNets bootstraps its ranks over MPI; " +
                "launch with `mpirun -np N nativenets ...`, `srun nativenets ...` or `nativenets launch --nproc N -- ...`");
        var mpi = MpiCommunicator.World(info.LocalRank);
        if (timeout is { } t) mpi.Timeout = t;
        if (mpi.Rank != info.Rank || mpi.Size != info.Size)
        {
            var seen = $"MPI sees rank {mpi.Rank} of {mpi.Size}";
            mpi.Dispose();
            throw new InvalidOperationException(
                $"{info.Launcher} says rank {info.Rank} of {info.Size} but {seen}: the processes were not started by an MPI launcher " +
                "that this MPI library understands (with Slurm, use srun --mpi=pmix, or mpirun inside the allocation)");
        }
        if (device.Kind == DeviceKind.Cpu) return mpi;
        var nccl = NcclCommunicator.Create(mpi, CudaBackend.ForDevice(device.Index));
        if (timeout is { } tn) nccl.Timeout = tn;
        return nccl;
    }
}
