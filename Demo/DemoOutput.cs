using System.Text;

namespace CotProxy.Demo;

/// <summary>What the demo model writes for one request: its tokens in order, perhaps a tool call, and why it stopped.</summary>
internal sealed class DemoOutput(List<DemoPiece> pieces, DemoToolCall? toolCall, DemoFinish finish)
{
    public List<DemoPiece> Pieces { get; } = pieces;

    public DemoToolCall? ToolCall { get; } = toolCall;

    public DemoFinish Finish { get; } = finish;

    /// <summary>The separated thought (null when the model writes its thought in the text, or wrote none).</summary>
    public string? Reasoning => Join(reasoning: true);

    /// <summary>The answer text, with a tag model's thought in it (null when there is none, as beside a separated thought and a tool call).</summary>
    public string? Content => Join(reasoning: false);

    public int ReasoningTokens => Pieces.Count(p => p.Reasoning);

    private string? Join(bool reasoning)
    {
        StringBuilder? text = null;
        foreach (var piece in Pieces)
        {
            if (piece.Reasoning == reasoning)
            {
                (text ??= new StringBuilder()).Append(piece.Text);
            }
        }

        return text?.ToString();
    }
}
