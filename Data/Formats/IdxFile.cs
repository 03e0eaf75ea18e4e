using System.Buffers.Binary;
using System.IO.Compression;
using NativeNets.Tensors;

namespace NativeNets.Data.Formats;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST, raw or gzipped: a 4-byte magic (two zero bytes, the element
/// type, the rank), one big-endian int32 per dimension, then the data. Everything the header claims is
/// checked against the file (magic, rank, dimensions, the data length) before any memory is allocated.
/// Only unsigned bytes (type 0x08) are read: the type of every MNIST-family file.
/// </summary>
public static class IdxFile
{
    public const byte UnsignedByte = 0x08;

    private static readonly Dictionary<byte, string> TypeNames = new()
    {
        [0x08] = "unsigned byte", [0x09] = "signed byte", [0x0B] = "short", [0x0C] = "int", [0x0D] = "float", [0x0E] = "double",
    };

    /// <summary>Reads an IDX file of unsigned bytes with the expected rank into a U8 tensor of its dims.</summary>
    public static Tensor Read(string path, int expectedRank)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        using var file = File.OpenRead(path);
        var gzipped = IsGzip(file);
        long? dataLength;
        Stream stream;
        if (gzipped)
        {
            // The gzip trailer holds the uncompressed size (mod 2^32): the length check before any allocation.
            dataLength = ReadGzipSize(path, file);
            file.Position = 0;
            stream = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
        }
        else
        {
            dataLength = file.Length;
            stream = file;
        }
        using (stream)
        {
            var header = new byte[4];
            ReadExactly(path, stream, header, 0, "the 4-byte magic number");
            var magic = BinaryPrimitives.ReadUInt32BigEndian(header);
            if (header[0] != 0 || header[1] != 0)
                throw new DataFormatException(path, $"wrong magic number 0x{magic:X8}: an IDX file starts with two zero bytes, the element type and the rank (0x0000080{expectedRank} here){(gzipped ? " (after gzip decompression)" : "")}", 0);
            var type = header[2];
            if (type != UnsignedByte)
                throw new DataFormatException(path, $"element type 0x{type:X2} ({TypeNames.GetValueOrDefault(type, "unknown")}) is not supported: expected 0x08 (unsigned byte)", 2);
            int rank = header[3];
            if (rank != expectedRank)
                throw new DataFormatException(path, $"rank {rank} in the magic number 0x{magic:X8}, expected {expectedRank}", 3);

            var dimBytes = new byte[4 * rank];
            ReadExactly(path, stream, dimBytes, 4, $"{rank} dimension sizes");
            var dims = new int[rank];
            long count = 1;
            for (var i = 0; i < rank; i++)
            {
                var d = BinaryPrimitives.ReadUInt32BigEndian(dimBytes.AsSpan(4 * i));
                if (d == 0 || d > int.MaxValue)
                    throw new DataFormatException(path, $"dimension {i} is {d}, expected between 1 and {int.MaxValue}", 4 + 4 * i);
                dims[i] = (int)d;
                count *= d;
                if (count > Array.MaxLength)
                    throw new DataFormatException(path, $"dimensions {string.Join(" x ", dims.Take(i + 1))} claim more than {Array.MaxLength} bytes", 4 + 4 * i);
            }
            var headerLength = 4L + 4 * rank;
            var expectedTotal = headerLength + count;
            if (dataLength is { } total)
            {
                var matches = gzipped ? (total & 0xFFFFFFFF) == (expectedTotal & 0xFFFFFFFF) : total == expectedTotal;
                if (!matches)
                {
                    var claim = $"the header claims {Tensor.FormatDims(dims)} = {count} bytes of data after its {headerLength}-byte header ({expectedTotal} bytes in all)";
                    throw new DataFormatException(path, gzipped
                        ? $"{claim}, but the gzip trailer says the file decompresses to {total} bytes (mod 2^32): truncated or inconsistent"
                        : total < expectedTotal
                            ? $"{claim}, but the file holds only {total} bytes: truncated"
                            : $"{claim}, but the file holds {total} bytes: {total - expectedTotal} bytes too many");
                }
            }

            var tensor = new Tensor(dims, DType.U8);
            try
            {
                var span = tensor.Span<byte>();
                var read = 0;
                while (read < span.Length)
                {
                    int n;
                    try { n = stream.Read(span[read..]); }
                    catch (InvalidDataException e) { throw new DataFormatException(path, $"corrupt gzip data: {e.Message}", headerLength + read, e); }
                    if (n == 0)
                        throw new DataFormatException(path, $"truncated: the data ends after {read} of {count} bytes", headerLength + read);
                    read += n;
                }
                if (gzipped && stream.ReadByte() >= 0)
                    throw new DataFormatException(path, $"more data than the header's {count} bytes after decompression", expectedTotal);
                return tensor;
            }
            catch
            {
                tensor.Dispose();
                throw;
            }
        }
    }

    /// <summary>Writes U8 data as an IDX file (gzipped when the path ends in .gz), through a temporary file and a rename.</summary>
    public static void Write(string path, ReadOnlySpan<byte> data, params int[] dims)
    {
        long count = 1;
        foreach (var d in dims) count *= d;
        if (count != data.Length) throw new ArgumentException($"{data.Length} bytes do not fill dims {Tensor.FormatDims(dims)}");
        var tmp = path + ".tmp-" + Environment.ProcessId;
        try
        {
            using (var file = File.Create(tmp))
            using (var stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Fastest) : (Stream)file)
            {
                Span<byte> word = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(word, (uint)(UnsignedByte << 8 | dims.Length));
                stream.Write(word);
                foreach (var d in dims)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(word, (uint)d);
                    stream.Write(word);
                }
                stream.Write(data);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    private static bool IsGzip(FileStream file)
    {
        Span<byte> b = stackalloc byte[2];
        var n = file.Read(b);
        file.Position = 0;
        return n == 2 && b[0] == 0x1F && b[1] == 0x8B;
    }

    private static long ReadGzipSize(string path, FileStream file)
    {
        if (file.Length < 18)
            throw new DataFormatException(path, $"truncated gzip file of {file.Length} bytes (a gzip member needs at least 18)");
        Span<byte> trailer = stackalloc byte[4];
        file.Position = file.Length - 4;
        file.ReadExactly(trailer);
        return BinaryPrimitives.ReadUInt32LittleEndian(trailer);
    }

    private static void ReadExactly(string path, Stream stream, byte[] buffer, long offset, string what)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            int n;
            try { n = stream.Read(buffer, read, buffer.Length - read); }
            catch (InvalidDataException e) { throw new DataFormatException(path, $"corrupt gzip data while reading {what}: {e.Message}", offset + read, e); }
            if (n == 0)
                throw new DataFormatException(path, $"truncated: the file ends after {offset + read} bytes, inside {what}", offset + read);
            read += n;
        }
    }
}
