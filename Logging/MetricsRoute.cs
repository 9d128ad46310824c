namespace CotProxy.Logging;

/// <summary>The <c>route</c> label of <c>cot_proxy_requests_total</c>: a small fixed set, so the series stay bounded.</summary>
internal enum MetricsRoute
{
    Other,
    ChatCompletions,
    Completions,
    Responses,
    Messages,
    OllamaChat,
    OllamaGenerate,
    Models,
    Health,
    Metrics,
}
