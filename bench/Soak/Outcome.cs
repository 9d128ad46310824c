namespace CotProxy.Bench.Soak;

/// <summary>How one soak response ended. The first four are acceptable; every <c>Fail…</c> one fails the soak.</summary>
internal enum Outcome
{
    /// <summary>Status 200, framing complete (Content-Length reached or the last chunk seen), bytes equal to the reference.</summary>
    Whole,

    /// <summary>As <see cref="Whole"/>, although an upstream fault was injected: it fell after the last byte the client needs (e.g. in the stream's last chunk, after <c>[DONE]</c>).</summary>
    WholeDespiteFault,

    /// <summary>An error status (5xx) instead of the response, after an injected upstream fault.</summary>
    CutErrorStatus,

    /// <summary>The connection ended before a status line, after an injected upstream fault.</summary>
    CutBeforeStatus,

    /// <summary>The connection ended inside the body (before Content-Length bytes or the last chunk), after an injected upstream fault.</summary>
    CutMidBody,

    /// <summary>The client closed the socket itself at a random point: nothing to verify.</summary>
    ClientVanished,

    /// <summary>Framing complete, but the bytes differ from the reference: a response that looks whole but is not.</summary>
    FailLooksWholeIsNot,

    /// <summary>No byte for the hang timeout while the response was not finished, or no connection accepted in that time.</summary>
    FailHang,

    /// <summary>Cut (any of the three ways) although no fault was injected.</summary>
    FailSpuriousCut,

    /// <summary>A cut body whose bytes are not a prefix of the whole one: the client got bytes a whole response never has.</summary>
    FailCutNotPrefix,

    /// <summary>Anything else: an unparseable head, a framing error, bytes after the response, a refused connection.</summary>
    FailOther,
}
