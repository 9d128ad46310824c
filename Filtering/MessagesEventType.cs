namespace CotProxy.Filtering;

/// <summary>The "type" of one event of an Anthropic Messages stream (the docs' "Streaming messages", event types).</summary>
internal enum MessagesEventType
{
    /// <summary>A type this filter does not know, or none.</summary>
    Unknown,
    MessageStart,
    ContentBlockStart,
    ContentBlockDelta,
    ContentBlockStop,
    MessageDelta,
    MessageStop,
    Ping,
    Error,

    /// <summary>"message": a whole message (a body's shape) where a stream's event was expected, e.g. a body read as JSON lines.</summary>
    Message,
}
