using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Rewrites one JSON document (an SSE event's data, an NDJSON line or a whole body): filters the
/// answer fields of each choice, removes or keeps upstream-separated reasoning, renames the model.
/// In streaming mode the per-choice state carries over between documents.
/// </summary>
internal sealed class JsonPayloadRewriter : IDisposable
{
    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private readonly ResponseRewriteOptions _options;
    private readonly bool _streaming;
    private readonly List<ChoiceFilterState> _choices = [];
    private readonly JsonDocumentScanner _scanner = new();
    private readonly PooledByteBuffer _fieldOut = new();
    private readonly PooledByteBuffer _scratch = new();
    private readonly PooledByteBuffer _escaped = new();
    private readonly PooledByteBuffer _thinkRoot = new();
    private readonly PooledByteBuffer _thinkChoice = new();
    private readonly PooledByteBuffer _thinkContainer = new();
    private readonly ThinkTagStripper? _wholeStripper;
    private Utf8JsonWriter? _writer;
    private bool _changed;
    private bool _payload;
    private bool _visible;
    private bool _removed;

    public JsonPayloadRewriter(ResponseRewriteOptions options, bool streaming)
    {
        _options = options;
        _streaming = streaming;
        if (options.FiltersThinking)
        {
            _wholeStripper = new ThinkTagStripper(options.StartTagUtf8, options.EndTagUtf8, options.StartsOpen);
        }
    }

    private bool Filters => _options.FiltersThinking;

    private bool Splits => _options.Mode == ThinkMode.Split;

    /// <summary>True while any unfinished choice is inside thinking the client does not see.</summary>
    public bool InHiddenThought
    {
        get
        {
            foreach (ChoiceFilterState choice in _choices)
            {
                if (choice.InHiddenThought(_options.Mode))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Rewrites <paramref name="json"/>; when the result is Rewritten the new document is in <paramref name="output"/>.</summary>
    public JsonRewriteResult Rewrite(ReadOnlySpan<byte> json, PooledByteBuffer output)
    {
        if (!_scanner.Scan(json))
        {
            // Not a JSON object (a "[DONE]", a plain-text error, a truncated line): passes untouched.
            return JsonRewriteResult.Unchanged;
        }

        _changed = false;
        _payload = false;
        _visible = false;
        _removed = false;
        output.Clear();
        Utf8JsonWriter writer = _writer ??= new Utf8JsonWriter(output, s_writerOptions);
        writer.Reset(output);
        var reader = new Utf8JsonReader(json);
        reader.Read();
        WriteRoot(ref reader, writer);
        writer.Flush();
        if (!_changed)
        {
            return JsonRewriteResult.Unchanged;
        }

        return _streaming && _removed && !_payload && !_visible ? JsonRewriteResult.Dropped : JsonRewriteResult.Rewritten;
    }

    /// <summary>
    /// Stream ended without a finish_reason: completes every unfinished choice and writes one JSON
    /// document carrying the released text. Returns false when nothing was held.
    /// </summary>
    public bool TryWriteLeftovers(PooledByteBuffer output)
    {
        output.Clear();
        Utf8JsonWriter writer = _writer ??= new Utf8JsonWriter(output, s_writerOptions);
        writer.Reset(output);
        bool any = false;
        bool ollama = false;
        bool ollamaResponse = false;
        foreach (ChoiceFilterState choice in _choices)
        {
            if (choice.Finished)
            {
                continue;
            }

            choice.Finished = true;
            if (choice.Index == ChoiceFilterState.OllamaIndex)
            {
                ollama = true;
                ollamaResponse = choice.OllamaUsesResponse;
            }

            _thinkContainer.Clear();
            _fieldOut.Clear();
            _scratch.Clear();
            if (choice.HasContent)
            {
                choice.Content.Complete(_fieldOut, ThinkingSink(_thinkContainer));
            }

            if (choice.HasText)
            {
                choice.Text.Complete(_scratch, ThinkingSink(_thinkContainer));
            }

            if (_fieldOut.Length == 0 && _scratch.Length == 0 && _thinkContainer.Length == 0)
            {
                continue;
            }

            if (!any)
            {
                writer.WriteStartObject();
                if (!ollama)
                {
                    writer.WriteStartArray("choices"u8);
                }
            }

            any = true;
            if (ollama)
            {
                if (!ollamaResponse)
                {
                    writer.WriteStartObject("message"u8);
                    writer.WriteString("role"u8, "assistant"u8);
                }

                writer.WritePropertyName(ollamaResponse ? "response"u8 : "content"u8);
                WriteText(writer, _fieldOut.WrittenSpan);
                if (_thinkContainer.Length > 0)
                {
                    writer.WritePropertyName("thinking"u8);
                    WriteText(writer, _thinkContainer.WrittenSpan);
                }

                if (!ollamaResponse)
                {
                    writer.WriteEndObject();
                }

                writer.WriteBoolean("done"u8, false);
                break;
            }

            writer.WriteStartObject();
            writer.WriteNumber("index"u8, choice.Index);
            writer.WriteStartObject("delta"u8);
            writer.WritePropertyName("content"u8);
            WriteText(writer, _fieldOut.WrittenSpan);
            if (_thinkContainer.Length > 0)
            {
                writer.WritePropertyName(_options.ReasoningFieldUtf8);
                WriteText(writer, _thinkContainer.WrittenSpan);
            }

            writer.WriteEndObject();
            if (_scratch.Length > 0)
            {
                writer.WritePropertyName("text"u8);
                WriteText(writer, _scratch.WrittenSpan);
            }

            writer.WriteNull("finish_reason"u8);
            writer.WriteEndObject();
        }

        if (any)
        {
            if (!ollama)
            {
                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        writer.Flush();
        return any;
    }

    public void Dispose()
    {
        foreach (ChoiceFilterState choice in _choices)
        {
            choice.Dispose();
        }

        _choices.Clear();
        _writer?.Dispose();
        _wholeStripper?.Dispose();
        _fieldOut.Dispose();
        _scratch.Dispose();
        _scanner.Dispose();
        _escaped.Dispose();
        _thinkRoot.Dispose();
        _thinkChoice.Dispose();
        _thinkContainer.Dispose();
    }

    private void WriteRoot(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        _thinkRoot.Clear();
        ChoiceFilterState? ollama = null;
        bool sawResponse = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("model"u8) && _options.ClientModelNameUtf8 is { } model)
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    if (!reader.ValueIsEscaped && reader.ValueSpan.SequenceEqual(model))
                    {
                        WritePropertyNameAndCopy(ref reader, writer, "model"u8);
                    }
                    else
                    {
                        writer.WritePropertyName("model"u8);
                        WriteText(writer, model);
                        _changed = true;
                    }

                    continue;
                }

                WritePropertyNameAndCopy(ref reader, writer, "model"u8);
                continue;
            }

            if (!Filters)
            {
                CopyProperty(ref reader, writer);
                continue;
            }

            if (reader.ValueTextEquals("choices"u8))
            {
                CopyPropertyName(ref reader, writer);
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    WriteChoices(ref reader, writer);
                }
                else
                {
                    JsonTokenCopier.CopyValue(ref reader, writer);
                }

                continue;
            }

            if (reader.ValueTextEquals("message"u8))
            {
                // Ollama native /api/chat: { "message": { "role", "content", "thinking" }, "done" }.
                CopyPropertyName(ref reader, writer);
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ollama ??= GetChoice(ChoiceFilterState.OllamaIndex);
                    WriteContainer(ref reader, writer, ollama, _scanner.OllamaDone, "thinking"u8);
                }
                else
                {
                    JsonTokenCopier.CopyValue(ref reader, writer);
                }

                continue;
            }

            if (reader.ValueTextEquals("response"u8))
            {
                // Ollama native /api/generate streams the answer in a root "response" string.
                CopyPropertyName(ref reader, writer);
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    ollama ??= GetChoice(ChoiceFilterState.OllamaIndex);
                    ollama.OllamaUsesResponse = true;
                    sawResponse = true;
                    FilterString(ref reader, writer, ollama.Content, _scanner.OllamaDone, _thinkRoot);
                }
                else
                {
                    JsonTokenCopier.CopyValue(ref reader, writer);
                }

                continue;
            }

            if (reader.ValueTextEquals("thinking"u8) && !Splits)
            {
                // Ollama native /api/generate separates reasoning into a root "thinking" string.
                SkipProperty(ref reader, writer);
                continue;
            }

            if (reader.ValueTextEquals("usage"u8) || reader.ValueTextEquals("error"u8))
            {
                CopyPropertyName(ref reader, writer);
                reader.Read();
                _payload |= reader.TokenType != JsonTokenType.Null;
                JsonTokenCopier.CopyValue(ref reader, writer);
                continue;
            }

            if (reader.ValueTextEquals("done"u8))
            {
                CopyPropertyName(ref reader, writer);
                reader.Read();
                _payload |= reader.TokenType == JsonTokenType.True;
                JsonTokenCopier.CopyValue(ref reader, writer);
                continue;
            }

            CopyProperty(ref reader, writer);
        }

        if (ollama is not null && _scanner.OllamaDone)
        {
            ollama.Finished = true;
        }

        if (sawResponse && _thinkRoot.Length > 0)
        {
            writer.WritePropertyName("thinking"u8);
            WriteText(writer, _thinkRoot.WrittenSpan);
            _visible = true;
        }

        writer.WriteEndObject();
    }

    private void WriteChoices(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        writer.WriteStartArray();
        int ordinal = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                JsonTokenCopier.CopyValue(ref reader, writer);
                ordinal++;
                continue;
            }

            (int index, bool finishing) = _scanner.Elements[ordinal++];
            ChoiceFilterState choice = GetChoice(index);
            WriteChoice(ref reader, writer, choice, finishing);
            if (finishing && _streaming)
            {
                choice.Finished = true;
            }
        }

        writer.WriteEndArray();
    }

    private void WriteChoice(ref Utf8JsonReader reader, Utf8JsonWriter writer, ChoiceFilterState choice, bool finishing)
    {
        writer.WriteStartObject();
        _thinkChoice.Clear();
        bool sawText = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("delta"u8) || reader.ValueTextEquals("message"u8))
            {
                // Inside a stream, message.content is cumulative (Perplexity repeats it in every chunk):
                // each occurrence is filtered as a whole text.
                bool cumulative = reader.ValueTextEquals("message"u8);
                CopyPropertyName(ref reader, writer);
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    WriteContainer(ref reader, writer, cumulative ? null : choice, finishing, _options.ReasoningFieldUtf8);
                }
                else
                {
                    JsonTokenCopier.CopyValue(ref reader, writer);
                }

                continue;
            }

            if (reader.ValueTextEquals("text"u8))
            {
                CopyPropertyName(ref reader, writer);
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    sawText = true;
                    FilterString(ref reader, writer, _streaming ? choice.Text : null, finishing, _thinkChoice);
                }
                else
                {
                    JsonTokenCopier.CopyValue(ref reader, writer);
                }

                continue;
            }

            if (reader.ValueTextEquals("finish_reason"u8))
            {
                CopyPropertyName(ref reader, writer);
                reader.Read();
                _payload |= reader.TokenType != JsonTokenType.Null;
                JsonTokenCopier.CopyValue(ref reader, writer);
                continue;
            }

            CopyProperty(ref reader, writer);
        }

        if (finishing && _streaming && !sawText && choice.HasText)
        {
            WriteReleased(writer, choice.Text, "text"u8, _thinkChoice);
        }

        if (_thinkChoice.Length > 0)
        {
            writer.WritePropertyName(_options.ReasoningFieldUtf8);
            WriteText(writer, _thinkChoice.WrittenSpan);
            _visible = true;
        }

        writer.WriteEndObject();
    }

    /// <summary>A delta or message object: filters "content", strips or keeps separated reasoning.</summary>
    private void WriteContainer(ref Utf8JsonReader reader, Utf8JsonWriter writer, ChoiceFilterState? choice, bool finishing, ReadOnlySpan<byte> thinkingName)
    {
        writer.WriteStartObject();
        _thinkContainer.Clear();
        bool sawContent = false;
        bool ollama = choice?.Index == ChoiceFilterState.OllamaIndex;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("content"u8))
            {
                CopyPropertyName(ref reader, writer);
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    sawContent = true;
                    FilterString(ref reader, writer, _streaming ? choice?.Content : null, finishing, _thinkContainer);
                }
                else
                {
                    JsonTokenCopier.CopyValue(ref reader, writer);
                }

                continue;
            }

            bool reasoning = ollama
                ? reader.ValueTextEquals("thinking"u8)
                : reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("reasoning"u8)
                    || reader.ValueTextEquals("reasoning_details"u8);
            if (reasoning && !Splits)
            {
                // Strip mode: reasoning the upstream already separated (DeepSeek, llama.cpp, vLLM
                // reasoning_content; Ollama /v1 and Groq reasoning; OpenRouter reasoning_details;
                // Ollama native thinking) is removed too.
                SkipProperty(ref reader, writer);
                continue;
            }

            if (reader.ValueTextEquals("role"u8) || reader.ValueTextEquals("tool_calls"u8)
                || reader.ValueTextEquals("function_call"u8) || reader.ValueTextEquals("refusal"u8))
            {
                Utf8JsonReader name = reader;
                CopyPropertyName(ref reader, writer);
                reader.Read();
                if (reader.TokenType != JsonTokenType.Null)
                {
                    // The role is payload of its own only the first time: Ollama (/v1 and native) repeats it
                    // in every chunk, which would otherwise keep every emptied thinking event alive.
                    bool isRole = reader.TokenType == JsonTokenType.String && name.ValueTextEquals("role"u8);
                    _payload |= !isRole || (choice is not null && !ollama && !choice.RoleSeen);
                    if (isRole && choice is not null)
                    {
                        choice.RoleSeen = true;
                    }
                }

                JsonTokenCopier.CopyValue(ref reader, writer);
                continue;
            }

            CopyProperty(ref reader, writer);
        }

        if (finishing && _streaming && !sawContent && choice is not null && choice.HasContent)
        {
            WriteReleased(writer, choice.Content, "content"u8, _thinkContainer);
        }

        if (_thinkContainer.Length > 0)
        {
            writer.WritePropertyName(thinkingName);
            WriteText(writer, _thinkContainer.WrittenSpan);
            _visible = true;
        }

        writer.WriteEndObject();
    }

    /// <summary>The choice finishes in an event without that field: held text goes into a new one.</summary>
    private void WriteReleased(Utf8JsonWriter writer, ThinkTagStripper stripper, ReadOnlySpan<byte> name, PooledByteBuffer thinking)
    {
        _fieldOut.Clear();
        stripper.Complete(_fieldOut, ThinkingSink(thinking));
        if (_fieldOut.Length > 0)
        {
            writer.WritePropertyName(name);
            WriteText(writer, _fieldOut.WrittenSpan);
            _changed = true;
            _visible = true;
        }

        _changed |= thinking.Length > 0;
    }

    /// <summary>Filters one string value; <paramref name="stripper"/> null means the value is a whole text.</summary>
    private void FilterString(ref Utf8JsonReader reader, Utf8JsonWriter writer, ThinkTagStripper? stripper, bool finishing, PooledByteBuffer thinking)
    {
        ReadOnlySpan<byte> text = Decode(ref reader);
        _fieldOut.Clear();
        int thinkingBefore = thinking.Length;
        IBufferWriter<byte>? sink = ThinkingSink(thinking);
        if (stripper is null)
        {
            ThinkTagStripper whole = _wholeStripper!;
            whole.Reset();
            whole.Process(text, _fieldOut, sink);
            whole.Complete(_fieldOut, sink);
        }
        else
        {
            stripper.Process(text, _fieldOut, sink);
            if (finishing)
            {
                stripper.Complete(_fieldOut, sink);
            }
        }

        ReadOnlySpan<byte> result = _fieldOut.WrittenSpan;
        if (result.Length > 0)
        {
            _visible = true;
        }

        if (result.SequenceEqual(text) && thinking.Length == thinkingBefore)
        {
            JsonTokenCopier.CopyValue(ref reader, writer);
            return;
        }

        _changed = true;
        _removed = true;
        WriteText(writer, result);
    }

    /// <summary>Writes text as a JSON string with minimal escaping, so non-ASCII text stays UTF-8.</summary>
    private void WriteText(Utf8JsonWriter writer, ReadOnlySpan<byte> utf8)
    {
        _escaped.Clear();
        JsonStringEscaper.WriteQuoted(utf8, _escaped);
        writer.WriteRawValue(_escaped.WrittenSpan, skipInputValidation: true);
    }

    private PooledByteBuffer? ThinkingSink(PooledByteBuffer buffer) => Splits ? buffer : null;

    private ReadOnlySpan<byte> Decode(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        _scratch.Clear();
        int written = reader.CopyString(_scratch.GetSpan(reader.ValueSpan.Length));
        _scratch.Advance(written);
        return _scratch.WrittenSpan;
    }

    private ChoiceFilterState GetChoice(int index)
    {
        foreach (ChoiceFilterState choice in _choices)
        {
            if (choice.Index == index)
            {
                return choice;
            }
        }

        var created = new ChoiceFilterState(index, _options);
        _choices.Add(created);
        return created;
    }

    /// <summary>
    /// Removes a reasoning property; a null or empty one stays as it came (vLLM and SGLang send
    /// "reasoning_content": null, OpenRouter "reasoning_details": [] in every chunk).
    /// </summary>
    private void SkipProperty(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        Utf8JsonReader name = reader;
        reader.Read();
        Utf8JsonReader peek = reader;
        if (reader.TokenType == JsonTokenType.Null
            || (reader.TokenType == JsonTokenType.StartArray && peek.Read() && peek.TokenType == JsonTokenType.EndArray))
        {
            CopyPropertyName(ref name, writer);
            JsonTokenCopier.CopyValue(ref reader, writer);
            return;
        }

        _changed = true;
        _removed = true;
        reader.Skip();
    }

    private static void WritePropertyNameAndCopy(ref Utf8JsonReader reader, Utf8JsonWriter writer, ReadOnlySpan<byte> name)
    {
        writer.WritePropertyName(name);
        JsonTokenCopier.CopyValue(ref reader, writer);
    }

    private void CopyProperty(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        CopyPropertyName(ref reader, writer);
        reader.Read();
        JsonTokenCopier.CopyValue(ref reader, writer);
    }

    private void CopyPropertyName(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        writer.WritePropertyName(Decode(ref reader));
    }
}
