using System.CommandLine;

namespace NativeNets.Cli;

/// <summary>The `nativenets` command line: one subcommand per job; each prints a table, or JSON lines with --json.</summary>
public static class NativeNetsCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("NativeNets: image classifiers from nearest neighbour to CNNs, on a vectorised CPU backend or on CUDA (cuBLAS, cuDNN, NVRTC kernels).");
        root.Subcommands.Add(KnnCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(SeedCommand.Create());
        root.Subcommands.Add(ParamsCommand.Create());
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(RetrieveCommand.Create());
        root.Subcommands.Add(LaunchCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ReproCommand.Create());
        root.Subcommands.Add(ReproCommand.CreatePlot());
        return root;
    }

    public static int Run(string[] args) => Build().Parse(args).Invoke();
}
