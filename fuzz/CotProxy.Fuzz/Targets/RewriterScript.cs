using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Fuzz.Targets;

/// <summary>
/// Turns fuzz bytes into an upstream response whose thought text is known: the marker is written only where it is thought
/// (inside think tags of a choice's content, or in a reasoning field), so a strip-mode rewriter must never output it.
/// Hostile bytes come in two kinds that cannot turn thought into answer: bytes inside a content string (no quote, backslash,
/// angle bracket or capital letter: they cannot end the string, write a tag or the marker, but may break the frame with a
/// line break, hold invalid UTF-8 or control bytes), and whole junk frames (the same, quotes allowed, each ended as a frame).
/// A document the rewriter may be unable to read (hostile bytes, an unpaired surrogate escape, content as an array of parts)
/// is dropped when it might hold thinking, but its tags cannot count: the filter follows only what it can read
/// (Filtering/FramedDocumentRewriter.cs, failing closed). So the marker is written only where the thought is open both in
/// everything sent and in the documents the rewriter can read.
/// </summary>
/// <remarks>
/// Byte 0 (after the raw/script bit): 2 sniffing rewriter, 4 no Content-Type label, 8 starts open (the template opened the
/// thought), 16 tags escaped as \u003c…\u003e, 32 and 64 the number of choices less one, 128 Ollama's native shape (NDJSON
/// and JSON, one choice). Byte 1: the cut plan. Then operations, each one byte (low 3 bits: what; the rest: the choice) and
/// one argument byte.
/// </remarks>
internal sealed class RewriterScript
{
    public const string Marker = "SECRETTHOUGHT";

    // Upstreams' names for separated reasoning (Filtering/ReasoningFields.cs).
    private static readonly string[] s_reasoningFields = ["reasoning_content", "reasoning", "reasoning_details"];

    private readonly ResponseFraming _framing;
    private readonly bool _escapedTags;
    private readonly bool _ollama;
    // Per choice: the thought as the model wrote it (every document) and as the rewriter can follow it (readable documents).
    private readonly Thought[] _written;
    private readonly Thought[] _readable;
    private readonly StringBuilder[] _pendingText;
    private readonly bool[] _pendingUnreadable;
    private readonly StringBuilder[] _pending;
    private readonly StringBuilder[] _message;
    private readonly string?[] _reasoning;
    private readonly List<byte> _body = [];
    private readonly List<byte> _trailingJunk = [];

    private RewriterScript(ResponseFraming framing, byte flags)
    {
        _framing = framing;
        StartsOpen = (flags & 8) != 0;
        _escapedTags = (flags & 16) != 0;
        _ollama = (flags & 128) != 0 && framing != ResponseFraming.EventStream;
        var choices = _ollama ? 1 : Math.Min(3, ((flags >> 5) & 3) + 1);
        _written = [.. Enumerable.Range(0, choices).Select(_ => new Thought(StartsOpen))];
        _readable = [.. Enumerable.Range(0, choices).Select(_ => new Thought(StartsOpen))];
        _pendingText = [.. Enumerable.Range(0, choices).Select(_ => new StringBuilder())];
        _pendingUnreadable = new bool[choices];
        _pending = [.. Enumerable.Range(0, choices).Select(_ => new StringBuilder())];
        _message = [.. Enumerable.Range(0, choices).Select(_ => new StringBuilder())];
        _reasoning = new string?[choices];
    }

    public static ReadOnlySpan<byte> MarkerUtf8 => "SECRETTHOUGHT"u8;

    public bool StartsOpen { get; }

    public byte[] Body { get; private set; } = [];

    /// <summary>Offsets where the script asked for the body to be cut.</summary>
    public List<int> Cuts { get; } = [];

    /// <summary>Offsets where the upstream pauses: the proxy asks for a keep-alive and releases idle buffers there.</summary>
    public HashSet<int> Pauses { get; } = [];

    public static RewriterScript Build(ResponseFraming framing, byte[] data)
    {
        var script = new RewriterScript(framing, data[0]);
        for (var i = 2; i + 1 < data.Length; i += 2)
        {
            script.Apply(data[i], data[i + 1], data, ref i);
        }

        script.Finish();
        return script;
    }

    private int Choices => _pending.Length;

    private void Apply(byte operation, byte argument, byte[] data, ref int i)
    {
        var choice = (operation >> 3) % Choices;
        switch (operation & 7)
        {
            case 0:
                AppendToken(choice, argument % 16, 1);
                break;
            case 1:
                Emit(choice, argument);
                break;
            case 2:
                {
                    // Hostile bytes inside the content string: the next (argument % 48) bytes of the input.
                    var take = Math.Min(argument % 48, data.Length - (i + 2));
                    if (take > 0)
                    {
                        // A control byte, which no JSON string may hold raw, makes the document surely unreadable: the
                        // rewriter follows none of its tags, and neither does the readable view here.
                        _pending[choice].Append((char)(0x01 | 0xE000));
                        _pendingUnreadable[choice] = true;
                    }

                    foreach (var b in data.AsSpan(i + 2, take))
                    {
                        if (b is not ((byte)'"' or (byte)'\\' or (byte)'<' or (byte)'>') && b is not (>= (byte)'A' and <= (byte)'Z'))
                        {
                            _pending[choice].Append((char)(b | 0xE000));
                            Track(choice, "?");
                        }
                    }

                    i += take;
                    break;
                }

            case 3:
                {
                    // A whole junk frame: the next `argument` bytes of the input.
                    var take = Math.Min(argument, data.Length - (i + 2));
                    var junk = new List<byte>();
                    foreach (var b in data.AsSpan(i + 2, take))
                    {
                        if (b is not ((byte)'\\' or (byte)'<' or (byte)'>') && b is not (>= (byte)'A' and <= (byte)'Z'))
                        {
                            junk.Add(b);
                        }
                    }

                    i += take;
                    if (_framing == ResponseFraming.JsonBody)
                    {
                        _trailingJunk.AddRange(junk);
                    }
                    else
                    {
                        _body.AddRange(junk);
                        _body.AddRange(_framing == ResponseFraming.EventStream ? "\n\n"u8.ToArray() : "\n"u8.ToArray());
                    }

                    break;
                }

            case 4:
                Cuts.Add(_body.Count);
                break;
            case 5:
                Pauses.Add(_body.Count);
                Cuts.Add(_body.Count);
                break;
            default:
                // A long run of one token: up to 15 × 64 repetitions, enough to pass the frame limit.
                AppendToken(choice, argument % 16, ((argument >> 4) + 1) * 64);
                break;
        }
    }

    private void AppendToken(int choice, int token, int count)
    {
        var (raw, decoded) = token switch
        {
            0 => (Escape("<think>"), "<think>"),
            1 => (Escape("</think>"), "</think>"),
            2 => InThought(choice) ? (Marker, Marker) : ("answer", "answer"),
            3 => ("answer ", "answer "),
            4 => (Escape("<"), "<"),
            5 => ("/", "/"),
            6 => ("think", "think"),
            7 => (Escape(">"), ">"),
            8 => ("\\n", "\n"),
            9 => (" ", " "),
            10 => ("é日", "é日"),
            11 => ("\\ud800", "\uFFFD"),
            12 => ("\\\"", "\""),
            13 => ("\\\\", "\\"),
            14 => ("\\u003C", "<"),
            _ => ("\\u00e9", "é"),
        };
        if (token == 11)
        {
            _pendingUnreadable[choice] = true;
        }

        for (var n = 0; n < count; n++)
        {
            _pending[choice].Append(raw);
            Track(choice, decoded);
        }
    }

    /// <summary>The thought is open in everything written so far and in what the rewriter can have read.</summary>
    private bool InThought(int choice)
    {
        if (!_written[choice].Open)
        {
            return false;
        }

        if (_framing == ResponseFraming.JsonBody)
        {
            // One document: the rewriter reads all of it or none (then it writes nothing at all).
            return true;
        }

        var readable = _readable[choice].Copy();
        if (!_pendingUnreadable[choice])
        {
            readable.Add(_pendingText[choice].ToString());
        }

        return readable.Open;
    }

    /// <summary>
    /// Follows the choice's content as the model wrote it: a whole start tag opens a thought (the template may have opened
    /// one before the content), a whole end tag closes it; the last tag wins, as ThinkTagStripper reads the content.
    /// </summary>
    private void Track(int choice, string decoded)
    {
        _written[choice].Add(decoded);
        _pendingText[choice].Append(decoded);
    }

    /// <summary>The document holding the choice's pending content was sent: the rewriter follows its tags when it can read it.</summary>
    private void Commit(int choice, bool unreadable)
    {
        if (!unreadable && !_pendingUnreadable[choice])
        {
            _readable[choice].Add(_pendingText[choice].ToString());
        }

        _pendingText[choice].Clear();
        _pendingUnreadable[choice] = false;
    }

    private string Escape(string tag) => _escapedTags ? tag.Replace("<", "\\u003c", StringComparison.Ordinal).Replace(">", "\\u003e", StringComparison.Ordinal) : tag;

    /// <summary>
    /// Sends the choice's pending content as one event or line (for a JSON body: adds it to the choice's message). Argument
    /// bit 0 adds a reasoning field holding the marker (bits 1–2 name it); bit 3 sends the content as an array of parts.
    /// </summary>
    private void Emit(int choice, byte argument)
    {
        var content = _pending[choice].ToString();
        _pending[choice].Clear();
        var asParts = (argument & 8) != 0 && !_ollama;
        Commit(choice, asParts);
        var reasoning = (argument & 1) != 0
            ? (_ollama ? "thinking" : s_reasoningFields[((argument >> 1) & 3) % s_reasoningFields.Length])
            : null;
        if (_framing == ResponseFraming.JsonBody)
        {
            _message[choice].Append(content);
            _reasoning[choice] ??= reasoning;
            return;
        }

        var contentJson = asParts
            ? $"\"content\":[{{\"type\":\"text\",\"text\":\"{content}\"}}]"
            : $"\"content\":\"{content}\"";
        var fields = reasoning is null ? contentJson : $"{contentJson},\"{reasoning}\":\"{Marker}\"";
        var document = _ollama
            ? $"{{\"model\":\"m\",\"message\":{{\"role\":\"assistant\",{fields}}},\"done\":false}}"
            : $"{{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{{\"index\":{choice},\"delta\":{{{fields}}},\"finish_reason\":null}}]}}";
        Frame(document);
    }

    private void Frame(string document)
    {
        if (_framing == ResponseFraming.EventStream)
        {
            Append("data: ");
            Append(document);
            Append("\n\n");
        }
        else
        {
            Append(document);
            Append("\n");
        }
    }

    private void Finish()
    {
        if (_framing == ResponseFraming.JsonBody)
        {
            for (var choice = 0; choice < Choices; choice++)
            {
                _message[choice].Append(_pending[choice]);
                if (StartsOpen && !_written[choice].SawEnd)
                {
                    // With no end tag at all, starts-open text is the answer (README, think_starts_open): end the thought.
                    _message[choice].Append(Escape("</think>"));
                }
            }

            string Message(int choice) => _reasoning[choice] is { } field
                ? $"{{\"role\":\"assistant\",\"content\":\"{_message[choice]}\",\"{field}\":\"{Marker}\"}}"
                : $"{{\"role\":\"assistant\",\"content\":\"{_message[choice]}\"}}";
            Append(_ollama
                ? $"{{\"model\":\"m\",\"message\":{Message(0)},\"done\":true}}"
                : "{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":["
                    + string.Join(",", Enumerable.Range(0, Choices).Select(c => $"{{\"index\":{c},\"message\":{Message(c)},\"finish_reason\":\"stop\"}}"))
                    + "]}");
            _body.AddRange(_trailingJunk);
        }
        else
        {
            for (var choice = 0; choice < Choices; choice++)
            {
                if (_pending[choice].Length > 0)
                {
                    Emit(choice, 0);
                }

                if (StartsOpen && !_readable[choice].SawEnd)
                {
                    // With no end tag at all, starts-open text is the answer (README, think_starts_open): end the thought
                    // in a document the rewriter can read.
                    AppendToken(choice, 1, 1);
                    Emit(choice, 0);
                }

                Frame(_ollama
                    ? "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}"
                    : $"{{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{{\"index\":{choice},\"delta\":{{}},\"finish_reason\":\"stop\"}}]}}");
            }

            if (_framing == ResponseFraming.EventStream)
            {
                Append("data: [DONE]\n\n");
            }
        }

        Body = [.. _body];
    }

    /// <summary>Appends text as UTF-8; a hostile byte, carried as U+E000 + byte, is appended as that raw byte.</summary>
    private void Append(string text)
    {
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value is >= 0xE000 and <= 0xE0FF)
            {
                _body.Add((byte)(rune.Value & 0xFF));
                continue;
            }

            _body.AddRange(utf8[..rune.EncodeToUtf8(utf8)]);
        }
    }

    /// <summary>
    /// Follows one choice's content: a whole start tag opens a thought (the template may have opened one before the content),
    /// a whole end tag closes it; the last tag wins, as ThinkTagStripper reads the content.
    /// </summary>
    private sealed class Thought(bool open)
    {
        private string _tail = "";

        public bool Open { get; private set; } = open;

        /// <summary>An end tag was seen.</summary>
        public bool SawEnd { get; private set; }

        public Thought Copy() => new(Open) { _tail = _tail, SawEnd = SawEnd };

        public void Add(string text)
        {
            foreach (var c in text)
            {
                _tail = (_tail.Length < 8 ? _tail : _tail[1..]) + c;
                if (_tail.EndsWith("</think>", StringComparison.Ordinal))
                {
                    Open = false;
                    SawEnd = true;
                }
                else if (_tail.EndsWith("<think>", StringComparison.Ordinal))
                {
                    Open = true;
                }
            }
        }
    }
}
