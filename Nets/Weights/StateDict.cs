using System.Buffers.Binary;
using NativeNets.Data;
using NativeNets.Data.Formats;
using NativeNets.Modules;
using NativeNets.Tensors;

namespace NativeNets.Nets.Weights;

/// <summary>
/// Weights in and out of a network as safetensors, keyed by torchvision's state_dict names: a file written by
/// PyTorch (`safetensors.torch.save_file(model.state_dict(), ...)`) loads with no renaming table, and a file
/// written here loads in PyTorch. F32, F16, BF16 and F64 are read into whatever dtype the model has.
/// </summary>
public static class StateDict
{
    /// <summary>Every entry the network's state_dict has: parameters, buffers, and BN's num_batches_tracked.</summary>
    public static IEnumerable<string> Keys(Layer network)
    {
        foreach (var (name, _) in network.NamedParameters()) yield return name;
        foreach (var (name, _) in network.NamedBuffers()) yield return name;
        foreach (var (path, layer) in network.NamedLayers())
            if (layer is BatchNorm2d) yield return Join(path, "num_batches_tracked");
    }

    /// <summary>
    /// Loads every parameter and buffer. A missing key, a shape that differs, a truncated payload or a key the
    /// model does not have is an error that names the key; nothing is changed unless the whole file fits.
    /// </summary>
    public static void Load(Layer network, string path, bool strict = true)
    {
        using var file = SafetensorsFile.Open(path);
        // In mixed precision the F32 master is loaded and the F16/BF16 working value rounded from it.
        var targets = network.NamedParameters().Select(p => (p.Name, p.Parameter.Master))
            .Concat(network.NamedBuffers().Select(b => (b.Name, Tensor: b.Buffer))).ToList();
        var counters = network.NamedLayers().Where(l => l.Layer is BatchNorm2d)
            .Select(l => (Name: Join(l.Path, "num_batches_tracked"), Bn: (BatchNorm2d)l.Layer)).ToList();

        // Check everything first: a half-loaded model is worse than an error.
        foreach (var (name, tensor) in targets)
        {
            if (!file.Contains(name))
                throw new DataFormatException(path, $"missing key '{name}' (the model's {tensor.ShapeText} {tensor.DType.Name()} tensor)");
            var e = file.Entry(name);
            if (!e.Shape.AsSpan().SequenceEqual(tensor.Dims))
                throw new DataFormatException(path, $"key '{name}' has shape {Tensor.FormatDims(e.Shape)} in the file, the model expects {tensor.ShapeText}");
        }
        if (strict)
        {
            var known = new HashSet<string>(targets.Select(t => t.Name).Concat(counters.Select(c => c.Name)));
            var unexpected = file.Entries.Select(e => e.Name).Where(n => !known.Contains(n)).ToList();
            if (unexpected.Count > 0)
                throw new DataFormatException(path, $"unexpected key(s) the model does not have: {string.Join(", ", unexpected.Take(5).Select(n => $"'{n}'"))}{(unexpected.Count > 5 ? $" and {unexpected.Count - 5} more" : "")}");
        }
        foreach (var (name, tensor) in targets) file.ReadInto(name, tensor);
        foreach (var (_, p) in network.NamedParameters()) p.SyncValueFromMaster();
        foreach (var (name, bn) in counters)
            if (file.Contains(name)) bn.NumBatchesTracked = (long)file.ReadDoubles(name)[0];
    }

    /// <summary>Writes every parameter and buffer (and num_batches_tracked as I64), through a temporary file and a rename.</summary>
    public static void Save(Layer network, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafetensorsFile.Write(path, Items(network), metadata);

    /// <summary>The state_dict as safetensors items (parameters, buffers, num_batches_tracked), for files that hold more.</summary>
    public static List<SafetensorsFile.Item> Items(Layer network)
    {
        var items = new List<SafetensorsFile.Item>();
        // The F32 master in mixed precision: files hold full-precision weights whatever the training precision.
        foreach (var (name, p) in network.NamedParameters()) items.Add(SafetensorsFile.ItemOf(name, p.Master));
        foreach (var (name, b) in network.NamedBuffers()) items.Add(SafetensorsFile.ItemOf(name, b));
        foreach (var (layerPath, layer) in network.NamedLayers())
            if (layer is BatchNorm2d bn)
            {
                var bytes = new byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(bytes, bn.NumBatchesTracked);
                items.Add(new SafetensorsFile.Item(Join(layerPath, "num_batches_tracked"), "I64", [], bytes));
            }
        return items;
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
