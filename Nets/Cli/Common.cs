using System.CommandLine;
using NativeNets.Data;
using NativeNets.Data.Datasets;
using NativeNets.Nets.Experiments;
using NativeNets.Tensors;
using Spectre.Console;

namespace NativeNets.Cli;

/// <summary>Options and output shared by the subcommands.</summary>
internal static class Common
{
    public static Option<string?> Data() => new("--data")
    {
        Description = $"Directory with the Fashion-MNIST IDX files (default: {FashionMnist.DefaultDirectory}, from Debian's {FashionMnist.DebianPackage})",
    };

    /// <summary>--precision fp32|fp16|bf16, the same on every command that trains.</summary>
    public static Option<string> PrecisionOption()
    {
        var o = new Option<string>("--precision")
        {
            Description = "fp32, or fp16 / bf16 activations, weights and gradients with F32 master weights (fp16 with a dynamic loss scale)",
            DefaultValueFactory = _ => "fp32",
        };
        o.AcceptOnlyFromAmong("fp32", "fp16", "bf16");
        return o;
    }

    public static Option<bool> Json() => new("--json") { Description = "Print one JSON object per result line instead of a table" };

    public static Option<bool> ChannelsLast() => new("--channels-last")
    {
        Description = "Run the network on NHWC activations (cuDNN's NHWC convolutions and batch norm), as PyTorch's channels_last; GPU only",
    };

    /// <summary>Refuses --channels-last on the CPU, whose convolutions, batch norm and pooling are NCHW.</summary>
    public static void CheckChannelsLast(bool channelsLast, Device device)
    {
        if (channelsLast && device.Kind != DeviceKind.Cuda)
            throw new ArgumentException("--channels-last runs on the GPU only (the CPU backend's convolutions, batch norm and pooling are NCHW)");
    }

    public static Option<string> DeviceOption() => new("--device")
    {
        Description = "cpu, or cuda[:N] for a GPU (see `nativenets doctor`)",
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<string?> ProfileSteps() => new("--profile-steps")
    {
        Description = "A:B: open the CUDA profiler's capture range for training steps A to B only (nsys --capture-range=cudaProfilerApi, ncu --profile-from-start off)",
    };

    public static void ApplyProfileSteps(string? text) =>
        Diagnostics.Profiling.CaptureSteps = text is null ? null : Diagnostics.Profiling.ParseSteps(text);

    public static Option<int> Limit(string name, string description) => new(name) { Description = description, DefaultValueFactory = _ => 0 };

    /// <summary>Interactive terminals get progress bars; redirected output and JSON get plain lines on stderr.</summary>
    public static bool Interactive(bool json) => !json && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public static (LabeledImages Train, LabeledImages Test) LoadFashionMnist(string? data, int trainLimit, int testLimit, bool json)
    {
        var dir = FashionMnist.Locate(data);
        var train = FashionMnist.LoadTrain(dir);
        var test = FashionMnist.LoadTest(dir);
        if (trainLimit > 0 && trainLimit < train.Count) { var t = train.Take(trainLimit); train.Dispose(); train = t; }
        if (testLimit > 0 && testLimit < test.Count) { var t = test.Take(testLimit); test.Dispose(); test = t; }
        Info(json, $"Fashion-MNIST from {dir}: {train.Count} training and {test.Count} test images of {train.Height}x{train.Width}");
        return (train, test);
    }

    /// <summary>As <see cref="LoadFashionMnist"/>, printing nothing (ranks other than 0).</summary>
    public static (LabeledImages Train, LabeledImages Test) LoadFashionMnistSilently(string? data, int trainLimit, int testLimit)
    {
        var saved = Console.Error;
        Console.SetError(TextWriter.Null);
        try
        {
            return LoadFashionMnist(data, trainLimit, testLimit, json: true);
        }
        finally
        {
            Console.SetError(saved);
        }
    }

    public static Device ParseDevice(string text) => Device.Parse(text);

    /// <summary>A line for a person: stdout normally, stderr when stdout carries JSON.</summary>
    public static void Info(bool json, string line)
    {
        if (json) Console.Error.WriteLine(line);
        else Console.WriteLine(line);
    }

    /// <summary>Runs <paramref name="body"/> with a progress bar (interactive) or none, passing a (done, total) callback.</summary>
    public static T WithProgress<T>(bool json, string label, Func<Action<long, long>, T> body)
    {
        if (!Interactive(json)) return body((_, _) => { });
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(label));
                result = body((done, total) =>
                {
                    task.MaxValue = total;
                    task.Value = done;
                });
            });
        return result;
    }

    public static void PrintTable(IEnumerable<Result> results)
    {
        // A pipe or a log file has no width: do not wrap the table at Spectre's default of 80 columns.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 140);
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("model").AddColumn(new TableColumn("test accuracy").RightAligned())
            .AddColumn(new TableColumn("time (s)").RightAligned()).AddColumn(new TableColumn("speed").RightAligned())
            .AddColumn("details");
        foreach (var r in results)
        {
            switch (r)
            {
                case KnnResult k:
                    table.AddRow(k.Model, $"{k.Accuracy:F4}", $"{k.Seconds:F2}", $"{k.QueriesPerSecond:N0} queries/s",
                        $"{k.TestCount:N0} queries against {k.TrainCount:N0} images");
                    break;
                case TrainResult t:
                    table.AddRow(t.Model, $"{t.TestAccuracy:F4}", $"{t.Seconds:F2}", $"{t.TrainImagesPerSecond:N0} train img/s",
                        $"{t.Epochs} epochs, batch {t.Batch}, {t.Parameters:N0} parameters");
                    break;
            }
        }
        AnsiConsole.Write(table);
    }

    /// <summary>Turns the errors a user can cause (bad files, bad options) into one clear line and exit code 1.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is DataFormatException or FileNotFoundException or DirectoryNotFoundException or ArgumentException or NotSupportedException
                                       or InvalidOperationException or Backends.CudaUnavailableException or Native.NativeCallException
                                       or Native.NativeLibraryNotFoundException or Native.NativeLibraryVersionException or OverflowException)
        {
            Console.Error.WriteLine($"nativenets: error: {e.Message}");
            return 1;
        }
    }
}
