using System.CommandLine;
using System.Text.Json.Nodes;
using NativeNets.Nets.Architectures;

namespace NativeNets.Cli;

internal static class ParamsCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Architecture name", Required = true };
        model.AcceptOnlyFromAmong([.. Architectures.Names]);
        var classes = new Option<int>("--classes") { Description = "Output classes", DefaultValueFactory = _ => 1000 };
        var json = Common.Json();
        var cmd = new Command("params", "Print an architecture's parameter count (torchvision's, for the ImageNet ones)") { model, classes, json };
        cmd.SetAction(p => Common.Guard(() =>
        {
            var name = p.GetValue(model)!;
            using var m = Architectures.Create(name, new ArchitectureOptions { Classes = p.GetValue(classes) });
            var count = m.ParameterCount();
            if (p.GetValue(json)) Console.WriteLine(new JsonObject { ["model"] = name, ["parameters"] = count, ["classes"] = m.Classes }.ToJsonString());
            else Console.WriteLine($"{name}: {count:N0} parameters ({m.Classes} classes)");
            return 0;
        }));
        return cmd;
    }
}
