namespace CotProxy.Demo;

/// <summary>
/// One demo model: where it writes its thought. A tag model writes it in the answer text between <see cref="Open"/> and
/// the <see cref="Close"/> tokens (the spellings of Filtering/ThinkTagFamily.cs); a separated model (<see cref="Open"/>
/// null) sends it apart from the answer, as vLLM's and llama.cpp's reasoning parsers do.
/// </summary>
internal sealed record DemoFlavor(string Id, string? Open, string[] Close, bool Newlines)
{
    /// <summary>The thought goes in a reasoning field (chat), a reasoning item (Responses) or a thinking block (Messages).</summary>
    public bool Separated => Open is null;
}
