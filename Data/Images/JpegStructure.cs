using System.Buffers.Binary;

namespace NativeNets.Data.Images;

/// <summary>What the marker walk of a JPEG found: the frame header's size and components, and the Adobe APP14 colour transform.</summary>
internal readonly record struct JpegInfo(int Width, int Height, int Components, int Precision, byte FrameMarker, long FrameOffset, int AdobeTransform);

/// <summary>
/// Walks a JPEG's marker segments and entropy-coded scans without decoding them, so that a truncated file, a
/// missing frame header, an unsupported coding process or absurd dimensions are reported with their byte offset
/// before the decoder sees the bytes (stb_image pads a truncated scan with zeros and returns a half-grey image).
/// </summary>
internal static class JpegStructure
{
    /// <summary>Checks the whole file; throws <see cref="DataFormatException"/> naming the offset of the first problem.</summary>
    public static JpegInfo Scan(ReadOnlySpan<byte> data, string path)
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
            throw new DataFormatException(path, "not a JPEG: it does not start with the SOI marker FF D8", 0);
        var pos = 2;
        JpegInfo? frame = null;
        var adobeTransform = -1;
        var scans = 0;
        while (true)
        {
            // Tolerate stray bytes between segments as libjpeg and stb_image do, then skip fill bytes (FF FF ...).
            while (pos < data.Length && data[pos] != 0xFF) pos++;
            while (pos + 1 < data.Length && data[pos + 1] == 0xFF) pos++;
            if (pos + 1 >= data.Length)
                throw Truncated(path, data.Length, scans == 0 ? "before the first scan" : "without the end-of-image marker (FF D9)");
            var marker = data[pos + 1];
            var markerAt = pos;
            pos += 2;
            if (marker == 0xD9)
            {
                if (frame is null) throw new DataFormatException(path, "the image ends (FF D9) before any frame header (SOF)", markerAt);
                if (scans == 0) throw new DataFormatException(path, "the image ends (FF D9) before any scan (SOS): no image data", markerAt);
                return frame.Value with { AdobeTransform = adobeTransform };
            }
            if (marker is 0x01 or 0xD8 or (>= 0xD0 and <= 0xD7)) continue; // standalone markers
            if (marker == 0x00)
                throw new DataFormatException(path, "FF 00 where a marker was expected", markerAt);
            if (pos + 2 > data.Length) throw Truncated(path, data.Length, $"inside the length of segment {Name(marker)}");
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            if (length < 2)
                throw new DataFormatException(path, $"segment {Name(marker)} has length {length}; the length counts its own 2 bytes", pos);
            if (pos + length > data.Length)
                throw Truncated(path, data.Length, $"inside segment {Name(marker)} at byte {markerAt}, which claims {length} bytes");
            var segment = data.Slice(pos + 2, length - 2);
            if (IsFrameMarker(marker))
            {
                if (frame is not null)
                    throw new DataFormatException(path, $"a second frame header {Name(marker)}; only single-frame JPEGs are supported", markerAt);
                frame = ReadFrame(segment, marker, markerAt, path);
            }
            else if (marker == 0xEE && segment.Length >= 12 && segment[..5].SequenceEqual("Adobe"u8))
            {
                adobeTransform = segment[11];
            }
            pos += length;
            if (marker == 0xDA)
            {
                if (frame is null) throw new DataFormatException(path, "a scan (SOS) before any frame header (SOF)", markerAt);
                scans++;
                pos = SkipEntropyCodedData(data, pos);
                if (pos >= data.Length) throw Truncated(path, data.Length, "inside the entropy-coded data of a scan");
            }
        }
    }

    /// <summary>The offset of the next marker after a scan's entropy-coded data (stuffed FF 00 and restart markers are part of it), or the length if there is none.</summary>
    private static int SkipEntropyCodedData(ReadOnlySpan<byte> data, int pos)
    {
        while (true)
        {
            var i = data[pos..].IndexOf((byte)0xFF);
            if (i < 0) return data.Length;
            pos += i;
            var next = pos + 1;
            while (next < data.Length && data[next] == 0xFF) next++;
            if (next >= data.Length) return data.Length;
            var m = data[next];
            if (m == 0x00 || m is >= 0xD0 and <= 0xD7)
            {
                pos = next + 1;
                continue;
            }
            return next - 1;
        }
    }

    private static JpegInfo ReadFrame(ReadOnlySpan<byte> segment, byte marker, int at, string path)
    {
        if (marker is not (0xC0 or 0xC1 or 0xC2))
        {
            var process = marker switch
            {
                0xC3 => "lossless",
                0xC5 or 0xC6 or 0xC7 => "hierarchical (differential)",
                0xC9 or 0xCA or 0xCB => "arithmetic-coded",
                _ => "hierarchical arithmetic-coded",
            };
            throw new DataFormatException(path, $"{process} JPEG ({Name(marker)}) is not supported: only baseline, extended and progressive Huffman JPEGs are", at);
        }
        if (segment.Length < 6) throw new DataFormatException(path, $"frame header {Name(marker)} is {segment.Length + 2} bytes long; it needs at least 8", at);
        int precision = segment[0];
        int height = BinaryPrimitives.ReadUInt16BigEndian(segment[1..]);
        int width = BinaryPrimitives.ReadUInt16BigEndian(segment[3..]);
        int components = segment[5];
        if (precision != 8)
            throw new DataFormatException(path, $"{precision}-bit samples in the frame header; only 8-bit JPEGs are supported", at + 4);
        if (width == 0 || height == 0)
            throw new DataFormatException(path, $"the frame header gives a size of {width}x{height} (a height set later by a DNL marker is not supported)", at + 5);
        if (components is not (1 or 3 or 4))
            throw new DataFormatException(path, $"{components} colour components in the frame header; expected 1 (grey), 3 (YCbCr or RGB) or 4 (CMYK or YCCK)", at + 9);
        if (segment.Length < 6 + 3 * components)
            throw new DataFormatException(path, $"frame header {Name(marker)} is too short for its {components} components", at);
        return new JpegInfo(width, height, components, precision, marker, at, -1);
    }

    private static bool IsFrameMarker(byte m) => m is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC);

    private static DataFormatException Truncated(string path, int length, string where) =>
        new(path, $"truncated: the file ends after {length} bytes, {where}", length);

    private static string Name(byte marker) => marker switch
    {
        >= 0xC0 and <= 0xCF when IsFrameMarker(marker) => $"SOF{marker - 0xC0} (FF {marker:X2})",
        0xC4 => "DHT (FF C4)",
        0xDA => "SOS (FF DA)",
        0xDB => "DQT (FF DB)",
        0xDD => "DRI (FF DD)",
        >= 0xE0 and <= 0xEF => $"APP{marker - 0xE0} (FF {marker:X2})",
        0xFE => "COM (FF FE)",
        _ => $"FF {marker:X2}",
    };
}
