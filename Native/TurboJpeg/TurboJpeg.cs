using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

#pragma warning disable CA1707 // native names keep their underscores
#pragma warning disable CA1711 // TJFLAG is the header's name
#pragma warning disable CA1714 // TJFLAG is the header's name

namespace NativeNets.Native;

/// <summary>Pixel formats of uncompressed images (turbojpeg.h <c>enum TJPF</c>).</summary>
public enum TJPF
{
    /// <summary>3 bytes per pixel: red, green, blue.</summary>
    TJPF_RGB = 0,
    /// <summary>3 bytes per pixel: blue, green, red.</summary>
    TJPF_BGR = 1,
    /// <summary>4 bytes per pixel: red, green, blue, unused.</summary>
    TJPF_RGBX = 2,
    /// <summary>4 bytes per pixel: blue, green, red, unused.</summary>
    TJPF_BGRX = 3,
    /// <summary>4 bytes per pixel: unused, blue, green, red.</summary>
    TJPF_XBGR = 4,
    /// <summary>4 bytes per pixel: unused, red, green, blue.</summary>
    TJPF_XRGB = 5,
    /// <summary>1 byte per pixel: luminance.</summary>
    TJPF_GRAY = 6,
    /// <summary>As TJPF_RGBX, with the fourth byte set to 0xFF when decompressing.</summary>
    TJPF_RGBA = 7,
    /// <summary>As TJPF_BGRX, with the fourth byte set to 0xFF when decompressing.</summary>
    TJPF_BGRA = 8,
    /// <summary>As TJPF_XBGR, with the first byte set to 0xFF when decompressing.</summary>
    TJPF_ABGR = 9,
    /// <summary>As TJPF_XRGB, with the first byte set to 0xFF when decompressing.</summary>
    TJPF_ARGB = 10,
    /// <summary>4 bytes per pixel: C, M, Y, K as libjpeg stores them (Adobe JPEGs: inverted); decompresses CMYK and YCCK JPEGs.</summary>
    TJPF_CMYK = 11,
    /// <summary>Unknown pixel format (only returned by the image I/O functions).</summary>
    TJPF_UNKNOWN = -1,
}

/// <summary>Colour spaces of JPEG images (turbojpeg.h <c>enum TJCS</c>), as tjDecompressHeader3 reports them.</summary>
public enum TJCS
{
    /// <summary>RGB stored as is (no colour transform).</summary>
    TJCS_RGB = 0,
    /// <summary>YCbCr (JFIF).</summary>
    TJCS_YCbCr = 1,
    /// <summary>Greyscale.</summary>
    TJCS_GRAY = 2,
    /// <summary>CMYK stored as is (Adobe transform 0 or no Adobe marker).</summary>
    TJCS_CMYK = 3,
    /// <summary>YCCK (Adobe transform 2).</summary>
    TJCS_YCCK = 4,
}

/// <summary>Chrominance subsampling (turbojpeg.h <c>enum TJSAMP</c>, libjpeg-turbo 2.x; 2.x has no TJSAMP_UNKNOWN).</summary>
public enum TJSAMP
{
    /// <summary>4:4:4, no subsampling.</summary>
    TJSAMP_444 = 0,
    /// <summary>4:2:2, 2x1.</summary>
    TJSAMP_422 = 1,
    /// <summary>4:2:0, 2x2.</summary>
    TJSAMP_420 = 2,
    /// <summary>Greyscale.</summary>
    TJSAMP_GRAY = 3,
    /// <summary>4:4:0, 1x2.</summary>
    TJSAMP_440 = 4,
    /// <summary>4:1:1, 4x1.</summary>
    TJSAMP_411 = 5,
}

/// <summary>Severity of the last error (turbojpeg.h <c>enum TJERR</c>, 2.0+), from tjGetErrorCode.</summary>
public enum TJERR
{
    /// <summary>A non-fatal error: the operation may have completed, its output may be damaged (corrupt or truncated data).</summary>
    TJERR_WARNING = 0,
    /// <summary>A fatal error: the operation did not complete.</summary>
    TJERR_FATAL = 1,
}

/// <summary>The <c>flags</c> argument (turbojpeg.h <c>TJFLAG_*</c>, libjpeg-turbo 2.1; the deprecated TJFLAG_FORCE* are left out).</summary>
[Flags]
public enum TJFLAG
{
    /// <summary>No flag: the decompressor's defaults (accurate integer IDCT, smooth "fancy" upsampling), as libjpeg's.</summary>
    None = 0,
    /// <summary>Rows are bottom-up.</summary>
    TJFLAG_BOTTOMUP = 2,
    /// <summary>Nearest-neighbour chroma upsampling instead of smooth upsampling (not libjpeg's default).</summary>
    TJFLAG_FASTUPSAMPLE = 256,
    /// <summary>Compression: never (re)allocate the JPEG buffer.</summary>
    TJFLAG_NOREALLOC = 1024,
    /// <summary>The fast (less accurate) DCT/IDCT.</summary>
    TJFLAG_FASTDCT = 2048,
    /// <summary>The accurate DCT/IDCT (the decompressor's default).</summary>
    TJFLAG_ACCURATEDCT = 4096,
    /// <summary>Stop at the first warning (corrupt or truncated data) instead of finishing with damaged output.</summary>
    TJFLAG_STOPONWARNING = 8192,
    /// <summary>Compression and transforms: progressive entropy coding.</summary>
    TJFLAG_PROGRESSIVE = 16384,
    /// <summary>Refuse progressive JPEGs with an unreasonable number of scans (a denial-of-service guard).</summary>
    TJFLAG_LIMITSCANS = 32768,
}

/// <summary>
/// Raw bindings of libjpeg-turbo's TurboJPEG 2.x API (libturbojpeg.so.0; Debian bookworm's 2.1.5), checked against
/// its turbojpeg.h. A tjhandle is an nint (or a <see cref="TurboJpegDecompressor"/>); <c>unsigned long</c> is 64-bit
/// on Linux x64: nuint. The int-returning calls return 0 or -1; <see cref="Check"/> turns -1 into a
/// <see cref="TurboJpegException"/> with tjGetErrorStr2's text. A handle must not be used by two threads at once.
/// </summary>
public static unsafe partial class TurboJpeg
{
    /// <summary>A new decompressor instance, or 0 on failure (then tjGetErrorStr2(0) says why).</summary>
    [LibraryImport(NativeLibraries.TurboJpeg)]
    public static partial nint tjInitDecompress();

    /// <summary>Reads the JPEG's header: its size, chroma subsampling (<see cref="TJSAMP"/>) and colour space (<see cref="TJCS"/>).</summary>
    [LibraryImport(NativeLibraries.TurboJpeg)]
    public static partial int tjDecompressHeader3(nint handle, byte* jpegBuf, nuint jpegSize, int* width, int* height, int* jpegSubsamp, int* jpegColorspace);

    /// <summary>
    /// Decompresses into dstBuf (pitch bytes a row, 0: width x bytes per pixel). width and height (0: the JPEG's) bound the
    /// output: the library picks the largest scaling factor that fits, so the JPEG's own size decodes unscaled.
    /// Returns -1 on a fatal error and, in 2.x, also after a warning (corrupt data; the output is then damaged).
    /// </summary>
    [LibraryImport(NativeLibraries.TurboJpeg)]
    public static partial int tjDecompress2(nint handle, byte* jpegBuf, nuint jpegSize, byte* dstBuf, int width, int pitch, int height, TJPF pixelFormat, TJFLAG flags);

    /// <summary>Frees an instance.</summary>
    [LibraryImport(NativeLibraries.TurboJpeg)]
    public static partial int tjDestroy(nint handle);

    /// <summary>The last error's message for this instance (handle 0: the last global error, e.g. of tjInitDecompress).</summary>
    [LibraryImport(NativeLibraries.TurboJpeg)]
    public static partial byte* tjGetErrorStr2(nint handle);

    /// <summary>The last error's severity for this instance (<see cref="TJERR"/>).</summary>
    [LibraryImport(NativeLibraries.TurboJpeg)]
    public static partial TJERR tjGetErrorCode(nint handle);

    /// <summary>Throws <see cref="TurboJpegException"/> (with tjGetErrorStr2's text and tjGetErrorCode's severity) unless status is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(int status, nint handle,
        [CallerArgumentExpression(nameof(status))] string call = "",
        [CallerFilePath] string file = "",
        [CallerLineNumber] int line = 0)
    {
        if (status != 0) Throw(status, handle, call, file, line);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(int status, nint handle, string call, string file, int line) =>
        throw new TurboJpegException(status, call, handle == 0 ? TJERR.TJERR_FATAL : tjGetErrorCode(handle), ErrorText(handle), file, line);

    /// <summary>tjGetErrorStr2's message for the instance (0: the global one), trimmed; "" if none.</summary>
    public static string ErrorText(nint handle) => Marshal.PtrToStringUTF8((nint)tjGetErrorStr2(handle))?.Trim() ?? "";

    /// <summary>
    /// Whether the TurboJPEG 2.x API can be called: libturbojpeg is found and exports tjGetErrorCode (2.0 and later;
    /// 1.x lacks the per-instance error calls).
    /// </summary>
    public static bool IsAvailable
    {
        get
        {
            var load = NativeLibraries.Load(NativeLibraries.TurboJpeg);
            return load.Found && NativeLibrary.TryGetExport(load.Handle, "tjGetErrorCode", out _)
                && NativeLibrary.TryGetExport(load.Handle, "tjDecompressHeader3", out _);
        }
    }
}

/// <summary>A TurboJPEG call failed; the message names the call, the severity and the library's text, and the file and line.</summary>
public sealed class TurboJpegException : NativeCallException
{
    /// <summary>Builds the exception for a failed TurboJPEG call.</summary>
    public TurboJpegException(int status, string call, TJERR severity, string errorText, string file, int line)
        : base(NativeLibraries.TurboJpeg, call, status, severity.ToString(), string.IsNullOrEmpty(errorText) ? "(no message)" : errorText, file, line)
    {
        Severity = severity;
        ErrorText = errorText;
    }

    /// <summary>tjGetErrorCode at the time of the failure: a warning (damaged data, output incomplete) or a fatal error.</summary>
    public TJERR Severity { get; }

    /// <summary>tjGetErrorStr2's message.</summary>
    public string ErrorText { get; }
}

/// <summary>A TurboJPEG decompressor instance (tjhandle from tjInitDecompress); disposing destroys it (tjDestroy). Not thread-safe.</summary>
public sealed unsafe class TurboJpegDecompressor : SafeHandleZeroOrMinusOneIsInvalid
{
    private TurboJpegDecompressor() : base(ownsHandle: true) { }

    /// <summary>The tjhandle.</summary>
    public nint Handle => handle;

    /// <summary>A new instance; a <see cref="TurboJpegException"/> if the library cannot make one.</summary>
    public static TurboJpegDecompressor Create()
    {
        var h = TurboJpeg.tjInitDecompress();
        if (h == 0)
            throw new TurboJpegException(-1, "TurboJpeg.tjInitDecompress()", TJERR.TJERR_FATAL, TurboJpeg.ErrorText(0), "TurboJpeg.cs", 0);
        var result = new TurboJpegDecompressor();
        result.SetHandle(h);
        return result;
    }

    /// <summary>The JPEG's width, height, subsampling and colour space (tjDecompressHeader3).</summary>
    public (int Width, int Height, TJSAMP Subsampling, TJCS Colorspace) ReadHeader(ReadOnlySpan<byte> jpeg)
    {
        int w, h, s, c;
        fixed (byte* p = jpeg)
            TurboJpeg.Check(TurboJpeg.tjDecompressHeader3(handle, p, (nuint)jpeg.Length, &w, &h, &s, &c), handle);
        return (w, h, (TJSAMP)s, (TJCS)c);
    }

    /// <summary>
    /// Decompresses <paramref name="jpeg"/> unscaled into <paramref name="destination"/> (width x height pixels of
    /// <paramref name="format"/>, rows packed); a warning is an error here too (tjDecompress2 returns -1 for both).
    /// </summary>
    public void Decompress(ReadOnlySpan<byte> jpeg, Span<byte> destination, int width, int height, TJPF format, TJFLAG flags)
    {
        var bytesPerPixel = format switch
        {
            TJPF.TJPF_RGB or TJPF.TJPF_BGR => 3,
            TJPF.TJPF_GRAY => 1,
            TJPF.TJPF_UNKNOWN => throw new ArgumentOutOfRangeException(nameof(format), format, "not a pixel format"),
            _ => 4,
        };
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var pitch = checked(width * bytesPerPixel);
        if (destination.Length < (long)pitch * height)
            throw new ArgumentException($"{destination.Length} bytes cannot hold {width}x{height} pixels of {format}", nameof(destination));
        fixed (byte* src = jpeg)
        fixed (byte* dst = destination)
            TurboJpeg.Check(TurboJpeg.tjDecompress2(handle, src, (nuint)jpeg.Length, dst, width, pitch, height, format, flags), handle);
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => TurboJpeg.tjDestroy(handle) == 0;
}
