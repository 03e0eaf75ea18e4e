using System.Buffers.Binary;

namespace NativeNets.Data.Images;

/// <summary>
/// Walks a PNG's chunks and checks each one's CRC, as Pillow does, so that truncated or bit-flipped files are
/// reported with the offending chunk and offset instead of decoding to plausible garbage (stb_image skips CRCs).
/// </summary>
internal static class PngStructure
{
    public static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly uint[] CrcTable = MakeCrcTable();

    /// <summary>Checks the whole file and returns the size in IHDR; throws <see cref="DataFormatException"/> naming the offset of the first problem.</summary>
    public static (int Width, int Height) Scan(ReadOnlySpan<byte> data, string path)
    {
        if (data.Length < 8 || !data[..8].SequenceEqual(Signature))
            throw new DataFormatException(path, "not a PNG: the 8-byte signature is missing", 0);
        var pos = 8;
        (int, int)? size = null;
        var idat = 0;
        while (true)
        {
            if (pos + 8 > data.Length)
                throw new DataFormatException(path, $"truncated: the file ends after {data.Length} bytes without the IEND chunk", data.Length);
            var length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            var type = data.Slice(pos + 4, 4);
            foreach (var c in type)
                if (c is not ((>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z')))
                    throw new DataFormatException(path, $"chunk type bytes {Convert.ToHexString(type)} are not four letters: not a chunk header", pos + 4);
            var name = System.Text.Encoding.ASCII.GetString(type);
            if (length > int.MaxValue)
                throw new DataFormatException(path, $"chunk {name} claims {length} bytes, more than PNG allows (2^31 - 1)", pos);
            if ((long)pos + 12 + length > data.Length)
                throw new DataFormatException(path, $"truncated: chunk {name} at byte {pos} claims {length} bytes, but the file ends after {data.Length}", data.Length);
            var body = data.Slice(pos + 8, (int)length);
            var stored = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 8 + (int)length)..]);
            var crc = Crc32(data.Slice(pos + 4, 4 + (int)length));
            if (crc != stored)
                throw new DataFormatException(path, $"chunk {name} at byte {pos} is corrupt: its CRC is {stored:X8}, its bytes give {crc:X8}", pos + 8 + length);
            if (size is null && name != "IHDR" && name != "CgBI")
                throw new DataFormatException(path, $"the first chunk is {name}; a PNG starts with IHDR", pos);
            switch (name)
            {
                case "IHDR":
                    size = ReadHeader(body, pos, path);
                    break;
                case "IDAT":
                    idat++;
                    break;
                case "IEND":
                    if (size is null) throw new DataFormatException(path, "IEND before IHDR", pos);
                    if (idat == 0) throw new DataFormatException(path, "no IDAT chunk: the file holds no image data", pos);
                    return size.Value;
            }
            pos += 12 + (int)length;
        }
    }

    private static (int, int) ReadHeader(ReadOnlySpan<byte> body, int at, string path)
    {
        if (body.Length != 13) throw new DataFormatException(path, $"IHDR is {body.Length} bytes long; it must be 13", at);
        var width = BinaryPrimitives.ReadUInt32BigEndian(body);
        var height = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        int depth = body[8], colour = body[9];
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
            throw new DataFormatException(path, $"IHDR gives a size of {width}x{height}; both sides must be 1 .. 2^31 - 1", at + 8);
        var ok = colour switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => depth is 8 or 16,
            _ => false,
        };
        if (!ok) throw new DataFormatException(path, $"IHDR: bit depth {depth} with colour type {colour} is not a valid PNG combination", at + 16);
        if (body[10] != 0 || body[11] != 0 || body[12] > 1)
            throw new DataFormatException(path, $"IHDR: compression {body[10]}, filter {body[11]}, interlace {body[12]}; expected 0, 0 and 0 or 1", at + 18);
        return ((int)width, (int)height);
    }

    /// <summary>CRC-32 (ISO 3309, as PNG and zlib use).</summary>
    internal static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var table = CrcTable;
        var c = 0xFFFFFFFFu;
        foreach (var b in bytes) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }

    private static uint[] MakeCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }
}
