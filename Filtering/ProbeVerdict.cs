namespace CotProxy.Filtering;

/// <summary>What <see cref="RawDocumentProbe"/> found may be done with a document without decoding it.</summary>
internal enum ProbeVerdict
{
    /// <summary>Decode and rewrite it (the full path).</summary>
    FullPath,

    /// <summary>Send its own bytes (the root model value spliced when a range is given).</summary>
    Pass,

    /// <summary>Strip mode: all of its text is thought and nothing else in it is payload; send nothing.</summary>
    DropThought,

    /// <summary>Split mode: its content value is all thought; splice it into the reasoning field.</summary>
    MoveThought,

    /// <summary>The same in an Ollama native message, whose reasoning field is "thinking".</summary>
    MoveOllamaThought,
}
