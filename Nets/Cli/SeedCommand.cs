using System.CommandLine;
using NativeNets.Nets.Classifiers;
using NativeNets.Nets.Experiments;

namespace NativeNets.Cli;

/// <summary>The walkthrough of the lecture's first half: every classifier in turn on Fashion-MNIST, then the table.</summary>
internal static class SeedCommand
{
    public static Command Create()
    {
        var data = Common.Data();
        var json = Common.Json();
        var device = Common.DeviceOption();
        var knnLimit = Common.Limit("--knn-limit", "Test images for the nearest-neighbour runs (0: all 10,000)");
        var cmd = new Command("seed", "The lecture on Fashion-MNIST: nearest neighbour (L1, L2), linear SVM and softmax, two- and three-layer nets, LeNet-5")
            { data, json, device, knnLimit };
        cmd.SetAction(p => Common.Guard(() =>
        {
            var asJson = p.GetValue(json);
            var dev = Common.ParseDevice(p.GetValue(device)!);
            var (train, test) = Common.LoadFashionMnist(p.GetValue(data), 0, 0, asJson);
            using (train)
            using (test)
            {
                var results = new List<Result>();
                void Emit(Result r)
                {
                    results.Add(r);
                    if (asJson) Console.WriteLine(r.ToJson());
                }
                var limit = p.GetValue(knnLimit);
                using var knnTest = limit > 0 ? test.Take(limit) : test.Take(test.Count);
                foreach (var (k, d) in new[] { (1, Distance.L1), (1, Distance.L2), (5, Distance.L1) })
                {
                    Common.Info(asJson, $"{k}-nearest neighbour, {d} distance, {knnTest.Count:N0} test images against {train.Count:N0}");
                    var r = Common.WithProgress(asJson, $"{k}-NN {d}", progress => Runner.Knn(train, knnTest, k, d, dev, (x, t) => progress(x, t)));
                    Common.Info(asJson, $"  accuracy {r.Accuracy:F4}, {r.QueriesPerSecond:N0} queries/s");
                    Emit(r);
                }
                foreach (var model in Zoo.LinearModels.Append("lenet5"))
                {
                    Common.Info(asJson, $"{model}: training on {train.Count:N0} images");
                    var r = TrainCommand.TrainOne(model, train, test, Zoo.DefaultOptions(model), dev, null, asJson);
                    Common.Info(asJson, $"  test accuracy {r.TestAccuracy:F4}");
                    Emit(r);
                }
                if (!asJson) Common.PrintTable(results);
            }
            return 0;
        }));
        return cmd;
    }
}
