using System.Text;
using static CotProxy.Tests.Profiles.ProfileTestHelper;
using CotProxy.Profiles;

namespace CotProxy.Tests.Profiles;

public sealed class ModelsListTests
{
    // Shape of llama.cpp's and vLLM's GET /v1/models: OpenAI's list object, extra fields per entry.
    private const string Upstream = """{"object":"list","data":[{"id":"qwen3:14b","object":"model","created":1700000000,"owned_by":"library","root":"/models/q"},{"id":"llama3","object":"model","created":1,"owned_by":"meta"}]}""";

    private const string Profiles = "model=default,temperature=0.5;model=*,top_k=20;"
        + "model=Qwen3-Clean,upstream_model_name=qwen3:14b;model=Qwen3-Thinking,upstream_model_name=qwen3:14b;"
        + "model=Elsewhere,upstream_model_name=not-listed;model=llama3,temperature=0.1";

    private static string? Merge(string upstream, string llmParams)
    {
        byte[]? merged = ModelsList.Merge(Encoding.UTF8.GetBytes(upstream), Parse(llmParams));
        return merged is null ? null : Encoding.UTF8.GetString(merged);
    }

    private static string? Describe(string id, string upstream, string llmParams)
    {
        byte[]? model = ModelsList.Describe(id, Encoding.UTF8.GetBytes(upstream), Parse(llmParams));
        return model is null ? null : Encoding.UTF8.GetString(model);
    }

    [Fact]
    public void Merge_PseudoModels_AppendedAfterUpstreamCopyingMetadata()
    {
        Assert.Equal(
            """{"object":"list","data":["""
            + """{"id":"qwen3:14b","object":"model","created":1700000000,"owned_by":"library","root":"/models/q"},"""
            + """{"id":"llama3","object":"model","created":1,"owned_by":"meta"},"""
            + """{"id":"Qwen3-Clean","object":"model","created":1700000000,"owned_by":"library","root":"/models/q"},"""
            + """{"id":"Qwen3-Thinking","object":"model","created":1700000000,"owned_by":"library","root":"/models/q"},"""
            + """{"id":"Elsewhere","object":"model","created":0,"owned_by":"cot-proxy"}]}""",
            Merge(Upstream, Profiles));
    }

    [Fact]
    public void Merge_ProfileNamedLikeUpstreamModel_NotListedTwice()
    {
        string merged = Merge(Upstream, "model=llama3,temperature=0.1;model=qwen3:14b,top_k=1")!;

        Assert.Equal(Upstream, merged);
    }

    [Fact]
    public void Merge_UpstreamDuplicates_FirstKept()
    {
        Assert.Equal(
            """{"object":"list","data":[{"id":"a","n":1},{"id":"b"},{"id":"P","object":"model","created":0,"owned_by":"cot-proxy"}]}""",
            Merge("""{"object":"list","data":[{"id":"a","n":1},{"id":"b"},{"id":"a","n":2}]}""", "model=P,top_k=1"));
    }

    [Fact]
    public void Merge_NothingToAdd_UpstreamBytesUnchanged()
    {
        const string Spaced = """{ "object": "list", "data": [ {"id": "a", "created": 1.50} ] }""";

        Assert.Equal(Spaced, Merge(Spaced, "model=default,top_k=1;model=*,top_k=2;model=a,top_k=3"));
        Assert.Equal(Spaced, Merge(Spaced, string.Empty));
    }

    [Fact]
    public void Merge_OtherTopLevelFields_Kept()
    {
        // llama.cpp's /v1/models also carries an Ollama-style "models" array next to "data".
        Assert.Equal(
            """{"models":[{"name":"a"}],"object":"list","data":[{"id":"a"},{"id":"P","object":"model","created":0,"owned_by":"cot-proxy"}]}""",
            Merge("""{"models":[{"name":"a"}],"object":"list","data":[{"id":"a"}]}""", "model=P,top_k=1"));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"models":[{"name":"a"}]}""")]
    [InlineData("""{"data":{"id":"a"}}""")]
    [InlineData("""{"error":{"message":"boom"}}""")]
    [InlineData("""{"data":[],"data":[]}""")]
    [InlineData("")]
    public void Merge_NotAnOpenAiList_Null(string upstream)
    {
        Assert.Null(Merge(upstream, "model=P,top_k=1"));
    }

    [Fact]
    public void Describe_PseudoModel_CopiesUpstreamEntryUnderItsOwnId()
    {
        Assert.Equal(
            """{"id":"Qwen3-Clean","object":"model","created":1700000000,"owned_by":"library","root":"/models/q"}""",
            Describe("Qwen3-Clean", Upstream, Profiles));
    }

    [Fact]
    public void Describe_PseudoModelNotListedUpstream_MinimalModelObject()
    {
        const string Minimal = """{"id":"Elsewhere","object":"model","created":0,"owned_by":"cot-proxy"}""";

        Assert.Equal(Minimal, Describe("Elsewhere", Upstream, Profiles));
        Assert.Equal(Minimal, Describe("Elsewhere", "not json", Profiles));
        Assert.Equal(Minimal, Describe("Elsewhere", string.Empty, Profiles));
    }

    [Theory]
    [InlineData("default")]
    [InlineData("*")]
    [InlineData("unknown")]
    [InlineData("qwen3-clean")]
    public void Describe_NotAPseudoModel_Null(string id)
    {
        Assert.Null(Describe(id, Upstream, Profiles));
    }

    [Fact]
    public void Describe_ProfileForRealUpstreamModel_CopiesItsOwnEntry()
    {
        Assert.Equal(
            """{"id":"llama3","object":"model","created":1,"owned_by":"meta"}""",
            Describe("llama3", Upstream, Profiles));
    }
}
