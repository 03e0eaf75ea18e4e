using System.Buffers;
using System.Text;
using System.Text.Json;
using NativeNets.Native;

namespace NativeNets.Backends;

/// <summary>Which of a convolution's three computations an algorithm was chosen for.</summary>
internal enum ConvolutionDirection
{
    Forward,
    BackwardData,
    BackwardFilter,
}

/// <summary>
/// Everything that decides which cuDNN algorithm <c>cudnnFind*Ex</c> picks for one convolution, and which of its results
/// CudaConvolution accepts: the direction, the descriptors' data, compute and requested math types, whether TF32 is
/// allowed, the layout, the input (N, C, H, W), the filter (K, KH, KW; its C is C / groups), the geometry, the output
/// (OH, OW) and the workspace limit the search ran under.
/// </summary>
internal readonly record struct ConvolutionAlgorithmKey(
    ConvolutionDirection Direction, cudnnDataType_t DataType, cudnnDataType_t ComputeType, cudnnMathType_t MathType, bool AllowTf32,
    cudnnTensorFormat_t Layout, int N, int C, int H, int W, int K, int KH, int KW, Conv2dGeometry Geometry, int OutH, int OutW,
    long WorkspaceLimit);

/// <summary>
/// The algorithm chosen for one key: its enum value (<c>cudnnConvolutionFwdAlgo_t</c>, <c>...BwdDataAlgo_t</c> or
/// <c>...BwdFilterAlgo_t</c> as the direction says), the math type it was timed with (set it on the descriptor before
/// running it), its workspace bytes and the milliseconds Find measured.
/// </summary>
internal readonly record struct ConvolutionAlgorithmChoice(int Algo, cudnnMathType_t Math, long WorkspaceBytes, float TimeMs);

/// <summary>The GPU and library a cache file was measured on; a file written for another one is ignored.</summary>
internal sealed record ConvolutionAlgorithmCacheIdentity(string Gpu, int ComputeCapability, long CudnnVersion)
{
    public override string ToString() => $"{Gpu} (sm_{ComputeCapability}) with cuDNN {CudnnVersion}";
}

/// <summary>
/// The convolution algorithms chosen on this GPU, by <see cref="ConvolutionAlgorithmKey"/>: in memory always, and in a JSON
/// file when <see cref="EnvironmentVariable"/> names one, so that the next run skips <c>cudnnFind*Ex</c>. The file is read
/// once (a missing file is an empty cache; one written for another GPU or cuDNN version, or one that does not parse, is
/// ignored with one line on <see cref="Messages"/>) and rewritten after each new entry: merged with what other processes
/// wrote there meanwhile, written to a temp file in the same folder and renamed over the old one, so a reader never sees
/// half a file. The cache is an optimisation: no read or write problem fails a run. Pure data and file I/O (no GPU).
/// </summary>
internal sealed class ConvolutionAlgorithmCache
{
    /// <summary>The environment variable naming the cache file; unset or empty: in memory only.</summary>
    public const string EnvironmentVariable = "NATIVENETS_CONV_ALGO_CACHE";

    /// <summary>The <c>format</c> field of the file, and the only <c>version</c> this code reads.</summary>
    public const string Format = "nativenets-conv-algorithms";
    public const int FormatVersion = 1;

    /// <summary>Serialises file access between the backends (devices) of this process; other processes are covered by the rename.</summary>
    private static readonly Lock FileLock = new();

    private readonly Dictionary<ConvolutionAlgorithmKey, ConvolutionAlgorithmChoice> _entries = new();
    private bool _saveFailureReported;

    /// <summary>An in-memory cache, backed by <paramref name="path"/> (loaded now) where it is not null or blank.</summary>
    public ConvolutionAlgorithmCache(string? path, ConvolutionAlgorithmCacheIdentity identity, TextWriter? messages = null)
    {
        Path = string.IsNullOrWhiteSpace(path) ? null : System.IO.Path.GetFullPath(path);
        Identity = identity;
        Messages = messages ?? Console.Error;
        if (Path is null) return;
        lock (FileLock)
        {
            var (loaded, problem) = Read(Path, identity);
            if (problem is not null) Messages.WriteLine($"nativenets: {problem}; ignoring it and starting empty");
            foreach (var (key, choice) in loaded) _entries[key] = choice;
        }
    }

    /// <summary>The cache of <see cref="EnvironmentVariable"/>'s file, or in memory only where it is unset.</summary>
    public static ConvolutionAlgorithmCache FromEnvironment(ConvolutionAlgorithmCacheIdentity identity, TextWriter? messages = null) =>
        new(Environment.GetEnvironmentVariable(EnvironmentVariable), identity, messages);

    /// <summary>The full path of the file, or null for a cache in memory only.</summary>
    public string? Path { get; }

    public ConvolutionAlgorithmCacheIdentity Identity { get; }

    /// <summary>Where the one-line notes about the file go (stderr unless a test says otherwise).</summary>
    public TextWriter Messages { get; }

    public int Count
    {
        get
        {
            lock (_entries) return _entries.Count;
        }
    }

    public bool TryGet(ConvolutionAlgorithmKey key, out ConvolutionAlgorithmChoice choice)
    {
        lock (_entries) return _entries.TryGetValue(key, out choice);
    }

    /// <summary>Records a choice (replacing any earlier one for the key) and, with a file, saves at once.</summary>
    public void Add(ConvolutionAlgorithmKey key, ConvolutionAlgorithmChoice choice)
    {
        lock (_entries) _entries[key] = choice;
        if (Path is not null) Save();
    }

    /// <summary>Writes a note about this cache (e.g. a stored algorithm cuDNN no longer accepts) on <see cref="Messages"/>.</summary>
    public void Note(string message) => Messages.WriteLine($"nativenets: {message}");

    /// <summary>
    /// Writes the file: this cache's entries over those already in the file (when it is for this GPU and cuDNN), through a
    /// temp file in the same folder that is renamed over it. A failure is reported once and otherwise ignored.
    /// </summary>
    public void Save()
    {
        if (Path is null) return;
        lock (FileLock)
        {
            string? temp = null;
            try
            {
                var (onDisk, _) = Read(Path, Identity);
                KeyValuePair<ConvolutionAlgorithmKey, ConvolutionAlgorithmChoice>[] all;
                lock (_entries)
                {
                    foreach (var (key, choice) in onDisk) _entries.TryAdd(key, choice);
                    all = [.. _entries];
                }
                var bytes = Serialize(Identity, all);
                var folder = System.IO.Path.GetDirectoryName(Path)!;
                Directory.CreateDirectory(folder);
                temp = System.IO.Path.Combine(folder,
                    $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
                using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    stream.Write(bytes);
                    stream.Flush(flushToDisk: true);
                }
                File.Move(temp, Path, overwrite: true);
                temp = null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                if (!_saveFailureReported)
                {
                    _saveFailureReported = true;
                    Messages.WriteLine($"nativenets: cannot write the convolution algorithm cache {Path}: {e.Message}; going on without saving it");
                }
            }
            finally
            {
                if (temp is not null)
                {
                    try
                    {
                        File.Delete(temp);
                    }
                    catch (IOException) { }
                    catch (UnauthorizedAccessException) { }
                }
            }
        }
    }

    // ---- the file -----------------------------------------------------------------------------
    //
    // {
    //   "format": "nativenets-conv-algorithms",
    //   "version": 1,
    //   "gpu": "NVIDIA H100 80GB HBM3",
    //   "compute_capability": 90,
    //   "cudnn_version": 91400,
    //   "entries": [
    //     {"direction":"forward","data_type":"CUDNN_DATA_FLOAT",...,"algo":1,"algo_name":"...","math":3,"workspace_bytes":0,"time_ms":0.5},
    //     ...
    //   ]
    // }
    //
    // One entry per line, sorted, so that the file diffs well. algo and math are the enum values; algo_name is for people.

    internal static byte[] Serialize(ConvolutionAlgorithmCacheIdentity identity,
        IEnumerable<KeyValuePair<ConvolutionAlgorithmKey, ConvolutionAlgorithmChoice>> entries)
    {
        var lines = entries.Select(e => EntryJson(e.Key, e.Value)).Order(StringComparer.Ordinal).ToList();
        var text = new StringBuilder();
        text.Append("{\n");
        text.Append($"  \"format\": \"{Format}\",\n");
        text.Append($"  \"version\": {FormatVersion},\n");
        text.Append($"  \"gpu\": \"{JsonEncodedText.Encode(identity.Gpu)}\",\n");
        text.Append($"  \"compute_capability\": {identity.ComputeCapability},\n");
        text.Append($"  \"cudnn_version\": {identity.CudnnVersion},\n");
        text.Append("  \"entries\": [\n");
        for (var i = 0; i < lines.Count; i++) text.Append("    ").Append(lines[i]).Append(i + 1 < lines.Count ? ",\n" : "\n");
        text.Append("  ]\n}\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static string EntryJson(ConvolutionAlgorithmKey k, ConvolutionAlgorithmChoice c)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            var g = k.Geometry;
            w.WriteStartObject();
            w.WriteString("direction", DirectionName(k.Direction));
            w.WriteString("data_type", k.DataType.ToString());
            w.WriteString("compute_type", k.ComputeType.ToString());
            w.WriteString("math_type", k.MathType.ToString());
            w.WriteBoolean("allow_tf32", k.AllowTf32);
            w.WriteString("layout", k.Layout.ToString());
            w.WriteNumber("n", k.N);
            w.WriteNumber("c", k.C);
            w.WriteNumber("h", k.H);
            w.WriteNumber("w", k.W);
            w.WriteNumber("k", k.K);
            w.WriteNumber("kh", k.KH);
            w.WriteNumber("kw", k.KW);
            w.WriteNumber("pad_h", g.PadH);
            w.WriteNumber("pad_w", g.PadW);
            w.WriteNumber("stride_h", g.StrideH);
            w.WriteNumber("stride_w", g.StrideW);
            w.WriteNumber("dilation_h", g.DilationH);
            w.WriteNumber("dilation_w", g.DilationW);
            w.WriteNumber("groups", g.Groups);
            w.WriteNumber("out_h", k.OutH);
            w.WriteNumber("out_w", k.OutW);
            w.WriteNumber("workspace_limit", k.WorkspaceLimit);
            w.WriteNumber("algo", c.Algo);
            w.WriteString("algo_name", AlgoName(k.Direction, c.Algo));
            w.WriteNumber("math", (int)c.Math);
            w.WriteNumber("workspace_bytes", c.WorkspaceBytes);
            w.WriteNumber("time_ms", float.IsFinite(c.TimeMs) ? c.TimeMs : -1f);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string DirectionName(ConvolutionDirection d) => d switch
    {
        ConvolutionDirection.Forward => "forward",
        ConvolutionDirection.BackwardData => "backward_data",
        _ => "backward_filter",
    };

    private static string AlgoName(ConvolutionDirection d, int algo) => d switch
    {
        ConvolutionDirection.Forward => ((cudnnConvolutionFwdAlgo_t)algo).ToString(),
        ConvolutionDirection.BackwardData => ((cudnnConvolutionBwdDataAlgo_t)algo).ToString(),
        _ => ((cudnnConvolutionBwdFilterAlgo_t)algo).ToString(),
    };

    /// <summary>A bad file: the message names the field (or the line and byte) and what was expected.</summary>
    private sealed class CacheFormatException(string message) : Exception(message);

    /// <summary>
    /// The entries of <paramref name="path"/> when it is a cache for <paramref name="identity"/>; otherwise none, and the
    /// reason (naming the file) unless the file simply does not exist yet.
    /// </summary>
    internal static (List<KeyValuePair<ConvolutionAlgorithmKey, ConvolutionAlgorithmChoice>> Entries, string? Problem) Read(
        string path, ConvolutionAlgorithmCacheIdentity identity)
    {
        var none = new List<KeyValuePair<ConvolutionAlgorithmKey, ConvolutionAlgorithmChoice>>();
        byte[] bytes;
        try
        {
            if (!File.Exists(path)) return (none, null);
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return (none, $"cannot read the convolution algorithm cache {path}: {e.Message}");
        }
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new CacheFormatException($"expected a JSON object at the top, found {root.ValueKind}");
            var format = String(root, "format", "");
            if (format != Format) throw new CacheFormatException($"format: expected \"{Format}\", found \"{format}\"");
            var version = Int(root, "version", "");
            if (version != FormatVersion) throw new CacheFormatException($"version: expected {FormatVersion}, found {version} (a format this NativeNets does not read)");
            var written = new ConvolutionAlgorithmCacheIdentity(String(root, "gpu", ""), Int(root, "compute_capability", ""), Long(root, "cudnn_version", ""));
            if (written != identity)
                return (none, $"the convolution algorithm cache {path} was written for {written}, not for this {identity}");
            if (!root.TryGetProperty("entries", out var list) || list.ValueKind != JsonValueKind.Array)
                throw new CacheFormatException("entries: expected an array");
            var entries = new List<KeyValuePair<ConvolutionAlgorithmKey, ConvolutionAlgorithmChoice>>();
            var i = 0;
            foreach (var e in list.EnumerateArray())
            {
                entries.Add(Entry(e, $"entries[{i}]."));
                i++;
            }
            return (entries, null);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $"line {line + 1}, byte {e.BytePositionInLine + 1}: " : "";
            return (none, $"the convolution algorithm cache {path} is not valid JSON (truncated or corrupt?): {where}{FirstSentence(e.Message)}");
        }
        catch (CacheFormatException e)
        {
            return (none, $"the convolution algorithm cache {path} is damaged: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            return (none, $"the convolution algorithm cache {path} is damaged: {e.Message}");
        }
    }

    /// <summary>System.Text.Json's message without the position suffix it appends (" LineNumber: ... | BytePositionInLine: ...", " Path: ..."), which the caller gives 1-based.</summary>
    private static string FirstSentence(string message)
    {
        foreach (var marker in (string[])[" Path:", " LineNumber:"])
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
        }
        return message.TrimEnd().TrimEnd('.');
    }

    private static KeyValuePair<ConvolutionAlgorithmKey, ConvolutionAlgorithmChoice> Entry(JsonElement e, string at)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new CacheFormatException($"{at.TrimEnd('.')}: expected an object, found {e.ValueKind}");
        var directionName = String(e, "direction", at);
        ConvolutionDirection direction = directionName switch
        {
            "forward" => ConvolutionDirection.Forward,
            "backward_data" => ConvolutionDirection.BackwardData,
            "backward_filter" => ConvolutionDirection.BackwardFilter,
            _ => throw new CacheFormatException($"{at}direction: expected forward, backward_data or backward_filter, found \"{directionName}\""),
        };
        var geometry = new Conv2dGeometry(
            StrideH: Positive(e, "stride_h", at), StrideW: Positive(e, "stride_w", at),
            PadH: NonNegative(e, "pad_h", at), PadW: NonNegative(e, "pad_w", at),
            DilationH: Positive(e, "dilation_h", at), DilationW: Positive(e, "dilation_w", at),
            Groups: Positive(e, "groups", at));
        var key = new ConvolutionAlgorithmKey(direction,
            Enum<cudnnDataType_t>(e, "data_type", at), Enum<cudnnDataType_t>(e, "compute_type", at), Enum<cudnnMathType_t>(e, "math_type", at),
            Bool(e, "allow_tf32", at), Enum<cudnnTensorFormat_t>(e, "layout", at),
            Positive(e, "n", at), Positive(e, "c", at), Positive(e, "h", at), Positive(e, "w", at),
            Positive(e, "k", at), Positive(e, "kh", at), Positive(e, "kw", at), geometry,
            Positive(e, "out_h", at), Positive(e, "out_w", at), Long(e, "workspace_limit", at));
        var workspace = Long(e, "workspace_bytes", at);
        if (workspace < 0) throw new CacheFormatException($"{at}workspace_bytes: expected a byte count >= 0, found {workspace}");
        var choice = new ConvolutionAlgorithmChoice(NonNegative(e, "algo", at), (cudnnMathType_t)NonNegative(e, "math", at), workspace, Float(e, "time_ms", at));
        return new(key, choice);
    }

    private static JsonElement Field(JsonElement o, string name, string at, JsonValueKind kind, string expected)
    {
        if (!o.TryGetProperty(name, out var v)) throw new CacheFormatException($"{at}{name}: missing (expected {expected})");
        if (v.ValueKind != kind) throw new CacheFormatException($"{at}{name}: expected {expected}, found {v.ValueKind}");
        return v;
    }

    private static string String(JsonElement o, string name, string at) => Field(o, name, at, JsonValueKind.String, "a string").GetString()!;

    private static bool Bool(JsonElement o, string name, string at)
    {
        if (!o.TryGetProperty(name, out var v)) throw new CacheFormatException($"{at}{name}: missing (expected true or false)");
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new CacheFormatException($"{at}{name}: expected true or false, found {v.ValueKind}"),
        };
    }

    private static int Int(JsonElement o, string name, string at) =>
        Field(o, name, at, JsonValueKind.Number, "an integer").TryGetInt32(out var v) ? v
        : throw new CacheFormatException($"{at}{name}: expected a 32-bit integer, found {o.GetProperty(name).GetRawText()}");

    private static long Long(JsonElement o, string name, string at) =>
        Field(o, name, at, JsonValueKind.Number, "an integer").TryGetInt64(out var v) ? v
        : throw new CacheFormatException($"{at}{name}: expected a 64-bit integer, found {o.GetProperty(name).GetRawText()}");

    private static float Float(JsonElement o, string name, string at) =>
        Field(o, name, at, JsonValueKind.Number, "a number").TryGetSingle(out var v) && float.IsFinite(v) ? v
        : throw new CacheFormatException($"{at}{name}: expected a finite number, found {o.GetProperty(name).GetRawText()}");

    private static int Positive(JsonElement o, string name, string at)
    {
        var v = Int(o, name, at);
        return v >= 1 ? v : throw new CacheFormatException($"{at}{name}: expected an integer >= 1, found {v}");
    }

    private static int NonNegative(JsonElement o, string name, string at)
    {
        var v = Int(o, name, at);
        return v >= 0 ? v : throw new CacheFormatException($"{at}{name}: expected an integer >= 0, found {v}");
    }

    private static T Enum<T>(JsonElement o, string name, string at) where T : struct, Enum
    {
        var text = String(o, name, at);
        if (text.Length > 0 && char.IsLetter(text[0]) && System.Enum.TryParse<T>(text, ignoreCase: false, out var v) && System.Enum.IsDefined(v)) return v;
        throw new CacheFormatException($"{at}{name}: expected one of {string.Join(", ", System.Enum.GetNames<T>())}, found \"{text}\"");
    }
}
