using System.CommandLine;
using NativeNets.Nets.Classifiers;
using NativeNets.Nets.Experiments;

namespace NativeNets.Cli;

internal static class KnnCommand
{
    public static Command Create()
    {
        var data = Common.Data();
        var k = new Option<int>("--k") { Description = "Neighbours that vote", DefaultValueFactory = _ => 1 };
        var distance = new Option<string>("--distance") { Description = "l1 (exact, on the bytes) or l2 (on the GEMM)", DefaultValueFactory = _ => "l1" };
        distance.AcceptOnlyFromAmong("l1", "l2");
        var limit = Common.Limit("--limit", "Classify only the first N test images (0: all 10,000)");
        var trainLimit = Common.Limit("--train-limit", "Use only the first N training images (0: all 60,000)");
        var json = Common.Json();
        var device = Common.DeviceOption();
        var cmd = new Command("knn", "k-nearest-neighbour classification of Fashion-MNIST with L1 or L2 distance") { data, k, distance, limit, trainLimit, json, device };
        cmd.SetAction(p => Common.Guard(() =>
        {
            var asJson = p.GetValue(json);
            var (train, test) = Common.LoadFashionMnist(p.GetValue(data), p.GetValue(trainLimit), p.GetValue(limit), asJson);
            using (train)
            using (test)
            {
                var dist = p.GetValue(distance) == "l2" ? Distance.L2 : Distance.L1;
                var kk = p.GetValue(k);
                var result = Common.WithProgress(asJson, $"{kk}-NN {dist}", progress =>
                    Runner.Knn(train, test, kk, dist, Common.ParseDevice(p.GetValue(device)!), (d, t) => progress(d, t)));
                if (asJson) Console.WriteLine(result.ToJson());
                else Common.PrintTable([result]);
            }
            return 0;
        }));
        return cmd;
    }
}
