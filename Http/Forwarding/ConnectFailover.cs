namespace CotProxy.Http.Forwarding;

/// <summary>
/// Handed to <see cref="Forwarder.ForwardAsync"/> when another upstream could take the request: a failed connect is
/// left here instead of answered, so the caller tries the next one.
/// </summary>
internal sealed class ConnectFailover
{
    /// <summary>The connect failure of the last attempt; null when the upstream answered (and the client was answered).</summary>
    public UpstreamFailure? Failure { get; set; }
}
