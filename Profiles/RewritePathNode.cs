using System.Text;

namespace CotProxy.Profiles;

/// <summary>One property name on a <see cref="RewritePaths"/> path, with the names below it.</summary>
internal sealed class RewritePathNode
{
    private readonly List<RewritePathNode> _children = [];

    public RewritePathNode(string name, int index)
    {
        Name = name;
        Utf8Name = Encoding.UTF8.GetBytes(name);
        Index = index;
    }

    public string Name { get; }

    public byte[] Utf8Name { get; }

    /// <summary>This node's slot in the per-request table of what the body holds (<see cref="PathValue"/>).</summary>
    public int Index { get; }

    public IReadOnlyList<RewritePathNode> Children => _children;

    public RewritePathNode? Child(string name)
    {
        foreach (RewritePathNode child in _children)
        {
            if (child.Name == name)
            {
                return child;
            }
        }

        return null;
    }

    public RewritePathNode GetOrAdd(string name, ref int count)
    {
        RewritePathNode? child = Child(name);
        if (child is null)
        {
            child = new RewritePathNode(name, count++);
            _children.Add(child);
        }

        return child;
    }
}
