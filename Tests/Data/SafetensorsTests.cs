using System.Buffers.Binary;
using System.Text;
using NativeNets.Data;
using NativeNets.Data.Formats;
using NativeNets.Nets.Architectures;
using NativeNets.Nets.Weights;
using NativeNets.Tensors;
using NativeNets.Tests.Support;
using Xunit;

namespace NativeNets.Tests.Data;

public class SafetensorsTests
{
    private static Model SmallNet() => Architectures.Create("resnet20", new ArchitectureOptions { Classes = 10 });

    [Fact]
    public void SavedWeightsLoadBackIntoAFreshModel()
    {
        using var dir = new TempDirectory();
        var path = dir.File("resnet20.safetensors");
        using var a = SmallNet();
        ParamGen.Fill(a.Network);
        StateDict.Save(a.Network, path);
        using var b = Architectures.Create("resnet20", new ArchitectureOptions { Classes = 10, Seed = 99 });
        StateDict.Load(b.Network, path);
        foreach (var ((name, p), (_, q)) in a.Network.NamedParameters().Zip(b.Network.NamedParameters()))
            Assert.True(p.Value.ToArray<float>().SequenceEqual(q.Value.ToArray<float>()), name);
        foreach (var ((name, x), (_, y)) in a.Network.NamedBuffers().Zip(b.Network.NamedBuffers()))
            Assert.True(x.ToArray<float>().SequenceEqual(y.ToArray<float>()), name);
        Assert.Contains("bn1.num_batches_tracked", StateDict.Keys(a.Network));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void HalfAndBFloat16FilesLoadIntoAFloat32Model()
    {
        using var dir = new TempDirectory();
        using var model = Architectures.Create("lenet5", new ArchitectureOptions { Classes = 10 });
        ParamGen.Fill(model.Network);
        foreach (var dtype in new[] { DType.F16, DType.BF16 })
        {
            var items = model.Network.NamedParameters().Select(p =>
            {
                using var half = new Tensor(p.Parameter.Value.Shape, dtype);
                half.Backend.Cast(p.Parameter.Value, half);
                return SafetensorsFile.ItemOf(p.Name, half);
            }).ToList();
            var path = dir.File($"lenet5-{dtype}.safetensors");
            SafetensorsFile.Write(path, items);
            using var other = Architectures.Create("lenet5", new ArchitectureOptions { Classes = 10, Seed = 5 });
            StateDict.Load(other.Network, path);
            var w = model.Network.NamedParameters().First().Parameter.Value.ToArray<float>();
            var v = other.Network.NamedParameters().First().Parameter.Value.ToArray<float>();
            for (var i = 0; i < w.Length; i++) Assert.Equal(w[i], v[i], Math.Abs(w[i]) / 100 + 1e-3f);
        }
    }

    [Fact]
    public void AWrongShapeNamesTheKeyAndBothShapes()
    {
        using var dir = new TempDirectory();
        var path = dir.File("wrong.safetensors");
        using (var ten = Architectures.Create("resnet20", new ArchitectureOptions { Classes = 10 })) StateDict.Save(ten.Network, path);
        using var hundred = Architectures.Create("resnet20", new ArchitectureOptions { Classes = 100 });
        var e = Assert.Throws<DataFormatException>(() => StateDict.Load(hundred.Network, path));
        Assert.Contains("'fc.weight'", e.Message);
        Assert.Contains("[10, 64]", e.Message);
        Assert.Contains("[100, 64]", e.Message);
    }

    [Fact]
    public void AMissingKeyIsNamed()
    {
        using var dir = new TempDirectory();
        var path = dir.File("missing.safetensors");
        using var model = SmallNet();
        var items = model.Network.NamedParameters().Where(p => p.Name != "layer2.1.conv2.weight").Select(p => SafetensorsFile.ItemOf(p.Name, p.Parameter.Value))
            .Concat(model.Network.NamedBuffers().Select(b => SafetensorsFile.ItemOf(b.Name, b.Buffer)));
        SafetensorsFile.Write(path, items);
        var e = Assert.Throws<DataFormatException>(() => StateDict.Load(model.Network, path));
        Assert.Contains("missing key 'layer2.1.conv2.weight'", e.Message);
    }

    [Fact]
    public void ATruncatedPayloadNamesTheKeyWhoseDataIsCut()
    {
        using var dir = new TempDirectory();
        var path = dir.File("cut.safetensors");
        using var model = SmallNet();
        StateDict.Save(model.Network, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 300)]);
        var e = Assert.Throws<DataFormatException>(() => StateDict.Load(model.Network, path));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("tensor '", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void BrokenHeadersAreReportedNotCrashed()
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("truncated", Assert.Throws<DataFormatException>(() => SafetensorsFile.Open(path)).Message);
        var header = Encoding.UTF8.GetBytes("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 2], \"data_offsets\": [0, 12]}}");
        var file = new byte[8 + header.Length + 16];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        File.WriteAllBytes(path, file);
        Assert.Contains("needs 16", Assert.Throws<DataFormatException>(() => SafetensorsFile.Open(path)).Message);
        BinaryPrimitives.WriteUInt64LittleEndian(file, 1UL << 40);
        File.WriteAllBytes(path, file);
        Assert.Contains("header length", Assert.Throws<DataFormatException>(() => SafetensorsFile.Open(path)).Message);
        var notJson = Encoding.UTF8.GetBytes("{not json");
        var f2 = new byte[8 + notJson.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(f2, (ulong)notJson.Length);
        notJson.CopyTo(f2, 8);
        File.WriteAllBytes(path, f2);
        Assert.Contains("not valid JSON", Assert.Throws<DataFormatException>(() => SafetensorsFile.Open(path)).Message);
    }

    [Fact]
    public void UnexpectedKeysAreRefusedInStrictMode()
    {
        using var dir = new TempDirectory();
        var path = dir.File("extra.safetensors");
        using var model = Architectures.Create("lenet5", new ArchitectureOptions { Classes = 10 });
        var items = model.Network.NamedParameters().Select(p => SafetensorsFile.ItemOf(p.Name, p.Parameter.Value)).ToList();
        using var extra = Tensor.Zeros(3);
        items.Add(SafetensorsFile.ItemOf("aux1.fc.weight", extra));
        SafetensorsFile.Write(path, items);
        Assert.Contains("'aux1.fc.weight'", Assert.Throws<DataFormatException>(() => StateDict.Load(model.Network, path)).Message);
        StateDict.Load(model.Network, path, strict: false);
    }
}
