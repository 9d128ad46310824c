using System.Text.Json;
using System.Text.Unicode;

namespace CotProxy.Filtering;

/// <summary>
/// Pass 1 over one JSON document: checks that it is an object the rewriter can re-encode, and notes
/// each choice's index and whether it finishes in this document (finish_reason comes after the
/// delta, but held text must be released into that delta).
/// </summary>
internal sealed class JsonDocumentScanner : IDisposable
{
    private readonly List<(int Index, bool Finishing)> _elements = [];
    private readonly PooledByteBuffer _scratch = new(0);
    private bool _ollamaDone;

    /// <summary>Per element of "choices", in order: its index and whether its finish_reason is set.</summary>
    public List<(int Index, bool Finishing)> Elements => _elements;

    /// <summary>Ollama native: the document carries "done": true.</summary>
    public bool OllamaDone => _ollamaDone;

    /// <summary>The root has a "response" or "thinking" property (Ollama native /api/generate), which merge mode looks at.</summary>
    public bool RootMayGenerate { get; private set; }

    /// <summary>Array capacity held now (see <see cref="ReleaseIdleBuffers"/>).</summary>
    internal int BufferCapacity => _scratch.Capacity;

    /// <summary>Between documents: the scratch buffer goes back to the pool while it holds nothing.</summary>
    public void ReleaseIdleBuffers() => _scratch.ReleaseIfEmpty();

    public void Dispose() => _scratch.Dispose();

    /// <summary>Pass 1: validates the document and notes each choice's index and whether it finishes here.</summary>
    public bool Scan(ReadOnlySpan<byte> json)
    {
        _elements.Clear();
        _ollamaDone = false;
        RootMayGenerate = false;
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
                {
                    continue;
                }

                Validate(ref reader, _scratch);
                RootMayGenerate |= reader.ValueTextEquals("response"u8) || reader.ValueTextEquals("thinking"u8);

                if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        ScanChoices(ref reader);
                    }
                    else
                    {
                        SkipValidating(ref reader, _scratch);
                    }
                }
                else if (reader.ValueTextEquals("done"u8))
                {
                    reader.Read();
                    // Ollama native streams end with a line carrying "done": true.
                    _ollamaDone = reader.TokenType == JsonTokenType.True;
                }
                else
                {
                    reader.Read();
                    SkipValidating(ref reader, _scratch);
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Skips a value, checking that every string in it can be decoded and re-encoded.</summary>
    internal static void SkipValidating(ref Utf8JsonReader reader, PooledByteBuffer scratch)
    {
        Validate(ref reader, scratch);
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return;
        }

        int depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            Validate(ref reader, scratch);
        }
    }

    /// <summary>
    /// The reader accepts lone surrogate escapes and invalid UTF-8 inside strings, which decoding or
    /// writing would reject: such a document is treated as not JSON and passes untouched.
    /// </summary>
    internal static void Validate(ref Utf8JsonReader reader, PooledByteBuffer scratch)
    {
        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
        {
            return;
        }

        if (!reader.ValueIsEscaped)
        {
            if (!Utf8.IsValid(reader.ValueSpan))
            {
                throw new JsonException("Invalid UTF-8 in a string.");
            }

            return;
        }

        try
        {
            scratch.Clear();
            reader.CopyString(scratch.GetSpan(reader.ValueSpan.Length));
        }
        catch (InvalidOperationException e)
        {
            throw new JsonException("Undecodable escape in a string.", e);
        }
    }

    private void ScanChoices(ref Utf8JsonReader reader)
    {
        int ordinal = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                SkipValidating(ref reader, _scratch);
                _elements.Add((ordinal++, false));
                continue;
            }

            int index = ordinal;
            bool finishing = false;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                Validate(ref reader, _scratch);
                bool isIndex = reader.ValueTextEquals("index"u8);
                bool isFinish = reader.ValueTextEquals("finish_reason"u8);
                reader.Read();
                if (isIndex && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int value))
                {
                    index = value;
                }
                else if (isFinish)
                {
                    finishing = reader.TokenType == JsonTokenType.String;
                }

                SkipValidating(ref reader, _scratch);
            }

            _elements.Add((index, finishing));
            ordinal++;
        }
    }
}
