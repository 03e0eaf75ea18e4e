using NativeNets.Data.Formats;
using NativeNets.MixedPrecision;
using NativeNets.Nets.Classifiers;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Nets;

/// <summary>Training whole classifiers in bf16 and fp16: the same accuracy as fp32, full-precision files, exact resumes.</summary>
public class MixedPrecisionTrainingTests
{
    [Fact]
    public void AResNetTrainsInBf16AndFp16AsWellAsInFp32()
    {
        using var train = Synthetic.Blobs(480, 4, 16, 1, noise: 110);
        using var test = Synthetic.Blobs(200, 4, 16, 2, noise: 110);
        var accuracy = new Dictionary<Precision, double>();
        foreach (var precision in new[] { Precision.Fp32, Precision.Bf16, Precision.Fp16 })
        {
            var options = new TrainOptions { Epochs = 3, BatchSize = 32, LearningRate = 0.05, WeightDecay = 1e-4, Seed = 3, Precision = precision };
            using var net = new CnnClassifier("resnet8", options, smallStem: true);
            net.Train(train);
            accuracy[precision] = net.Accuracy(test);
            Assert.Equal(precision == Precision.Fp16, net.LossScaler is not null);
            var conv = net.Network.NamedParameters().First().Parameter;
            Assert.Equal(precision.ComputeDType(), conv.Value.DType);
            Assert.Equal(NativeNets.Tensors.DType.F32, conv.Master.DType);
        }
        Assert.True(accuracy[Precision.Fp32] >= 0.9, $"fp32 reached only {accuracy[Precision.Fp32]:P1}");
        foreach (var p in new[] { Precision.Bf16, Precision.Fp16 })
            Assert.True(Math.Abs(accuracy[p] - accuracy[Precision.Fp32]) <= 0.03,
                $"{p.Name()} test accuracy {accuracy[p]:P1}, fp32 {accuracy[Precision.Fp32]:P1}");
    }

    [Fact]
    public void Fp16WeightsAreSavedInF32AndAResumeContinuesExactly()
    {
        using var dir = new TempDirectory();
        using var data = Synthetic.Blobs(400, 5, 10, 5, noise: 90);
        var options = new TrainOptions { Epochs = 4, BatchSize = 40, LearningRate = 0.05, Seed = 4, Precision = Precision.Fp16 };
        static float[][] Masters(NeuralClassifier c) => c.Network.NamedParameters().Select(p => p.Parameter.Master.ToArray<float>()).ToArray();

        using var whole = new ThreeLayerNet(24, 12, options);
        whole.Train(data);
        var path = Path.Combine(dir.Path, "run.ckpt");
        using (var first = new ThreeLayerNet(24, 12, options with { Epochs = 2, CheckpointPath = path }))
        {
            first.Train(data);
            first.LossScaler!.Scale = 12345; // what a resume must not see: the checkpoint holds the scale of epoch 2
        }
        using var resumed = new ThreeLayerNet(24, 12, options with { CheckpointPath = path, Resume = true });
        resumed.Train(data);
        Assert.Equal(2, resumed.ResumedFromEpoch);
        Assert.Equal(Masters(whole), Masters(resumed)); // bit for bit
        Assert.Equal(whole.LossScaler!.Scale, resumed.LossScaler!.Scale);

        var weights = Path.Combine(dir.Path, "final.safetensors");
        NativeNets.Nets.Weights.StateDict.Save(whole.Network, weights);
        using var file = SafetensorsFile.Open(weights);
        Assert.All(file.Entries, e => Assert.Equal("F32", e.DType));
        Assert.Equal(whole.Predict(data.Images), resumed.Predict(data.Images));
    }
}
