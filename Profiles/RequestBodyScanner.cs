using System.Text.Json;

namespace CotProxy.Profiles;

/// <summary>
/// The first, read-only pass of the request rewrite: checks the whole body as the tree parser did (one JSON value, depth
/// at most 64, no duplicate property names at any level) and notes where the values on the profile's paths are.
/// </summary>
internal static class RequestBodyScanner
{
    /// <summary>The reader settings of both passes: those of <c>JsonDocument</c> by default (depth 64, no comments).</summary>
    public static JsonReaderOptions ReaderOptions => default;

    /// <summary>
    /// Reads <paramref name="json"/> once; fills <paramref name="found"/> (indexed by <see cref="RewritePathNode.Index"/>,
    /// slot 0 the root object) and returns the type of the body's first token.
    /// </summary>
    /// <param name="json">The body, without a byte order mark.</param>
    /// <param name="paths">The profile's paths.</param>
    /// <param name="found">Where each path's value is, filled in.</param>
    /// <param name="skipped">How many bytes of the body came before <paramref name="json"/> (a byte order mark): error messages count from the body's start.</param>
    /// <exception cref="JsonException">
    /// The body is not one JSON value, is nested too deep, repeats a property name, or holds a <c>\u</c> escape of half a
    /// surrogate pair (the copy decodes every escaped string, and no text holds one).
    /// </exception>
    public static JsonTokenType Scan(ReadOnlySpan<byte> json, RewritePaths paths, Span<PathValue> found, int skipped = 0)
    {
        found.Clear();
        var reader = new Utf8JsonReader(json, ReaderOptions);
        using var names = new PropertyNameSet();

        // Per open container: the path node whose children its members may be (-1: none), and where its names start.
        int maxDepth = (ReaderOptions.MaxDepth == 0 ? 64 : ReaderOptions.MaxDepth) + 1;
        Span<int> nodeAt = stackalloc int[maxDepth];
        Span<int> markAt = stackalloc int[maxDepth];
        RewritePathNode? pending = paths.Root;
        int pendingNameOffset = 0;
        RewritePathNode[] byIndex = paths.NodesByIndex;
        JsonTokenType first = JsonTokenType.None;

        while (Read(ref reader))
        {
            JsonTokenType type = reader.TokenType;
            if (first == JsonTokenType.None)
            {
                first = type;
            }

            if (reader.ValueIsEscaped && JsonTextFaults.FindLoneSurrogate(reader.ValueSpan) is var lone and >= 0)
            {
                throw new JsonException(JsonTextFaults.LoneSurrogateMessage(json, (int)reader.TokenStartIndex + 1 + lone, skipped));
            }

            switch (type)
            {
                case JsonTokenType.PropertyName:
                    names.Add(ref reader);
                    pending = null;
                    int parent = nodeAt[reader.CurrentDepth - 1];
                    if (parent >= 0)
                    {
                        foreach (RewritePathNode child in byIndex[parent].Children)
                        {
                            if (reader.ValueTextEquals(child.Utf8Name))
                            {
                                pending = child;
                                pendingNameOffset = (int)reader.TokenStartIndex;
                                break;
                            }
                        }
                    }

                    continue;
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    int depth = reader.CurrentDepth;
                    nodeAt[depth] = -1;
                    markAt[depth] = names.Mark;
                    if (pending is not null)
                    {
                        Note(ref found[pending.Index], ref reader, pendingNameOffset);
                        if (type == JsonTokenType.StartObject)
                        {
                            nodeAt[depth] = pending.Index;
                        }
                        else
                        {
                            // An array is noted whole (its end below); nothing inside it is on a path.
                            nodeAt[depth] = -2 - pending.Index;
                        }
                    }

                    pending = null;
                    continue;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    int at = reader.CurrentDepth;
                    if (type == JsonTokenType.EndObject)
                    {
                        names.CloseObject(json, markAt[at]);
                    }

                    int owner = nodeAt[at] >= 0 ? nodeAt[at] : nodeAt[at] <= -2 ? -2 - nodeAt[at] : -1;
                    if (owner >= 0)
                    {
                        found[owner].EndTokenOffset = (int)reader.TokenStartIndex;
                        found[owner].ValueEnd = (int)reader.BytesConsumed;
                    }

                    continue;
                default:
                    if (pending is not null)
                    {
                        Note(ref found[pending.Index], ref reader, pendingNameOffset);
                        found[pending.Index].ValueEnd = (int)reader.BytesConsumed;
                        pending = null;
                    }

                    continue;
            }
        }

        return first;
    }

    /// <summary>
    /// One token. The proxy's JSON check read the body with a deeper limit than the rewrite's (that of <c>JsonDocument</c>),
    /// so a body nested deeper than 64 levels gets here: said in our own words, not the reader's.
    /// </summary>
    private static bool Read(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.Read();
        }
        catch (JsonException ex) when (ex.GetType() != typeof(JsonException))
        {
            int depth = ReaderOptions.MaxDepth == 0 ? 64 : ReaderOptions.MaxDepth;
            throw new JsonException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the request body is nested deeper than {depth} levels, or is not JSON, at line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}"), ex);
        }
    }

    private static void Note(ref PathValue value, ref Utf8JsonReader reader, int nameOffset)
    {
        value.Present = true;
        value.Type = reader.TokenType;
        value.NameOffset = nameOffset;
        value.ValueStart = (int)reader.TokenStartIndex;
    }
}
