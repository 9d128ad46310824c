using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace CotProxy.Configuration;

/// <summary>
/// Reads YAML into <see cref="ConfigNode"/>s with YamlDotNet's event parser: no object mapping, so no reflection for
/// the trimmer, and every node keeps its line for the error messages. Anchors and aliases (<c>&amp;a</c>, <c>*a</c>)
/// are resolved; tags are ignored; only the first document is read.
/// </summary>
internal static class ConfigNodeReader
{
    /// <summary>The file's root node (an empty map for an empty file), or false with "line N: problem".</summary>
    public static bool TryRead(string text, out ConfigNode root, out string error)
    {
        root = ConfigNode.Map(1, []);
        error = "";
        var anchors = new Dictionary<string, ConfigNode>(StringComparer.Ordinal);
        try
        {
            var parser = new Parser(new StringReader(text));
            while (parser.MoveNext())
            {
                if (parser.Current is DocumentStart)
                {
                    parser.MoveNext();
                    if (parser.Current is not DocumentEnd)
                    {
                        root = ReadNode(parser, anchors);
                    }

                    return true;
                }
            }

            return true;
        }
        catch (YamlException e)
        {
            error = $"line {e.Start.Line}: not valid YAML: {Problem(e)}";
            return false;
        }
    }

    // Called with the parser on the node's first event; leaves it on the node's last event.
    private static ConfigNode ReadNode(IParser parser, Dictionary<string, ConfigNode> anchors)
    {
        ParsingEvent start = parser.Current!;
        int line = (int)start.Start.Line;
        ConfigNode node;
        switch (start)
        {
            case AnchorAlias alias:
                return anchors.TryGetValue(alias.Value.Value, out ConfigNode? target)
                    ? target
                    : throw new YamlException(start.Start, start.End, $"alias *{alias.Value.Value} names no anchor written before it");
            case Scalar scalar:
                node = ConfigNode.Scalar(line, scalar.Value, scalar.Style != ScalarStyle.Plain);
                break;
            case SequenceStart:
                var items = new List<ConfigNode>();
                while (Next(parser) is not SequenceEnd)
                {
                    items.Add(ReadNode(parser, anchors));
                }

                node = ConfigNode.List(line, items);
                break;
            case MappingStart:
                var entries = new List<KeyValuePair<ConfigNode, ConfigNode>>();
                while (Next(parser) is not MappingEnd)
                {
                    ConfigNode key = ReadNode(parser, anchors);
                    Next(parser);
                    entries.Add(new(key, ReadNode(parser, anchors)));
                }

                node = ConfigNode.Map(line, entries);
                break;
            default:
                throw new YamlException(start.Start, start.End, "unexpected " + start.GetType().Name);
        }

        if (start is NodeEvent { Anchor.IsEmpty: false } anchored)
        {
            anchors[anchored.Anchor.Value] = node;
        }

        return node;
    }

    private static ParsingEvent Next(IParser parser) =>
        parser.MoveNext() ? parser.Current! : throw new YamlException("the file ends inside a map or a list");

    /// <summary>YamlDotNet's message without its own "(Line: 3, Col: 5, Idx: 20) - (…): " prefix: the line is said once, by us.</summary>
    private static string Problem(YamlException e)
    {
        string message = e.Message;
        int cut = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line", StringComparison.Ordinal) && cut > 0 ? message[(cut + 3)..] : message;
    }
}
