using System.Buffers;

namespace CotProxy.Filtering;

/// <summary>application/x-ndjson (Ollama native /api/chat and /api/generate): one JSON object per line.</summary>
internal sealed class NdjsonResponseRewriter : IResponseRewriter
{
    private readonly JsonPayloadRewriter _json;
    private readonly PooledByteBuffer _line = new(4096);
    private readonly PooledByteBuffer _rewritten = new(4096);
    private readonly int _maxLineBytes;
    private bool _passthrough;

    public NdjsonResponseRewriter(ResponseRewriteOptions options, int maxLineBytes)
    {
        _json = new JsonPayloadRewriter(options, streaming: true);
        _maxLineBytes = maxLineBytes;
    }

    public void Write(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        if (_passthrough)
        {
            output.Write(input);
            return;
        }

        while (!input.IsEmpty)
        {
            int end = input.IndexOf((byte)'\n');
            if (end < 0)
            {
                _line.Append(input);
                if (_line.Length > _maxLineBytes)
                {
                    // One line larger than the limit: give up filtering rather than buffer without bound.
                    output.Write(_line.WrittenSpan);
                    _line.Clear();
                    _passthrough = true;
                }

                return;
            }

            if (_line.Length == 0)
            {
                HandleLine(input[..(end + 1)], output);
            }
            else
            {
                _line.Append(input[..(end + 1)]);
                HandleLine(_line.WrittenSpan, output);
                _line.Clear();
            }

            input = input[(end + 1)..];
        }
    }

    public void Complete(IBufferWriter<byte> output)
    {
        bool unterminated = false;
        if (!_passthrough && _line.Length > 0)
        {
            HandleLine(_line.WrittenSpan, output);
            _line.Clear();
            unterminated = true;
        }

        if (!_passthrough && _json.TryWriteLeftovers(_rewritten))
        {
            if (unterminated)
            {
                output.Write("\n"u8);
            }

            output.Write(_rewritten.WrittenSpan);
            output.Write("\n"u8);
        }
    }

    public bool TryWriteKeepAlive(IBufferWriter<byte> output) => false;

    public void Dispose()
    {
        _json.Dispose();
        _line.Dispose();
        _rewritten.Dispose();
    }

    /// <summary>One line with its terminator (LF or CRLF; none for a trailing line).</summary>
    private void HandleLine(ReadOnlySpan<byte> raw, IBufferWriter<byte> output)
    {
        ReadOnlySpan<byte> json = raw;
        int contentLength = json.Length;
        if (contentLength > 0 && json[contentLength - 1] == (byte)'\n')
        {
            contentLength--;
        }

        if (contentLength > 0 && json[contentLength - 1] == (byte)'\r')
        {
            contentLength--;
        }

        json = json[..contentLength];
        if (json.Trim(" \t\r"u8).IsEmpty)
        {
            output.Write(raw);
            return;
        }

        switch (_json.Rewrite(json, _rewritten))
        {
            case JsonRewriteResult.Unchanged:
                output.Write(raw);
                break;
            case JsonRewriteResult.Rewritten:
                output.Write(_rewritten.WrittenSpan);
                output.Write(raw[contentLength..]);
                break;
        }
    }
}
