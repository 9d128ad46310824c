namespace CotProxy.Profiles;

/// <summary>The kind of model server behind the proxy: it decides how the thinking switch is spelled in a request.</summary>
internal enum ServerKind
{
    LlamaCpp,
    Vllm,
    SGLang,
    Ollama,
    OpenAi,
}
