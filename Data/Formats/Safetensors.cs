using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using NativeNets.Tensors;

namespace NativeNets.Data.Formats;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record SafetensorsEntry(string Name, string DType, int[] Shape, long Begin, long End)
{
    public long Count => Shape.Aggregate(1L, (a, d) => a * d);
}

/// <summary>
/// The safetensors format (Hugging Face's, what PyTorch users exchange weights in): an 8-byte little-endian
/// header length, a JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian
/// data. Reading checks every entry against the file before anything is allocated; writing goes through a
/// temporary file and a rename, so a crash never leaves half a file.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    private static readonly Dictionary<string, int> DTypeSizes = new()
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    private readonly FileStream _file;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafetensorsEntry> _entries;

    private SafetensorsFile(string path, FileStream file, long dataStart, Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        _file = file;
        _dataStart = dataStart;
        _entries = entries;
        Metadata = metadata;
    }

    public string Path { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IReadOnlyCollection<SafetensorsEntry> Entries => _entries.Values;
    public bool Contains(string name) => _entries.ContainsKey(name);
    public SafetensorsEntry Entry(string name) =>
        _entries.TryGetValue(name, out var e) ? e : throw new DataFormatException(Path, $"no tensor named '{name}'");

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var file = File.OpenRead(path);
        try
        {
            Span<byte> lengthBytes = stackalloc byte[8];
            if (file.Length < 8 || file.Read(lengthBytes) != 8)
                throw new DataFormatException(path, $"truncated: {file.Length} bytes, a safetensors file starts with an 8-byte header length", 0);
            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (headerLength > (ulong)(file.Length - 8) || headerLength > 100_000_000)
                throw new DataFormatException(path, $"header length {headerLength} exceeds the {file.Length - 8} bytes after it", 0);
            var header = new byte[headerLength];
            file.ReadExactly(header);
            var dataStart = 8 + (long)headerLength;
            var dataLength = file.Length - dataStart;
            var entries = new Dictionary<string, SafetensorsEntry>();
            var metadata = new Dictionary<string, string>();
            JsonDocument doc;
            try { doc = JsonDocument.Parse(header); }
            catch (JsonException e) { throw new DataFormatException(path, $"the header is not valid JSON: {e.Message}", 8, e); }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new DataFormatException(path, "the header is not a JSON object", 8);
                foreach (var prop in doc.RootElement.EnumerateObject())
                {
                    if (prop.Name == "__metadata__")
                    {
                        foreach (var m in prop.Value.EnumerateObject()) metadata[m.Name] = m.Value.ToString();
                        continue;
                    }
                    entries[prop.Name] = ParseEntry(path, prop.Name, prop.Value, dataLength);
                }
            }
            return new SafetensorsFile(path, file, dataStart, entries, metadata);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static SafetensorsEntry ParseEntry(string path, string name, JsonElement e, long dataLength)
    {
        try
        {
            var dtype = e.GetProperty("dtype").GetString() ?? "";
            if (!DTypeSizes.TryGetValue(dtype, out var size))
                throw new DataFormatException(path, $"tensor '{name}': unknown dtype '{dtype}'");
            var shape = e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            if (shape.Any(d => d < 0)) throw new DataFormatException(path, $"tensor '{name}': negative dimension in {Tensor.FormatDims(shape)}");
            var offsets = e.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                throw new DataFormatException(path, $"tensor '{name}': data_offsets must be [begin, end] with begin <= end");
            var entry = new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
            if ((offsets[1] - offsets[0]) != entry.Count * size)
                throw new DataFormatException(path, $"tensor '{name}': {offsets[1] - offsets[0]} bytes for {dtype} {Tensor.FormatDims(shape)}, which needs {entry.Count * size}");
            if (offsets[1] > dataLength)
                throw new DataFormatException(path, $"tensor '{name}': its data ends at byte {offsets[1]} of the data section, but the file holds only {dataLength} bytes of data: truncated");
            return entry;
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new DataFormatException(path, $"tensor '{name}': malformed header entry ({ex.Message})", inner: ex);
        }
    }

    /// <summary>The raw bytes of one tensor.</summary>
    public byte[] ReadBytes(string name)
    {
        var e = Entry(name);
        var bytes = new byte[e.End - e.Begin];
        _file.Position = _dataStart + e.Begin;
        _file.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>One tensor as doubles, whatever its floating-point or integer dtype.</summary>
    public double[] ReadDoubles(string name)
    {
        var e = Entry(name);
        var raw = ReadBytes(name);
        var n = checked((int)e.Count);
        var v = new double[n];
        for (var i = 0; i < n; i++)
        {
            v[i] = e.DType switch
            {
                "F64" => BinaryPrimitives.ReadDoubleLittleEndian(raw.AsSpan(8 * i)),
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(4 * i)),
                "F16" => (double)BinaryPrimitives.ReadHalfLittleEndian(raw.AsSpan(2 * i)),
                "BF16" => BFloat16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(2 * i))),
                "I64" => BinaryPrimitives.ReadInt64LittleEndian(raw.AsSpan(8 * i)),
                "I32" => BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(4 * i)),
                "I16" => BinaryPrimitives.ReadInt16LittleEndian(raw.AsSpan(2 * i)),
                "I8" => (sbyte)raw[i],
                "U8" or "BOOL" => raw[i],
                _ => throw new DataFormatException(Path, $"tensor '{name}': unsupported dtype {e.DType}"),
            };
        }
        return v;
    }

    /// <summary>Reads a floating-point tensor into <paramref name="destination"/> (a CPU tensor of the same shape), converting the dtype.</summary>
    public void ReadInto(string name, Tensor destination)
    {
        var e = Entry(name);
        if (!e.Shape.AsSpan().SequenceEqual(destination.Dims))
            throw new DataFormatException(Path, $"tensor '{name}' has shape {Tensor.FormatDims(e.Shape)} in the file, the model expects {destination.ShapeText}");
        if (e.DType is not ("F64" or "F32" or "F16" or "BF16"))
            throw new DataFormatException(Path, $"tensor '{name}' has dtype {e.DType}, expected a floating-point type (F32, F16, BF16, F64)");
        var values = ReadDoubles(name);
        using var host = Tensor.FromArray(values, e.Shape);
        if (destination.Device.Kind == DeviceKind.Cpu) destination.Backend.Cast(host, destination);
        else
        {
            using var staged = new Tensor(e.Shape, destination.DType);
            staged.Backend.Cast(host, staged);
            destination.Backend.CopyFromHost(staged.Pointer, destination);
        }
    }

    public void Dispose() => _file.Dispose();

    /// <summary>A tensor to write: its name, dtype ("F32", "F64", "F16", "BF16", "I64", "I32", "U8"), shape and little-endian bytes.</summary>
    public sealed record Item(string Name, string DType, int[] Shape, byte[] Data);

    public static void Write(string path, IEnumerable<Item> items, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = items.ToList();
        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var item in list)
            {
                var expected = item.Shape.Aggregate(1L, (a, d) => a * d) * DTypeSizes[item.DType];
                if (item.Data.Length != expected)
                    throw new ArgumentException($"tensor '{item.Name}': {item.Data.Length} bytes for {item.DType} {Tensor.FormatDims(item.Shape)} ({expected} expected)");
                json.WriteStartObject(item.Name);
                json.WriteString("dtype", item.DType);
                json.WriteStartArray("shape");
                foreach (var d in item.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + item.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += item.Data.Length;
            }
            json.WriteEndObject();
        }
        // Pad the header with spaces to a multiple of 8 so that the data is aligned.
        var headerBytes = header.ToArray();
        var padded = (headerBytes.Length + 7) / 8 * 8;
        var tmp = path + ".tmp-" + Environment.ProcessId;
        RemoveStaleTemporaries(path);
        try
        {
            using (var f = File.Create(tmp))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
                f.Write(len);
                f.Write(headerBytes);
                for (var i = headerBytes.Length; i < padded; i++) f.WriteByte((byte)' ');
                foreach (var item in list) f.Write(item.Data);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>
    /// A writer killed mid-write (SIGKILL, power loss) leaves its "path.tmp-PID" behind, never a half-written
    /// <paramref name="path"/>; the next write to the same path removes such leftovers of processes that no longer run.
    /// </summary>
    private static void RemoveStaleTemporaries(string path)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var prefix = System.IO.Path.GetFileName(path) + ".tmp-";
        try
        {
            foreach (var file in Directory.EnumerateFiles(folder, prefix + "*"))
            {
                if (!int.TryParse(System.IO.Path.GetFileName(file).AsSpan(prefix.Length), out var pid) || pid == Environment.ProcessId) continue;
                if (!Directory.Exists($"/proc/{pid}") || !OperatingSystem.IsLinux()) File.Delete(file);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>The bytes and safetensors dtype of a CPU tensor (F32, F64, F16, BF16, I32, U8).</summary>
    public static Item ItemOf(string name, Tensor t)
    {
        var dtype = t.DType switch
        {
            DType.F32 => "F32", DType.F64 => "F64", DType.F16 => "F16", DType.BF16 => "BF16", DType.I32 => "I32", DType.U8 => "U8",
            _ => throw new NotSupportedException($"no safetensors dtype for {t.DType}"),
        };
        return new Item(name, dtype, t.Shape, RawBytes(t));
    }

    private static byte[] RawBytes(Tensor t)
    {
        var bytes = new byte[t.Bytes];
        unsafe
        {
            fixed (byte* p = bytes) t.Backend.CopyToHost(t, (nint)p);
        }
        return bytes;
    }
}
