using System.Text.Json.Nodes;

namespace CotProxy.Profiles;

/// <summary>
/// One of the client's objects on a profile path, with what the profile did to it so far, kept beside the body instead
/// of in a tree. It follows <see cref="JsonObject"/>'s rules, which the tree-based rewrite had: setting a key the object
/// has replaces the value in place, a new key (or one removed before) goes to the end, in the order set.
/// </summary>
internal sealed class ObjectOverlay
{
    private readonly RewritePathNode _path;
    private readonly PathValue[] _found;
    private List<Member>? _members;
    private List<KeyValuePair<string, JsonNode?>>? _appended;

    public ObjectOverlay(RewritePathNode path, PathValue[] found)
    {
        _path = path;
        _found = found;
    }

    public RewriteValue Get(string name)
    {
        int appended = IndexOfAppended(name);
        if (appended >= 0)
        {
            return RewriteValue.FromNode(_appended![appended].Value);
        }

        RewritePathNode? child = _path.Child(name);
        if (child is null || !_found[child.Index].Present)
        {
            return RewriteValue.Absent;
        }

        Member? member = Find(child);
        return member switch
        {
            { Removed: true } => RewriteValue.Absent,
            { Replaced: true } => RewriteValue.FromNode(member.Value),
            _ => RewriteValue.InBody(child),
        };
    }

    public void Set(string name, JsonNode? value)
    {
        int appended = IndexOfAppended(name);
        if (appended >= 0)
        {
            _appended![appended] = new(name, value);
            return;
        }

        RewritePathNode? child = _path.Child(name);
        if (child is not null && _found[child.Index].Present && Find(child) is not { Removed: true })
        {
            Member member = GetOrAddMember(child);
            member.Replaced = true;
            member.Value = value;
            member.Child = null;
            return;
        }

        (_appended ??= []).Add(new(name, value));
    }

    public void Remove(string name)
    {
        int appended = IndexOfAppended(name);
        if (appended >= 0)
        {
            _appended!.RemoveAt(appended);
            return;
        }

        RewritePathNode? child = _path.Child(name);
        if (child is not null && _found[child.Index].Present)
        {
            Member member = GetOrAddMember(child);
            member.Removed = true;
            member.Replaced = false;
            member.Value = null;
            member.Child = null;
        }
    }

    /// <summary>The overlay of the client's object at <paramref name="name"/> (<see cref="Get"/> said it is one, in the body).</summary>
    public ObjectOverlay Descend(string name)
    {
        RewritePathNode child = _path.Child(name)!;
        Member member = GetOrAddMember(child);
        return member.Child ??= new ObjectOverlay(child, _found);
    }

    /// <summary>Adds what this object (and the objects below it) need changed in the body.</summary>
    public void CollectEdits(List<BodyEdit> edits)
    {
        if (_members is not null)
        {
            foreach (Member member in _members)
            {
                PathValue value = _found[member.Path.Index];
                if (member.Removed)
                {
                    edits.Add(BodyEdit.RemoveProperty(value.NameOffset));
                }
                else if (member.Replaced)
                {
                    edits.Add(BodyEdit.ReplaceValue(value.ValueStart, member.Value));
                }
                else
                {
                    member.Child?.CollectEdits(edits);
                }
            }
        }

        if (_appended is { Count: > 0 })
        {
            edits.Add(BodyEdit.InsertMembers(_found[_path.Index].EndTokenOffset, _appended));
        }
    }

    private int IndexOfAppended(string name)
    {
        if (_appended is null)
        {
            return -1;
        }

        for (int i = 0; i < _appended.Count; i++)
        {
            if (_appended[i].Key == name)
            {
                return i;
            }
        }

        return -1;
    }

    private Member? Find(RewritePathNode path)
    {
        if (_members is not null)
        {
            foreach (Member member in _members)
            {
                if (member.Path == path)
                {
                    return member;
                }
            }
        }

        return null;
    }

    private Member GetOrAddMember(RewritePathNode path)
    {
        Member? member = Find(path);
        if (member is null)
        {
            member = new Member(path);
            (_members ??= []).Add(member);
        }

        return member;
    }

    /// <summary>A key of the client's object the profile removed, replaced or went into.</summary>
    private sealed class Member(RewritePathNode path)
    {
        public RewritePathNode Path { get; } = path;

        public bool Removed { get; set; }

        public bool Replaced { get; set; }

        public JsonNode? Value { get; set; }

        public ObjectOverlay? Child { get; set; }
    }
}
