using System.Buffers;
using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// A stored Responses API response (<c>GET /v1/responses/{id}</c>, whole or replayed with <c>?stream=true</c>): only the
/// response itself says which model wrote it, so the first bytes are held until its <c>"model"</c> is read (the top-level
/// one of a whole body, the <c>response.model</c> of the first event of a stream), then the rewriter for that model takes
/// the held bytes and the rest. It fails closed: when no model can be read within <see cref="MaxModelSearchBytes"/> or
/// before the body ends, the rewriter is chosen for no model (null), which the caller maps to its strictest filter.
/// </summary>
internal sealed class StoredResponseRewriter : DeferredResponseRewriter
{
    /// <summary>How far the body is read for its model before the strictest filter is chosen.</summary>
    public const int MaxModelSearchBytes = 64 * 1024;

    private readonly bool _stream;
    private readonly Func<string?, IResponseRewriter?> _start;

    // A whole body is read incrementally: the reader's state and how far it got, and whether the last token read was
    // the root object's "model" property name (its value comes with the next token).
    private JsonReaderState _state;
    private int _consumed;
    private bool _modelNext;

    // A stream is read line by line: where the first line not yet read starts.
    private int _lineStart;

    /// <param name="stream">The body is an event stream (else one JSON document).</param>
    /// <param name="start">The rewriter for the model read (null: none could be read); null from it means untouched.</param>
    public StoredResponseRewriter(bool stream, Func<string?, IResponseRewriter?> start)
    {
        _stream = stream;
        _start = start;
    }

    protected override void OnMoreHeld(IBufferWriter<byte> output)
    {
        if (TryFindModel(final: false, out var model))
        {
            Hand(_start(model), output);
        }
    }

    protected override void OnEndHeld(IBufferWriter<byte> output)
    {
        TryFindModel(final: true, out var model);
        Hand(_start(model), output);
    }

    /// <summary>True when the choice can be made: <paramref name="model"/> is the model read, or null when none can be.</summary>
    private bool TryFindModel(bool final, out string? model)
    {
        model = null;
        var held = Held;
        var decided = _stream ? TryFindInStream(held, out model) : TryFindInBody(held, final, out model);
        return decided || final || held.Length >= MaxModelSearchBytes;
    }

    /// <summary>The root object's "model" string, read as far as the bytes go.</summary>
    private bool TryFindInBody(ReadOnlySpan<byte> held, bool final, out string? model)
    {
        model = null;
        var reader = new Utf8JsonReader(held[_consumed..], final, _state);
        try
        {
            while (reader.Read())
            {
                if (_modelNext)
                {
                    model = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    return true;
                }

                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName when reader.CurrentDepth == 1:
                        _modelNext = reader.ValueTextEquals("model"u8);
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.PropertyName:
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray when reader.CurrentDepth == 0:
                        // The root ended without a model.
                        return true;
                    default:
                        if (reader.CurrentDepth == 0)
                        {
                            // Not an object at all.
                            return true;
                        }

                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: no model can be read, so the strictest filter decides (failing closed).
            return true;
        }

        _consumed += (int)reader.BytesConsumed;
        _state = reader.CurrentState;
        return false;
    }

    /// <summary>The model of the first event's data (<c>response.model</c>, or a top-level <c>model</c>), once its line is whole.</summary>
    private bool TryFindInStream(ReadOnlySpan<byte> held, out string? model)
    {
        model = null;
        int newline;
        while ((newline = held[_lineStart..].IndexOf((byte)'\n')) >= 0)
        {
            var line = held.Slice(_lineStart, newline);
            _lineStart += newline + 1;
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            // WHATWG HTML §9.2.6: "data:" and one optional space before the value; other fields and comments say nothing here.
            if (!line.StartsWith("data:"u8))
            {
                continue;
            }

            var data = line[5..];
            if (!data.IsEmpty && data[0] == (byte)' ')
            {
                data = data[1..];
            }

            model = ModelOfEvent(data);
            return true;
        }

        return false;
    }

    private static string? ModelOfEvent(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            return ModelOfObject(ref reader, descend: true);
        }
        catch (JsonException)
        {
            // An unreadable first event names no model: the strictest filter decides.
            return null;
        }
    }

    /// <summary>Reads the object the reader is at the start of: its "model" string, or with <paramref name="descend"/> its "response" object's.</summary>
    private static string? ModelOfObject(ref Utf8JsonReader reader, bool descend)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isModel = reader.ValueTextEquals("model"u8);
            var isResponse = descend && reader.ValueTextEquals("response"u8);
            reader.Read();
            if (isModel)
            {
                return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }

            if (isResponse && reader.TokenType == JsonTokenType.StartObject)
            {
                return ModelOfObject(ref reader, descend: false);
            }

            reader.Skip();
        }

        return null;
    }
}
