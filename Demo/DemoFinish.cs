namespace CotProxy.Demo;

/// <summary>Why the demo model stopped: each API spells it its own way (stop / length / tool_calls, end_turn / max_tokens / tool_use...).</summary>
internal enum DemoFinish
{
    Stop,
    Length,
    ToolCall,
}
