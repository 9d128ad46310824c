using System.Text;

namespace CotProxy.Profiles;

/// <summary>
/// The object paths a profile reads or writes in a request body, as a tree from the root object: every prefix of every
/// entry's key, <c>model</c>, <c>messages</c>, <c>prompt</c> when the profile sets the upstream name or a suffix, and always
/// <c>messages</c> (history hygiene) and the fields of the thinking switch.
/// Built once per profile; the one-pass scan looks up only these names, so a body's other keys cost a comparison or two.
/// </summary>
internal sealed class RewritePaths
{
    private RewritePaths(RewritePathNode root, int count, int extraBytes)
    {
        Root = root;
        Count = count;
        ExtraBytes = extraBytes;
        NodesByIndex = new RewritePathNode[count];
        Fill(root, NodesByIndex);
    }

    public RewritePathNode Root { get; }

    /// <summary>How many nodes the tree has, the root included; <see cref="RewritePathNode.Index"/> runs below it.</summary>
    public int Count { get; }

    /// <summary>At most how many bytes the profile's own values, keys and suffix add to a body (escaped in the worst case).</summary>
    public int ExtraBytes { get; }

    /// <summary>Every node at its <see cref="RewritePathNode.Index"/>.</summary>
    public RewritePathNode[] NodesByIndex { get; }

    public static RewritePaths Build(ModelProfile profile)
    {
        var root = new RewritePathNode(string.Empty, 0);
        int count = 1;
        long extra = 0;
        foreach (ProfileEntry entry in profile.Entries)
        {
            RewritePathNode node = root;
            foreach (string segment in entry.Path)
            {
                node = node.GetOrAdd(segment, ref count);
                extra += (6L * Encoding.UTF8.GetByteCount(segment)) + 8;
            }

            extra += Encoding.UTF8.GetByteCount(entry.ValueJson);
        }

        if (profile.UpstreamModelName is string upstream)
        {
            root.GetOrAdd(ProfileKeys.Model, ref count);
            extra += (6L * Encoding.UTF8.GetByteCount(upstream)) + 16;
        }

        if (profile.AppendToLastUserMessage is string suffix)
        {
            root.GetOrAdd("messages", ref count);
            root.GetOrAdd("prompt", ref count);

            // The suffix may arrive as a new message or part: {"role":"user","content":"…"}, {"type":"text","text":"…"}.
            extra += (6L * Encoding.UTF8.GetByteCount(suffix)) + 64;
        }

        // History hygiene reads the messages; the thinking switch writes one of its fields, a few dozen bytes.
        root.GetOrAdd("messages", ref count);
        foreach (string key in ThinkingTranslation.AllKeys)
        {
            RewritePathNode node = root;
            foreach (string segment in key.Split('.'))
            {
                node = node.GetOrAdd(segment, ref count);
            }
        }

        extra += 256;
        return new RewritePaths(root, count, (int)Math.Min(extra, int.MaxValue / 4));
    }

    private static void Fill(RewritePathNode node, RewritePathNode[] byIndex)
    {
        byIndex[node.Index] = node;
        foreach (RewritePathNode child in node.Children)
        {
            Fill(child, byIndex);
        }
    }
}
