namespace CotProxy.Filtering;

/// <summary>What one Responses API document is, by its "type" (OpenAI's streaming events reference).</summary>
internal enum ResponsesEventKind
{
    /// <summary>A type this filter does not know: passes as it came unless it belongs to a hidden item.</summary>
    Other,

    /// <summary>A whole response (a non-streamed body): its "output" array at the root.</summary>
    Body,

    /// <summary>response.created, in_progress, completed, incomplete, failed, queued: a "response" object inside.</summary>
    ResponseObject,

    /// <summary>response.output_item.added.</summary>
    ItemAdded,

    /// <summary>response.output_item.done.</summary>
    ItemDone,

    /// <summary>response.content_part.added and .done: a "part" object.</summary>
    ContentPart,

    /// <summary>response.output_text.delta.</summary>
    TextDelta,

    /// <summary>response.output_text.done: the part's whole "text".</summary>
    TextDone,

    /// <summary>response.reasoning_text.*, response.reasoning_summary_text.*, response.reasoning_summary_part.*: the server's separated thought.</summary>
    Reasoning,
}
