namespace CotProxy.Profiles;

/// <summary>What a <see cref="BodyEdit"/> does at its offset.</summary>
internal enum BodyEditKind
{
    /// <summary>At a property name: leave out the property, name and value.</summary>
    RemoveProperty,

    /// <summary>At a value: write <see cref="BodyEdit.Value"/> instead.</summary>
    ReplaceValue,

    /// <summary>At a string value: write it with <see cref="BodyEdit.Suffix"/> appended.</summary>
    AppendToString,

    /// <summary>At a closing brace or bracket: first write <see cref="BodyEdit.Members"/> (properties) or <see cref="BodyEdit.Value"/> (an item).</summary>
    InsertBeforeEnd,
}
