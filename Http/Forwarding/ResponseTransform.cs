namespace CotProxy.Http.Forwarding;

/// <summary>
/// What the layer above does to one response (in the manner of YARP's HttpTransformer): the forwarder asks the upstream
/// for an unencoded body, and once the head arrives asks for a rewriter for it. The forwarder itself only copies bytes.
/// </summary>
internal abstract class ResponseTransform
{
    /// <summary>While a rewritten stream is quiet, <see cref="IBodyRewriter.TryWriteKeepAlive"/> is asked this often; zero never.</summary>
    public TimeSpan KeepAliveInterval { get; init; }

    /// <summary>
    /// Called for a successful (2xx), unencoded response that has a body: the rewriter for it, or null to copy it untouched.
    /// <paramref name="wholeBody"/> true means the body is rewritten whole and sent with its new Content-Length.
    /// </summary>
    public abstract IBodyRewriter? BeginBody(string? contentType, out bool wholeBody);

    /// <summary>Called once the response is over, however it ended; releases what <see cref="BeginBody"/> took.</summary>
    public abstract void EndBody();
}
