using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CotProxy.Profiles;

/// <summary>
/// Applies a profile to a client's JSON request body: removals, overrides, weak defaults, the
/// upstream model name, then the prompt suffix. Works on OpenAI chat and completions bodies and on
/// Ollama's native <c>/api/chat</c> (<c>messages</c>) and <c>/api/generate</c> (<c>prompt</c>) bodies.
/// </summary>
/// <remarks>
/// Never builds a document tree of the body: a 30 MiB prompt held as one did cost six times its size. One read-only pass
/// (<see cref="RequestBodyScanner"/>) checks the body and notes where the values on the profile's paths are; the
/// entries are then applied to those few places (<see cref="ObjectOverlay"/>) and become edits at byte offsets; a
/// second pass (<see cref="JsonEditCopier"/>) copies the body token by token into one buffer sized for it, applying
/// the edits. The output is what the tree-based rewrite wrote, byte for byte.
/// </remarks>
internal static class RequestRewriter
{
    // Override compares the client's value with the profile's only when it is small: equal or not, the output means the
    // same; equality only keeps the body byte for byte and the DEBUG line quiet.
    private const int CompareAtMost = 64 * 1024;

    // DEL, and the lead bytes of 4-byte UTF-8 sequences.
    private static readonly SearchValues<byte> s_spelledOut = SearchValues.Create([0x7F, 0xF0, 0xF1, 0xF2, 0xF3, 0xF4]);

    /// <summary>
    /// Rewrites <paramref name="body"/> (a JSON object) for <paramref name="profile"/> and returns the
    /// new UTF-8 body; when nothing needed changing, the original bytes come back as they were.
    /// Numbers the client sent keep their exact text, and non-ASCII text stays UTF-8.
    /// </summary>
    /// <param name="body">The client's request body.</param>
    /// <param name="profile">The profile that matched the request's model.</param>
    /// <param name="changes">When not null, receives one human-readable line per change (for DEBUG logs).</param>
    /// <exception cref="JsonException">
    /// The body is not a JSON object, names one property twice (which upstream servers resolve differently), is not UTF-8,
    /// or holds a <c>\u</c> escape of half a surrogate pair; the message says where.
    /// </exception>
    public static byte[] Rewrite(ReadOnlySpan<byte> body, ModelProfile profile, ICollection<string>? changes = null)
    {
        if (!TryRewrite(body, profile, changes, out PooledByteBuffer? rewritten))
        {
            return body.ToArray();
        }

        using (rewritten)
        {
            return rewritten.WrittenSpan.ToArray();
        }
    }

    /// <summary>
    /// Rewrites <paramref name="body"/> (a JSON object) for <paramref name="profile"/>; false when nothing needed
    /// changing, and the original bytes are to be sent as they are. The caller disposes <paramref name="rewritten"/>
    /// once it has been sent.
    /// </summary>
    /// <inheritdoc cref="Rewrite" path="/param"/>
    /// <inheritdoc cref="Rewrite" path="/exception"/>
    public static bool TryRewrite(ReadOnlySpan<byte> body, ModelProfile profile, ICollection<string>? changes, [NotNullWhen(true)] out PooledByteBuffer? rewritten) =>
        TryRewrite(body, profile, default, changes, out rewritten);

    /// <summary>As the other TryRewrite, with the thinking switch and history hygiene of <paramref name="extras"/> applied too.</summary>
    /// <param name="body">The client's request body.</param>
    /// <param name="profile">The profile that matched the request's model (<see cref="ModelProfile.None"/> when none did).</param>
    /// <param name="changes">When not null, receives one human-readable line per change (for DEBUG logs).</param>
    /// <param name="extras">The thinking switch and history hygiene for this request.</param>
    /// <param name="rewritten">The new body, when true.</param>
    /// <inheritdoc cref="Rewrite" path="/exception"/>
    public static bool TryRewrite(ReadOnlySpan<byte> body, ModelProfile profile, in RequestExtras extras, ICollection<string>? changes, [NotNullWhen(true)] out PooledByteBuffer? rewritten)
    {
        ArgumentNullException.ThrowIfNull(profile);
        rewritten = null;
        if (!profile.RewritesRequest && !extras.Any)
        {
            return false;
        }

        // RFC 8259 §8.1: a parser MAY ignore a leading byte order mark (the proxy's JSON check does); the rewrite drops it.
        int skipped = body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        ReadOnlySpan<byte> json = body[skipped..];

        // RFC 8259 §8.1: JSON text is UTF-8. The copy decodes and encodes every string it changes, and the encoder would
        // replace bad bytes with U+FFFD: the model would read text the client never sent. (The proxy's JSON check has
        // refused such a body already; the rewrite keeps its own promise.)
        int invalid = JsonTextFaults.FindInvalidUtf8(json);
        if (invalid >= 0)
        {
            throw new JsonException(JsonTextFaults.InvalidUtf8Message(json, invalid, skipped));
        }

        // History hygiene alone, on a history without thinking: nothing to change, and nothing allocated to find that out.
        if (!profile.RewritesRequest && extras.Thinking is null && !HistoryHygiene.HasThinking(json, extras.History!))
        {
            return false;
        }

        RewritePaths paths = profile.Paths;
        PathValue[] found = ArrayPool<PathValue>.Shared.Rent(paths.Count);
        try
        {
            if (RequestBodyScanner.Scan(json, paths, found.AsSpan(0, paths.Count), skipped) != JsonTokenType.StartObject)
            {
                throw new JsonException("the request body is not a JSON object");
            }

            var root = new ObjectOverlay(paths.Root, found);
            var target = RewriteTarget.Of(root);
            bool changed = false;
            foreach (ProfileEntry entry in profile.Entries)
            {
                changed |= entry.Kind switch
                {
                    ProfileEntryKind.Remove => Remove(json, found, target, entry, changes),
                    ProfileEntryKind.Override => Override(json, found, target, entry, changes),
                    _ => ApplyDefault(found, target, entry, changes),
                };
            }

            if (profile.UpstreamModelName is string upstream)
            {
                changed |= SetModel(json, found, root, upstream, changes);
            }

            if (extras.Thinking is { } thinking)
            {
                changed |= ApplyThinking(json, found, target, thinking, extras.ThinkingFromHeader, changes);
            }

            var edits = new List<BodyEdit>();
            if (extras.History is { } history && root.Get("messages") is { IsInBody: true } messages
                && found[messages.Path!.Index].Type == JsonTokenType.StartArray)
            {
                // Only the client's own messages: a profile that set messages itself sends them as it wrote them.
                changed |= HistoryHygiene.Strip(json, found[messages.Path.Index], history, changes, edits);
            }

            if (profile.AppendToLastUserMessage is string suffix)
            {
                changed |= PromptSuffix.Append(json, root, found, suffix, changes, edits);
            }

            if (!changed)
            {
                return false;
            }

            root.CollectEdits(edits);
            edits.Sort(static (a, b) => a.Offset.CompareTo(b.Offset));
            rewritten = new PooledByteBuffer(OutputSizeEstimate(json) + paths.ExtraBytes + JsonEditCopier.MaxWriteOverhead);
            using (Utf8JsonWriter writer = JsonOutput.CreateWriter(rewritten))
            {
                JsonEditCopier.Copy(json, CollectionsMarshal.AsSpan(edits), writer);
            }

            return true;
        }
        catch
        {
            rewritten?.Dispose();
            rewritten = null;
            throw;
        }
        finally
        {
            ArrayPool<PathValue>.Shared.Return(found);
        }
    }

    /// <summary>
    /// How long the copy of <paramref name="json"/> gets, short of the profile's additions. Escapes in the client's text
    /// come out no longer than they went in, but the encoder spells out two kinds of raw character: every character
    /// above U+FFFF (4 bytes of UTF-8, an emoji) as a 12-byte surrogate-pair escape, and DEL as a 6-byte one. Counting
    /// them costs one vectorized search; a rarer escaped character only makes the buffer grow once.
    /// </summary>
    private static int OutputSizeEstimate(ReadOnlySpan<byte> json)
    {
        long size = json.Length;
        ReadOnlySpan<byte> rest = json;
        int at;
        while ((at = rest.IndexOfAny(s_spelledOut)) >= 0)
        {
            size += rest[at] == 0x7F ? 5 : 8;
            rest = rest[(at + 1)..];
        }

        return (int)Math.Min(size, Array.MaxLength / 2);
    }

    private static bool Remove(ReadOnlySpan<byte> json, PathValue[] found, RewriteTarget root, ProfileEntry entry, ICollection<string>? changes)
    {
        string leaf = entry.Path[^1];
        if (!Walk(found, root, entry.Path, create: false, replaceNonObjects: true, out RewriteTarget parent)
            || parent.Get(leaf) is not { IsPresent: true } old)
        {
            return false;
        }

        // Described before it goes: the old value's place in the body is only known while the key is there.
        string shown = changes is null ? string.Empty : Short(json, found, old);
        parent.Remove(leaf);
        changes?.Add($"{entry.Key}: removed (client sent {shown})");
        return true;
    }

    private static bool Override(ReadOnlySpan<byte> json, PathValue[] found, RewriteTarget root, ProfileEntry entry, ICollection<string>? changes)
    {
        Walk(found, root, entry.Path, create: true, replaceNonObjects: true, out RewriteTarget parent);
        string leaf = entry.Path[^1];
        JsonNode? value = entry.CloneValue();
        RewriteValue old = parent.Get(leaf);
        if (old.IsPresent)
        {
            if (DeepEquals(json, found, old, value))
            {
                return false;
            }

            changes?.Add($"{entry.Key}: {Short(json, found, old)} → {entry.ValueJson} (override)");
        }
        else
        {
            changes?.Add($"{entry.Key}: set {entry.ValueJson} (override; client sent none)");
        }

        parent.Set(leaf, value);
        return true;
    }

    private static bool ApplyDefault(PathValue[] found, RewriteTarget root, ProfileEntry entry, ICollection<string>? changes)
    {
        // A default never replaces what the client sent, not even a non-object where the path
        // needs an object: only missing fields (and missing parent objects) are filled in.
        string leaf = entry.Path[^1];
        if (!Walk(found, root, entry.Path, create: true, replaceNonObjects: false, out RewriteTarget parent) || parent.Get(leaf).IsPresent)
        {
            return false;
        }

        parent.Set(leaf, entry.CloneValue());
        changes?.Add($"{entry.Key}: set {entry.ValueJson} (default; client sent none)");
        return true;
    }

    /// <summary>
    /// The thinking switch: from the header it overrides the body's fields (and clears the switch's other ones); from the
    /// profile it fills them in only when the body sets none of them, so a request that says how it wants to think is obeyed.
    /// </summary>
    private static bool ApplyThinking(ReadOnlySpan<byte> json, PathValue[] found, RewriteTarget root, ThinkingFields thinking, bool fromHeader, ICollection<string>? changes)
    {
        string source = fromHeader ? "X-Thinking" : "thinking";
        if (!fromHeader)
        {
            foreach (ProfileEntry entry in thinking.Set)
            {
                if (IsPresent(found, root, entry.Path))
                {
                    changes?.Add($"{source}={ThinkingNames.Name(thinking.Value)}: not applied, the request sets {entry.Key} itself");
                    return false;
                }
            }
        }

        bool changed = false;
        foreach (ProfileEntry entry in thinking.Clear)
        {
            changed |= Remove(json, found, root, entry, changes);
        }

        foreach (ProfileEntry entry in thinking.Set)
        {
            changed |= fromHeader ? Override(json, found, root, entry, changes) : ApplyDefault(found, root, entry, changes);
        }

        changes?.Add($"{source}={ThinkingNames.Name(thinking.Value)}: sent as {thinking.Spelling}");
        return changed;
    }

    private static bool IsPresent(PathValue[] found, RewriteTarget root, IReadOnlyList<string> path) =>
        Walk(found, root, path, create: false, replaceNonObjects: false, out RewriteTarget parent) && parent.Get(path[^1]).IsPresent;

    private static bool SetModel(ReadOnlySpan<byte> json, PathValue[] found, ObjectOverlay root, string upstream, ICollection<string>? changes)
    {
        RewriteValue old = root.Get(ProfileKeys.Model);
        if (IsString(json, found, old, upstream))
        {
            return false;
        }

        string shown = changes is null || old.IsNullOrAbsent(found) ? "none" : Short(json, found, old);
        JsonNode model = JsonValue.Create(upstream);
        root.Set(ProfileKeys.Model, model);
        changes?.Add($"model: {shown} → {JsonText.Of(model)} (upstream_model_name)");
        return true;
    }

    /// <summary>
    /// The object holding the last segment of <paramref name="path"/>. Missing objects on the way
    /// are created when <paramref name="create"/>; a non-object on the way is replaced by an
    /// object when <paramref name="replaceNonObjects"/> (an override wins), else the walk gives up.
    /// </summary>
    private static bool Walk(PathValue[] found, RewriteTarget root, IReadOnlyList<string> path, bool create, bool replaceNonObjects, out RewriteTarget parent)
    {
        RewriteTarget current = root;
        for (int i = 0; i < path.Count - 1; i++)
        {
            string segment = path[i];
            RewriteValue next = current.Get(segment);
            if (next.IsObject(found))
            {
                current = current.Enter(segment, next);
                continue;
            }

            if (!create || (next.IsPresent && !replaceNonObjects))
            {
                parent = default;
                return false;
            }

            var created = new JsonObject();
            current.Set(segment, created);
            current = RewriteTarget.Of(created);
        }

        parent = current;
        return true;
    }

    private static bool DeepEquals(ReadOnlySpan<byte> json, PathValue[] found, RewriteValue old, JsonNode? value)
    {
        if (!old.IsInBody)
        {
            return JsonNode.DeepEquals(old.Node, value);
        }

        ReadOnlySpan<byte> client = old.Slice(json, found);
        return client.Length <= CompareAtMost && JsonNode.DeepEquals(JsonNode.Parse(client), value);
    }

    private static bool IsString(ReadOnlySpan<byte> json, PathValue[] found, RewriteValue value, string expected)
    {
        if (!value.IsInBody)
        {
            return value.Node is JsonValue node && node.TryGetValue(out string? text) && text == expected;
        }

        var reader = new Utf8JsonReader(value.Slice(json, found));
        return reader.Read() && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(expected);
    }

    private static string Short(ReadOnlySpan<byte> json, PathValue[] found, RewriteValue value) =>
        value.IsInBody ? JsonText.Short(value.Slice(json, found)) : JsonText.Short(value.Node);
}
