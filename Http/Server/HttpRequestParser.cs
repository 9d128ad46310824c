using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace CotProxy.Http.Server;

/// <summary>
/// Parses a request head (request line and header fields, RFC 9112 §2–§5) out of a <see cref="SequenceReader{T}"/>.
/// The head is parsed whole once its final empty line has arrived; until then nothing is consumed and the
/// limits are checked on everything buffered so far, so they hold however the bytes were split.
/// </summary>
internal static class HttpRequestParser
{
    /// <summary>Returns false when more bytes are needed. Throws <see cref="HttpRejection"/> on malformed input or a broken limit.</summary>
    public static bool TryParseHead(ref SequenceReader<byte> reader, HttpRequest request, HttpLimits limits)
    {
        // The window a head may occupy: the request line with its CRLF (and any empty lines before it), the header section,
        // and one byte more, which shows a limit broken. Bytes beyond it cannot belong to a head within the limits.
        var unread = reader.UnreadSequence;
        var window = (int)Math.Min(unread.Length, (long)limits.MaxRequestLineBytes + 2 + limits.MaxHeaderBytes + 1);
        var first = unread.FirstSpan;
        var consumed = ParseHead(first.Length >= window ? first[..window] : first, request, limits);
        if (consumed < 0 && first.Length < window)
        {
            // The head goes on past the first pipe segment: parse again from a contiguous copy. A limit broken within the
            // first segment stays broken with more bytes, so only an incomplete head needs the second look.
            var rented = ArrayPool<byte>.Shared.Rent(window);
            try
            {
                unread.Slice(0, window).CopyTo(rented);
                consumed = ParseHead(rented.AsSpan(0, window), request, limits);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        if (consumed < 0)
        {
            return false;
        }

        reader.Advance(consumed);
        return true;
    }

    /// <summary>Parses one whole head from the start of <paramref name="buffer"/>: the bytes it took, or -1 when the head is not complete yet.</summary>
    private static int ParseHead(ReadOnlySpan<byte> buffer, HttpRequest request, HttpLimits limits)
    {
        request.Reset();
        var position = 0;

        while (true)
        {
            // The request line's limit counts the empty lines before it, so a stream of empty lines is not buffered forever.
            var rest = buffer[position..];
            var lf = rest.IndexOf(HttpConstants.LF);
            if ((lf < 0 ? buffer.Length : position + lf) > limits.MaxRequestLineBytes + 1)
            {
                throw HttpRejection.Create(RejectionReason.RequestLineTooLong, limits);
            }

            if (lf < 0)
            {
                return -1;
            }

            position += lf + 1;

            // RFC 9112 §2.2: a server SHOULD ignore at least one empty line received before the request line.
            if (lf == 1 && rest[0] == HttpConstants.CR)
            {
                continue;
            }

            ParseRequestLine(WithoutCr(rest[..lf], RejectionReason.MalformedRequestLine), request);
            break;
        }

        var headerBytes = 0;
        var headerCount = 0;
        var hostCount = 0;
        var transferEncodingSeen = false;
        while (true)
        {
            var rest = buffer[position..];
            var lf = rest.IndexOf(HttpConstants.LF);
            if (lf < 0)
            {
                if (headerBytes + rest.Length > limits.MaxHeaderBytes)
                {
                    throw HttpRejection.Create(RejectionReason.HeadersTooLarge, limits);
                }

                return -1;
            }

            headerBytes += lf + 1;
            if (headerBytes > limits.MaxHeaderBytes)
            {
                throw HttpRejection.Create(RejectionReason.HeadersTooLarge, limits);
            }

            position += lf + 1;
            if (lf == 1 && rest[0] == HttpConstants.CR)
            {
                break;
            }

            if (++headerCount > limits.MaxHeaderCount)
            {
                throw HttpRejection.Create(RejectionReason.TooManyHeaders, limits);
            }

            var kind = ParseHeaderLine(WithoutCr(rest[..lf], RejectionReason.MalformedHeader), request);
            if (kind == HeaderKind.Host)
            {
                hostCount++;
            }
            else if (kind == HeaderKind.TransferEncoding)
            {
                transferEncodingSeen = true;
            }
        }

        FinishHead(request, hostCount, transferEncodingSeen);
        request.MarkHeadParsed();
        return position;
    }

    /// <summary>A line without its final CR; every line must end in CRLF.</summary>
    private static ReadOnlySpan<byte> WithoutCr(ReadOnlySpan<byte> line, RejectionReason reason)
    {
        // A bare LF is rejected (RFC 9112 §2.2 permits it, Kestrel refuses it, and so do we: lenient line endings are a smuggling vector).
        if (line.IsEmpty || line[^1] != HttpConstants.CR)
        {
            throw HttpRejection.Create(reason);
        }

        return line[..^1];
    }

    /// <summary>Parses header fields up to and including the empty line, as for a chunked trailer section; fields are validated and discarded.</summary>
    public static bool TrySkipTrailers(ref SequenceReader<byte> reader, HttpLimits limits, ref int trailerBytes)
    {
        while (true)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, HttpConstants.LF))
            {
                if (trailerBytes + reader.Remaining > limits.MaxHeaderBytes)
                {
                    throw HttpRejection.Create(RejectionReason.HeadersTooLarge, limits);
                }

                return false;
            }

            trailerBytes += (int)Math.Min(line.Length + 1, int.MaxValue / 2);
            if (trailerBytes > limits.MaxHeaderBytes)
            {
                throw HttpRejection.Create(RejectionReason.HeadersTooLarge, limits);
            }

            if (line.Length == 1 && line.FirstSpan[0] == HttpConstants.CR)
            {
                return true;
            }

            ValidateTrailerLine(line);
        }
    }

    private enum HeaderKind
    {
        Other,
        Host,
        TransferEncoding,
    }

    private static void ValidateTrailerLine(in ReadOnlySequence<byte> line)
    {
        if (line.IsSingleSegment)
        {
            ValidateFieldLine(WithoutCr(line.FirstSpan, RejectionReason.MalformedHeader), out _, out _);
            return;
        }

        // The line straddles pipe segments: validate a contiguous copy.
        var length = (int)line.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            line.CopyTo(rented);
            ValidateFieldLine(WithoutCr(rented.AsSpan(0, length), RejectionReason.MalformedHeader), out _, out _);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void ParseRequestLine(ReadOnlySpan<byte> line, HttpRequest request)
    {
        // RFC 9112 §3: request-line = method SP request-target SP HTTP-version, single spaces only.
        var firstSpace = line.IndexOf(HttpConstants.SP);
        if (firstSpace <= 0)
        {
            throw HttpRejection.Create(RejectionReason.MalformedRequestLine);
        }

        var method = line[..firstSpace];
        var rest = line[(firstSpace + 1)..];
        var secondSpace = rest.IndexOf(HttpConstants.SP);
        if (secondSpace <= 0)
        {
            throw HttpRejection.Create(RejectionReason.MalformedRequestLine);
        }

        var target = rest[..secondSpace];
        var version = rest[(secondSpace + 1)..];

        if (method.ContainsAnyExcept(HttpConstants.TokenChars) || target.ContainsAnyExcept(HttpConstants.TargetChars))
        {
            throw HttpRejection.Create(RejectionReason.MalformedRequestLine);
        }

        request.IsHttp11 = ParseVersion(version);
        request.Method = MethodString(method);
        request.Target = TargetString(target, request.Method, request.PreviousTarget);
        request.KeepAlive = request.IsHttp11;
    }

    private static bool ParseVersion(ReadOnlySpan<byte> version)
    {
        if (version.SequenceEqual(HttpConstants.Http11))
        {
            return true;
        }

        if (version.SequenceEqual(HttpConstants.Http10))
        {
            return false;
        }

        // RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT; a well-formed other version gets 505.
        if (version.Length == 8 && version.StartsWith(HttpConstants.HttpPrefix)
            && char.IsAsciiDigit((char)version[5]) && version[6] == (byte)'.' && char.IsAsciiDigit((char)version[7]))
        {
            throw HttpRejection.Create(RejectionReason.UnsupportedHttpVersion);
        }

        throw HttpRejection.Create(RejectionReason.MalformedRequestLine);
    }

    private static string MethodString(ReadOnlySpan<byte> method) => method switch
    {
        _ when method.SequenceEqual("GET"u8) => "GET",
        _ when method.SequenceEqual("POST"u8) => "POST",
        _ when method.SequenceEqual("HEAD"u8) => "HEAD",
        _ when method.SequenceEqual("PUT"u8) => "PUT",
        _ when method.SequenceEqual("DELETE"u8) => "DELETE",
        _ when method.SequenceEqual("OPTIONS"u8) => "OPTIONS",
        _ when method.SequenceEqual("PATCH"u8) => "PATCH",
        _ => Encoding.ASCII.GetString(method),
    };

    private static string TargetString(ReadOnlySpan<byte> target, string method, string previous)
    {
        if (target[0] == (byte)'/')
        {
            // A client sends the same target request after request: the previous request's string is taken again when it
            // is the same (only an origin-form one: the other forms' strings are not their bytes).
            return Latin1Text.EqualsBytes(target, previous) ? previous : Encoding.ASCII.GetString(target);
        }

        // RFC 9112 §3.2.4: asterisk-form is only for OPTIONS.
        if (target.Length == 1 && target[0] == (byte)'*' && method == "OPTIONS")
        {
            return "*";
        }

        // RFC 9112 §3.2.2: a server MUST accept absolute-form; only its path and query are forwarded.
        var schemeEnd = target.IndexOf("://"u8);
        if (schemeEnd > 0 && (Ascii.EqualsIgnoreCase(target[..schemeEnd], "http"u8) || Ascii.EqualsIgnoreCase(target[..schemeEnd], "https"u8)))
        {
            var afterAuthority = target[(schemeEnd + 3)..];
            var pathStart = afterAuthority.IndexOfAny((byte)'/', (byte)'?');
            if (pathStart < 0)
            {
                return "/";
            }

            var pathAndQuery = Encoding.ASCII.GetString(afterAuthority[pathStart..]);
            return pathAndQuery[0] == '?' ? "/" + pathAndQuery : pathAndQuery;
        }

        throw HttpRejection.Create(RejectionReason.MalformedRequestLine);
    }

    private static void ValidateFieldLine(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        // RFC 9112 §5.2: obs-fold (a line starting with whitespace) is rejected.
        // RFC 9112 §5.1: no whitespace is allowed between the field name and the colon.
        var colon = line.IndexOf(HttpConstants.Colon);
        if (colon <= 0)
        {
            throw HttpRejection.Create(RejectionReason.MalformedHeader);
        }

        name = line[..colon];
        if (name.ContainsAnyExcept(HttpConstants.TokenChars))
        {
            throw HttpRejection.Create(RejectionReason.MalformedHeader);
        }

        value = TrimWhitespace(line[(colon + 1)..]);
        if (value.ContainsAny(HttpConstants.NotFieldValueBytes))
        {
            throw HttpRejection.Create(RejectionReason.MalformedHeader);
        }
    }

    /// <summary>The span without leading and trailing SP and HTAB (RFC 9110 §5.6.3, OWS).</summary>
    private static ReadOnlySpan<byte> TrimWhitespace(ReadOnlySpan<byte> span)
    {
        // Nearly every value has no whitespace to trim but the one SP after the colon.
        if (span.Length > 1 && span[0] == HttpConstants.SP && span[1] is not (HttpConstants.SP or HttpConstants.HTab)
            && span[^1] is not (HttpConstants.SP or HttpConstants.HTab))
        {
            return span[1..];
        }

        var start = 0;
        while (start < span.Length && span[start] is HttpConstants.SP or HttpConstants.HTab)
        {
            start++;
        }

        var end = span.Length;
        while (end > start && span[end - 1] is HttpConstants.SP or HttpConstants.HTab)
        {
            end--;
        }

        return span[start..end];
    }

    private static HeaderKind ParseHeaderLine(ReadOnlySpan<byte> line, HttpRequest request)
    {
        ReadOnlySpan<byte> name;
        ReadOnlySpan<byte> value;
        string fieldValue;
        var repeated = IsPreviousField(line, request, out name, out value, out fieldValue);
        if (repeated)
        {
            request.AddPreviousField();
        }
        else
        {
            ValidateFieldLine(line, out name, out value);
            fieldValue = request.AddField(name, value);
        }

        // The fields that frame or route the request, told apart by length first: most fields are none of them.
        switch (name.Length)
        {
            case 4 when IsName(name, "host"u8):
                // RFC 9112 §3.2: a Host field with an invalid value gets 400, as a missing or repeated one does.
                if (!repeated && !HostSyntax.IsValid(value))
                {
                    throw HttpRejection.Create(RejectionReason.InvalidHost);
                }

                request.Host = fieldValue;
                return HeaderKind.Host;
            case 14 when IsName(name, "content-length"u8):
                ApplyContentLength(value, request);
                break;
            case 17 when IsName(name, "transfer-encoding"u8):
                ApplyTransferEncoding(value, request);
                return HeaderKind.TransferEncoding;
            case 10 when IsName(name, "connection"u8):
                request.Connection = request.Connection is null ? fieldValue : request.Connection + ", " + fieldValue;
                ApplyConnection(value, request);
                break;
            case 12 when IsName(name, "content-type"u8):
                request.ContentType ??= fieldValue;
                break;
            case 6 when IsName(name, "expect"u8):
                // RFC 9110 §10.1.1: 100-continue is the only expectation defined; any other gets 417.
                if (!Ascii.EqualsIgnoreCase(value, "100-continue"u8))
                {
                    throw HttpRejection.Create(RejectionReason.UnsupportedExpectation);
                }

                request.ExpectContinue = true;
                break;
        }

        return HeaderKind.Other;
    }

    /// <summary>
    /// Whether <paramref name="line"/> is the field the previous request on the connection had at this place: the same
    /// name and value, byte for byte (only the whitespace around the value may differ, and it is SP or HTAB once trimmed
    /// away). A client repeats its fields request after request, and a repeated line needs neither validating again nor
    /// new strings: every field kept from the previous request passed <see cref="ValidateFieldLine"/> (and, for Host,
    /// <see cref="HostSyntax"/>) or was written by the proxy itself (a form-labelled JSON body's Content-Type; handlers
    /// also take fields out, as X-Thinking, which only moves the later ones up).
    /// </summary>
    private static bool IsPreviousField(ReadOnlySpan<byte> line, HttpRequest request, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value, out string fieldValue)
    {
        if (request.TryGetPreviousField(out var previousName, out fieldValue)
            && line.Length > previousName.Length && line[previousName.Length] == HttpConstants.Colon)
        {
            name = line[..previousName.Length];
            value = TrimWhitespace(line[(previousName.Length + 1)..]);

            if (Latin1Text.EqualsBytes(value, fieldValue) && Latin1Text.EqualsBytes(name, previousName))
            {
                return true;
            }
        }

        name = value = default;
        return false;
    }

    /// <summary>
    /// Whether <paramref name="name"/>, a token (validated, or the same bytes as a field that was), is
    /// <paramref name="lower"/> (lower-case letters and '-', as long as the name) in any letter case. Setting the 0x20
    /// bit folds a letter to lower case and leaves '-' as it is; of the token characters only the letters fold onto a
    /// letter or '-', so eight bytes at a time compare as <c>Ascii.EqualsIgnoreCase</c> would, without its general path.
    /// </summary>
    private static bool IsName(ReadOnlySpan<byte> name, ReadOnlySpan<byte> lower)
    {
        ref var n = ref MemoryMarshal.GetReference(name);
        ref var l = ref MemoryMarshal.GetReference(lower);
        var length = name.Length;
        if (length < 8)
        {
            // 4 to 7 bytes: two blocks of four, the second overlapping the first.
            const uint Fold4 = 0x20202020;
            return (Unsafe.ReadUnaligned<uint>(ref n) | Fold4) == Unsafe.ReadUnaligned<uint>(ref l)
                && (Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref n, length - 4)) | Fold4) == Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref l, length - 4));
        }

        const ulong Fold8 = 0x2020202020202020;
        for (var i = 0; i < length - 8; i += 8)
        {
            if ((Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref n, i)) | Fold8) != Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref l, i)))
            {
                return false;
            }
        }

        return (Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref n, length - 8)) | Fold8) == Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref l, length - 8));
    }

    private static void ApplyContentLength(ReadOnlySpan<byte> value, HttpRequest request)
    {
        // One number, as nearly every request sends (the value is already trimmed): no list to split.
        if (value.IndexOf((byte)',') < 0)
        {
            if (!AsciiParsing.TryParseDecimal(value, out var single))
            {
                throw HttpRejection.Create(RejectionReason.InvalidContentLength);
            }

            if (request.ContentLength >= 0 && request.ContentLength != single)
            {
                throw HttpRejection.Create(RejectionReason.ConflictingContentLength);
            }

            request.ContentLength = single;
            return;
        }

        // RFC 9110 §8.6: a list of identical values may be taken as that one value; differing values are an error.
        foreach (var range in value.Split((byte)','))
        {
            var element = TrimWhitespace(value[range]);
            if (!AsciiParsing.TryParseDecimal(element, out var length))
            {
                throw HttpRejection.Create(RejectionReason.InvalidContentLength);
            }

            if (request.ContentLength >= 0 && request.ContentLength != length)
            {
                throw HttpRejection.Create(RejectionReason.ConflictingContentLength);
            }

            request.ContentLength = length;
        }
    }

    private static void ApplyTransferEncoding(ReadOnlySpan<byte> value, HttpRequest request)
    {
        // RFC 9112 §6.1: chunked must be the final coding; we accept chunked alone, exactly once, and refuse every other coding.
        foreach (var range in value.Split((byte)','))
        {
            var element = TrimWhitespace(value[range]);
            if (request.IsChunked || !Ascii.EqualsIgnoreCase(element, HttpConstants.Chunked))
            {
                throw HttpRejection.Create(RejectionReason.UnsupportedTransferEncoding);
            }

            request.IsChunked = true;
        }
    }

    private static void ApplyConnection(ReadOnlySpan<byte> value, HttpRequest request)
    {
        // RFC 9112 §9.3: "close" ends the connection after this response; HTTP/1.0 keeps it only with "keep-alive".
        foreach (var range in value.Split((byte)','))
        {
            var option = TrimWhitespace(value[range]);
            if (Ascii.EqualsIgnoreCase(option, "close"u8))
            {
                request.KeepAlive = false;
                request.ConnectionClose = true;
            }
            else if (Ascii.EqualsIgnoreCase(option, "keep-alive"u8) && !request.ConnectionClose)
            {
                request.KeepAlive = true;
            }
        }
    }

    private static void FinishHead(HttpRequest request, int hostCount, bool transferEncodingSeen)
    {
        // RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host field gets 400.
        if (hostCount > 1 || (request.IsHttp11 && hostCount == 0))
        {
            throw HttpRejection.Create(RejectionReason.MissingOrDuplicateHost);
        }

        if (transferEncodingSeen)
        {
            // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
            if (!request.IsHttp11)
            {
                throw HttpRejection.Create(RejectionReason.UnsupportedTransferEncoding);
            }

            // RFC 9112 §6.3: both Content-Length and Transfer-Encoding may be a smuggling attempt; refuse it.
            if (request.ContentLength >= 0)
            {
                throw HttpRejection.Create(RejectionReason.ContentLengthWithTransferEncoding);
            }
        }

        if (request.ConnectionClose)
        {
            request.KeepAlive = false;
        }
    }
}
