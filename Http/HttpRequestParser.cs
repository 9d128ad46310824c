using System.Buffers;
using System.Text;

namespace CotProxy.Http;

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
        request.Reset();
        var headerBytes = 0;
        var headerCount = 0;
        var sawRequestLine = false;
        var hostCount = 0;
        var transferEncodingSeen = false;

        while (true)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, HttpConstants.LF))
            {
                var limit = sawRequestLine ? limits.MaxHeaderBytes - headerBytes : limits.MaxRequestLineBytes + 1;
                if (reader.Remaining > limit)
                {
                    throw HttpRejection.Create(sawRequestLine ? RejectionReason.HeadersTooLarge : RejectionReason.RequestLineTooLong);
                }

                return false;
            }

            if (!sawRequestLine)
            {
                if (line.Length > limits.MaxRequestLineBytes + 1)
                {
                    throw HttpRejection.Create(RejectionReason.RequestLineTooLong);
                }

                // RFC 9112 §2.2: a server SHOULD ignore at least one empty line received before the request line.
                if (line.Length == 1 && line.FirstSpan[0] == HttpConstants.CR)
                {
                    continue;
                }

                WithContiguous(line, request, static (span, req) => ParseRequestLine(span, req));
                sawRequestLine = true;
                continue;
            }

            headerBytes += (int)Math.Min(line.Length + 1, int.MaxValue / 2);
            if (headerBytes > limits.MaxHeaderBytes)
            {
                throw HttpRejection.Create(RejectionReason.HeadersTooLarge);
            }

            if (line.Length == 1 && line.FirstSpan[0] == HttpConstants.CR)
            {
                break;
            }

            if (++headerCount > limits.MaxHeaderCount)
            {
                throw HttpRejection.Create(RejectionReason.TooManyHeaders);
            }

            var kind = WithContiguous(line, request, static (span, req) => ParseHeaderLine(span, req));
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
        return true;
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
                    throw HttpRejection.Create(RejectionReason.HeadersTooLarge);
                }

                return false;
            }

            trailerBytes += (int)Math.Min(line.Length + 1, int.MaxValue / 2);
            if (trailerBytes > limits.MaxHeaderBytes)
            {
                throw HttpRejection.Create(RejectionReason.HeadersTooLarge);
            }

            if (line.Length == 1 && line.FirstSpan[0] == HttpConstants.CR)
            {
                return true;
            }

            WithContiguous(line, null, static (span, request) =>
            {
                ValidateFieldLine(span, out _, out _);
                return HeaderKind.Other;
            });
        }
    }

    private enum HeaderKind
    {
        Other,
        Host,
        TransferEncoding,
    }

    private delegate T SpanFunc<T>(ReadOnlySpan<byte> span, HttpRequest? request);

    private static T WithContiguous<T>(in ReadOnlySequence<byte> line, HttpRequest? request, SpanFunc<T> parse)
    {
        // Every line must end in CRLF: a bare LF is rejected (RFC 9112 §2.2 permits it, Kestrel refuses it, and so do we: lenient line endings are a smuggling vector).
        if (line.IsSingleSegment)
        {
            var span = line.FirstSpan;
            if (span.IsEmpty || span[^1] != HttpConstants.CR)
            {
                throw HttpRejection.Create(request is null || request.Method.Length > 0 ? RejectionReason.MalformedHeader : RejectionReason.MalformedRequestLine);
            }

            return parse(span[..^1], request);
        }

        var length = (int)line.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            line.CopyTo(rented);
            if (rented[length - 1] != HttpConstants.CR)
            {
                throw HttpRejection.Create(request is null || request.Method.Length > 0 ? RejectionReason.MalformedHeader : RejectionReason.MalformedRequestLine);
            }

            return parse(rented.AsSpan(0, length - 1), request);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool ParseRequestLine(ReadOnlySpan<byte> line, HttpRequest? request)
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

        request!.IsHttp11 = ParseVersion(version);
        request.Method = MethodString(method);
        request.Target = TargetString(target, request.Method);
        request.KeepAlive = request.IsHttp11;
        return true;
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

    private static string TargetString(ReadOnlySpan<byte> target, string method)
    {
        if (target[0] == (byte)'/')
        {
            return Encoding.ASCII.GetString(target);
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

        value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in value)
        {
            if (!HttpConstants.IsFieldValueByte(b))
            {
                throw HttpRejection.Create(RejectionReason.MalformedHeader);
            }
        }
    }

    private static HeaderKind ParseHeaderLine(ReadOnlySpan<byte> line, HttpRequest? request)
    {
        ValidateFieldLine(line, out var name, out var value);
        var kind = HeaderKind.Other;

        if (Ascii.EqualsIgnoreCase(name, "host"u8))
        {
            kind = HeaderKind.Host;
            request!.Host = Encoding.Latin1.GetString(value);
        }
        else if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
        {
            ApplyContentLength(value, request!);
        }
        else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
        {
            kind = HeaderKind.TransferEncoding;
            ApplyTransferEncoding(value, request!);
        }
        else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
        {
            ApplyConnection(value, request!);
        }
        else if (Ascii.EqualsIgnoreCase(name, "expect"u8))
        {
            // RFC 9110 §10.1.1: 100-continue is the only expectation defined; any other gets 417.
            if (!Ascii.EqualsIgnoreCase(value, "100-continue"u8))
            {
                throw HttpRejection.Create(RejectionReason.UnsupportedExpectation);
            }

            request!.ExpectContinue = true;
        }

        request!.Headers.Add(new(HeaderNames.Intern(name), Encoding.Latin1.GetString(value)));
        return kind;
    }

    private static void ApplyContentLength(ReadOnlySpan<byte> value, HttpRequest request)
    {
        // RFC 9110 §8.6: a list of identical values may be taken as that one value; differing values are an error.
        foreach (var range in value.Split((byte)','))
        {
            var element = value[range].Trim(" \t"u8);
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
            var element = value[range].Trim(" \t"u8);
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
            var option = value[range].Trim(" \t"u8);
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
