using CotProxy.Api;
using CotProxy.Filtering;
using CotProxy.Profiles;

namespace CotProxy.Tests.Api;

/// <summary>Which filter a stored response (GET /v1/responses/{id}) gets, from the model it names.</summary>
public sealed class StoredResponsePolicyTests
{
    [Theory]
    [InlineData("/v1/responses/resp_1", true)]
    [InlineData("/prefix/v1/responses/resp_1", true)]
    [InlineData("/v1/responses", false)]
    [InlineData("/v1/responses/", false)]
    [InlineData("/v1/responses/resp_1/input_items", false)]
    [InlineData("/v1/responses/resp_1/cancel", false)]
    [InlineData("/v1/chat/completions", false)]
    public void IsStoredResponse_OneSegmentAfterResponses_Only(string path, bool expected) =>
        Assert.Equal(expected, GenerationEndpoints.IsStoredResponse(path));

    [Fact]
    public void Strictest_AnyProfileStrips_Strip()
    {
        var set = ProfileSet.Parse("model=a,think_mode=split;model=b,think_mode=strip;model=c,think_mode=keep", []);
        var policy = new ResponsePolicy(set, false, null, null);

        Assert.Equal(ThinkMode.Strip, policy.Strictest!.Mode);
        Assert.Equal(ThinkMode.Strip, policy.ForStored(set, null)!.Mode);
    }

    [Fact]
    public void Strictest_NoFilteringConfigured_Null()
    {
        var set = ProfileSet.Parse("model=a,temperature=1;model=b,upstream_model_name=x", []);

        Assert.Null(new ResponsePolicy(set, false, null, null).Strictest);
    }

    [Fact]
    public void ForStored_ModelTwoPseudoModelsRenameTo_TheStricterOfThem()
    {
        var set = ProfileSet.Parse("model=open,upstream_model_name=m,think_mode=keep;model=clean,upstream_model_name=m,think_mode=strip;model=solo,upstream_model_name=s,think_mode=split", []);
        var policy = new ResponsePolicy(set, false, null, null);

        Assert.Equal(ThinkMode.Strip, policy.ForStored(set, "m")!.Mode);
        Assert.Equal("solo", policy.ForStored(set, "s")!.ClientModelName);
        Assert.Null(policy.ForStored(set, "unknown"));
    }
}
