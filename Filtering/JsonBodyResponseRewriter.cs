using System.Buffers;

namespace CotProxy.Filtering;

/// <summary>application/json: buffers the whole body (up to a limit) and rewrites it per choice.</summary>
internal sealed class JsonBodyResponseRewriter : IResponseRewriter
{
    private readonly JsonPayloadRewriter _json;
    private readonly PooledByteBuffer _body = new(4096);
    private readonly PooledByteBuffer _rewritten = new(4096);
    private readonly int _maxBufferedBytes;
    private bool _passthrough;

    public JsonBodyResponseRewriter(ResponseRewriteOptions options, int maxBufferedBytes)
    {
        _json = new JsonPayloadRewriter(options, streaming: false);
        _maxBufferedBytes = maxBufferedBytes;
    }

    public void Write(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        if (_passthrough)
        {
            output.Write(input);
            return;
        }

        if (_body.Length + input.Length > _maxBufferedBytes)
        {
            // Larger than the limit: what is buffered and the rest pass through untouched.
            output.Write(_body.WrittenSpan);
            output.Write(input);
            _body.Clear();
            _passthrough = true;
            return;
        }

        _body.Append(input);
    }

    public void Complete(IBufferWriter<byte> output)
    {
        if (_passthrough)
        {
            return;
        }

        ReadOnlySpan<byte> body = _body.WrittenSpan;
        if (_json.Rewrite(body, _rewritten) == JsonRewriteResult.Rewritten)
        {
            output.Write(_rewritten.WrittenSpan);
            // Keep trailing whitespace as it came (Ollama ends its JSON bodies with a newline).
            int end = body.Length;
            while (end > 0 && body[end - 1] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                end--;
            }

            output.Write(body[end..]);
        }
        else
        {
            output.Write(body);
        }

        _body.Clear();
    }

    public bool TryWriteKeepAlive(IBufferWriter<byte> output) => false;

    public void Dispose()
    {
        _json.Dispose();
        _body.Dispose();
        _rewritten.Dispose();
    }
}
