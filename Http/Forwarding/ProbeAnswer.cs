namespace CotProxy.Http.Forwarding;

/// <summary>What the upstream answered to one probe: its status, its <c>Server</c> header, and the start of its body.</summary>
internal sealed record ProbeAnswer(int Status, string? Server, byte[] Body);
