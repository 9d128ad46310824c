namespace CotProxy.Demo;

/// <summary>The fields every chat-completion document repeats: id, model, and the optional creation time and fingerprint.</summary>
internal readonly record struct ChatEnvelope(string Id, string Model, long? Created = null, string? SystemFingerprint = null);
