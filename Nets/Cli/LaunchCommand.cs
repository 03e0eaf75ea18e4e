using System.CommandLine;
using System.Diagnostics;

namespace NativeNets.Cli;

/// <summary>
/// `nativenets launch --nproc N -- train ...`: starts N ranks of this program under Open MPI's mpirun (as
/// `mpirun -np N nativenets train ...` would), oversubscribing when there are fewer cores than ranks. Each rank reads
/// its rank and size from mpirun's environment; see README "Data-parallel training".
/// </summary>
internal static class LaunchCommand
{
    public static Command Create()
    {
        var nproc = new Option<int>("--nproc") { Description = "Processes (ranks) to start", Required = true };
        var mpirun = new Option<string>("--mpirun") { Description = "The MPI launcher", DefaultValueFactory = _ => "mpirun" };
        var rest = new Argument<string[]>("command") { Description = "The nativenets command each rank runs, after --", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("launch", "Run a nativenets command on N ranks through mpirun (data-parallel training)") { nproc, mpirun, rest };
        cmd.SetAction(p => Common.Guard(() =>
        {
            var n = p.GetValue(nproc);
            if (n < 1) throw new ArgumentException($"--nproc {n}: at least one process");
            var psi = new ProcessStartInfo(p.GetValue(mpirun)!) { UseShellExecute = false };
            foreach (var a in new[] { "-np", n.ToString(System.Globalization.CultureInfo.InvariantCulture), "--oversubscribe" }) psi.ArgumentList.Add(a);
            foreach (var a in Self()) psi.ArgumentList.Add(a);
            foreach (var a in p.GetValue(rest)!) psi.ArgumentList.Add(a);
            // Open MPI refuses to run as root unless told it may (containers, CI).
            if (Environment.UserName == "root")
            {
                psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
                psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
            }
            // .NET writes terminal set-up codes into piped output unless told the terminal is dumb.
            psi.Environment["TERM"] = "dumb";
            Process process;
            try
            {
                process = Process.Start(psi)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException($"cannot start '{psi.FileName}' ({e.Message}): install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev)");
            }
            using (process)
            {
                process.WaitForExit();
                return process.ExitCode;
            }
        }));
        return cmd;
    }

    /// <summary>How to start this program again: its executable, or `dotnet nativenets.dll` when run through the dotnet host.</summary>
    private static string[] Self()
    {
        var exe = Environment.ProcessPath ?? "nativenets";
        var dll = typeof(LaunchCommand).Assembly.Location;
        return Path.GetFileNameWithoutExtension(exe) == "dotnet" && dll.Length > 0 ? [exe, dll] : [exe];
    }
}
