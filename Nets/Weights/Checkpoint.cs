using System.Globalization;
using System.Text.Json;
using NativeNets.Data;
using NativeNets.Data.Formats;
using NativeNets.Modules;
using NativeNets.Optim;
using NativeNets.Tensors;

namespace NativeNets.Nets.Weights;

/// <summary>Where a training run stands between epochs: what a checkpoint holds besides the tensors.</summary>
public sealed record TrainingState
{
    /// <summary>Epochs finished.</summary>
    public int Epoch { get; init; }
    /// <summary>Optimizer steps taken.</summary>
    public long Step { get; init; }
    /// <summary>The trainer's generator (shuffles), and each dropout layer's, by layer path.</summary>
    public ulong[] Rng { get; init; } = [];
    public Dictionary<string, ulong[]> Dropout { get; init; } = [];
    /// <summary>What the run was: a resume refuses a checkpoint of another model, dataset or batch size.</summary>
    public string Fingerprint { get; init; } = "";
    public Dictionary<string, string> Extra { get; init; } = [];
}

/// <summary>
/// A training checkpoint: the state_dict (so the file also loads as weights, strict: false), each parameter's momentum
/// buffer ("optimizer.momentum_buffer.&lt;name&gt;") and the <see cref="TrainingState"/> as JSON metadata. Written to a
/// temporary file and renamed, so a run killed at any moment leaves the previous checkpoint or the new one, never half
/// of one; resuming from it continues the run exactly (same shuffles, same dropout masks, same weights).
/// </summary>
public static class Checkpoint
{
    private const string StateKey = "nativenets_training_state";
    private const string MomentumPrefix = "optimizer.momentum_buffer.";

    public static void Save(string path, Layer network, Sgd optimizer, TrainingState state)
    {
        var items = StateDict.Items(network);
        var names = Names(network);
        foreach (var (p, v) in optimizer.State)
            items.Add(SafetensorsFile.ItemOf(MomentumPrefix + NameOf(names, p), v));
        var metadata = new Dictionary<string, string> { [StateKey] = JsonSerializer.Serialize(Encode(state)) };
        SafetensorsFile.Write(path, items, metadata);
    }

    /// <summary>Restores weights, buffers, momentum buffers and generators; returns the state to continue from.</summary>
    public static TrainingState Load(string path, Layer network, Sgd optimizer, string expectedFingerprint)
    {
        TrainingState state;
        using (var file = SafetensorsFile.Open(path))
        {
            if (!file.Metadata.TryGetValue(StateKey, out var json))
                throw new DataFormatException(path, $"not a NativeNets checkpoint (no '{StateKey}' metadata); weights alone load with StateDict.Load");
            try
            {
                state = Decode(JsonSerializer.Deserialize<Stored>(json) ?? throw new JsonException("null"));
            }
            catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
            {
                throw new DataFormatException(path, $"the '{StateKey}' metadata is not valid: {e.Message}");
            }
            if (state.Fingerprint != expectedFingerprint)
                throw new DataFormatException(path, $"the checkpoint is of another run ({state.Fingerprint}); this run is {expectedFingerprint}");
            var names = Names(network);
            foreach (var (p, _) in optimizer.State)
            {
                var key = MomentumPrefix + NameOf(names, p);
                if (!file.Contains(key)) throw new DataFormatException(path, $"missing key '{key}'");
                if (!file.Entry(key).Shape.AsSpan().SequenceEqual(p.Master.Dims))
                    throw new DataFormatException(path, $"key '{key}' has shape {Tensor.FormatDims(file.Entry(key).Shape)}, the model expects {p.Master.ShapeText}");
            }
            foreach (var (p, v) in optimizer.State) file.ReadInto(MomentumPrefix + NameOf(names, p), v);
        }
        StateDict.Load(network, path, strict: false);
        foreach (var (layerPath, layer) in network.NamedLayers())
            if (layer is Modules.Dropout d && state.Dropout.TryGetValue(layerPath, out var s))
                d.Generator.State = s;
        return state;
    }

    /// <summary>Each parameter's state_dict name, looked up once per save or load (the names are built by walking the tree).</summary>
    private static Dictionary<Parameter, string> Names(Layer network) =>
        network.NamedParameters().ToDictionary<(string Name, Parameter Parameter), Parameter, string>(p => p.Parameter, p => p.Name, ReferenceEqualityComparer.Instance);

    private static string NameOf(Dictionary<Parameter, string> names, Parameter p) =>
        names.TryGetValue(p, out var name) ? name : throw new ArgumentException("the optimizer holds a parameter the network does not have");

    /// <summary>The generators of every dropout layer of <paramref name="network"/>, by path.</summary>
    public static Dictionary<string, ulong[]> DropoutStates(Layer network) =>
        network.NamedLayers().Where(l => l.Layer is Modules.Dropout).ToDictionary(l => l.Path, l => ((Modules.Dropout)l.Layer).Generator.State);

    // JSON has no 64-bit unsigned integers everywhere: generator words travel as hex strings.
    private sealed record Stored(int Epoch, long Step, string[] Rng, Dictionary<string, string[]> Dropout, string Fingerprint, Dictionary<string, string> Extra);

    private static Stored Encode(TrainingState s) => new(s.Epoch, s.Step, Hex(s.Rng),
        s.Dropout.ToDictionary(kv => kv.Key, kv => Hex(kv.Value)), s.Fingerprint, s.Extra);

    private static TrainingState Decode(Stored s) => new()
    {
        Epoch = s.Epoch, Step = s.Step, Rng = Words(s.Rng), Fingerprint = s.Fingerprint, Extra = s.Extra ?? [],
        Dropout = (s.Dropout ?? []).ToDictionary(kv => kv.Key, kv => Words(kv.Value)),
    };

    private static string[] Hex(ulong[] words) => words.Select(w => w.ToString("x16", CultureInfo.InvariantCulture)).ToArray();

    private static ulong[] Words(string[] hex) => hex.Select(h => ulong.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
}
