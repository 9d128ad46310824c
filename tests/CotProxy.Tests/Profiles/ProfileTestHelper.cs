using System.Text;
using CotProxy.Profiles;

namespace CotProxy.Tests.Profiles;

internal static class ProfileTestHelper
{
    /// <summary>Parses LLM_PARAMS that must give no warnings.</summary>
    public static ProfileSet Parse(string llmParams)
    {
        var warnings = new List<string>();
        ProfileSet set = ProfileSet.Parse(llmParams, warnings);
        Assert.Empty(warnings);
        return set;
    }

    public static ModelProfile Single(string llmParams) => Assert.Single(Parse(llmParams).Profiles);

    public static string ParseError(string llmParams) =>
        Assert.Throws<ProfileParseException>(() => ProfileSet.Parse(llmParams, new List<string>())).Message;

    public static string Rewrite(string llmParams, string body, List<string>? changes = null) =>
        Encoding.UTF8.GetString(RequestRewriter.Rewrite(Encoding.UTF8.GetBytes(body), Single(llmParams), changes));
}
