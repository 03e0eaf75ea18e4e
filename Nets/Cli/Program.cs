using System.CommandLine;
using NativeNets.Cli;

// The `nativenets` command line: one subcommand per job; each prints a table, or JSON lines with --json.
var root = new RootCommand("NativeNets: image classifiers from nearest neighbour to CNNs, on a vectorised CPU backend (CUDA to come).");
root.Subcommands.Add(KnnCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(SeedCommand.Create());
return root.Parse(args).Invoke();
