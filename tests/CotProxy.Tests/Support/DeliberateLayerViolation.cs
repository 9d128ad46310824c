using CotProxy.Api;

// Deliberately in the server's namespace and using the API layer, which the server may not: ArchitectureTests checks
// that its rule reports this type. Nothing else uses it.
namespace CotProxy.Http.Server;

internal static class DeliberateLayerViolation
{
    public static string ErrorType => OpenAiErrorWriter.TypeFor(500);
}
