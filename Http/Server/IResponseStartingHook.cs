namespace CotProxy.Http.Server;

/// <summary>The last word on a response's headers, given just before its head is written, whoever started it.</summary>
internal interface IResponseStartingHook
{
    /// <summary>Changes <paramref name="response"/>'s <see cref="HttpResponse.Headers"/>; must not write.</summary>
    void OnStarting(HttpRequest request, HttpResponse response);
}
