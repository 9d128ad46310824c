namespace CotProxy.Profiles;

/// <summary>How a profile entry treats the field the client sent.</summary>
internal enum ProfileEntryKind
{
    /// <summary><c>key=v</c>: always wins over the client.</summary>
    Override,

    /// <summary><c>key?=v</c>: used only when the client did not send the key.</summary>
    Default,

    /// <summary><c>!key</c>: the key is removed from the request.</summary>
    Remove,
}
