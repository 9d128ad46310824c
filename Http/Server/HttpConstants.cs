using System.Buffers;

namespace CotProxy.Http.Server;

/// <summary>Protocol literals and byte sets of HTTP/1.1 (RFC 9110, RFC 9112).</summary>
internal static class HttpConstants
{
    public const byte CR = (byte)'\r';
    public const byte LF = (byte)'\n';
    public const byte SP = (byte)' ';
    public const byte HTab = (byte)'\t';
    public const byte Colon = (byte)':';

    public static ReadOnlySpan<byte> CrLf => "\r\n"u8;
    public static ReadOnlySpan<byte> Http11 => "HTTP/1.1"u8;
    public static ReadOnlySpan<byte> Http10 => "HTTP/1.0"u8;
    public static ReadOnlySpan<byte> HttpPrefix => "HTTP/"u8;
    public static ReadOnlySpan<byte> Continue100 => "HTTP/1.1 100 Continue\r\n\r\n"u8;
    public static ReadOnlySpan<byte> StatusLine200 => "HTTP/1.1 200 OK\r\n"u8;
    public static ReadOnlySpan<byte> FinalChunk => "0\r\n\r\n"u8;
    public static ReadOnlySpan<byte> Chunked => "chunked"u8;

    // RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    public static readonly SearchValues<byte> TokenChars = SearchValues.Create(
        "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    // RFC 3986 §2: a request target is visible ASCII only (no space, no control, no obs-text).
    public static readonly SearchValues<byte> TargetChars = SearchValues.Create(
        "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"u8);

    // RFC 9110 §5.5: field-vchar = VCHAR / obs-text, plus SP and HTAB inside; CR, LF, NUL and the other controls never.
    public static readonly SearchValues<byte> NotFieldValueBytes = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Where(b => b != HTab).Select(b => (byte)b), 0x7F]);
}
