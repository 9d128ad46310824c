using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.EndToEnd;

/// <summary>Model profiles through the real proxy: what the upstream receives for each LLM_PARAMS rule.</summary>
public sealed class ProfilesEndToEndTests
{
    // Written as a user would put it in .env: `\n` is the two-character escape the profile parser decodes.
    private const string LlmParams =
        "model=Typed,temperature=0.7,top_p=0.9,min_p=0.05,max_tokens=512,echo=false,custom=hello,stop=[\"\\n\\n\",\"</s>\"];"
        + "model=Defaults,top_k?=20,temperature?=0.6;"
        + "model=Removals,!seed,!logit_bias;"
        + "model=Nested,chat_template_kwargs.enable_thinking=false;"
        + "model=Qwen3-Clean,upstream_model_name=qwen3:14b,temperature=0.7,top_p=0.8,append_to_last_user_message=\\n\\n/no_think,enable_think_tag_filtering=true;"
        + "model=SuffixOnly,append_to_last_user_message=\\n\\n/no_think;"
        + "model=default,temperature=0.5";

    private static async Task<JsonObject> UpstreamBodyAsync(string json, string path = "/v1/chat/completions", string llmParams = LlmParams)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, llmParams);

        var response = await proxy.PostJsonAsync(path, json);
        Assert.Equal(200, response.Status);
        var received = await upstream.NextAsync();
        return Assert.IsType<JsonObject>(JsonNode.Parse(received.Body));
    }

    private static void AssertNumber(string expectedText, JsonNode? node)
    {
        var value = Assert.IsAssignableFrom<JsonValue>(node);
        Assert.Equal(JsonValueKind.Number, value.GetValueKind());
        Assert.Equal(expectedText, value.ToJsonString());
    }

    [Fact]
    public async Task Override_TypedValues_ArriveAsJsonTypesAndWinOverClient()
    {
        var body = await UpstreamBodyAsync("""{"model":"Typed","temperature":0.2,"echo":true,"messages":[{"role":"user","content":"hi"}]}""");

        AssertNumber("0.7", body["temperature"]);
        AssertNumber("0.9", body["top_p"]);
        AssertNumber("0.05", body["min_p"]);
        AssertNumber("512", body["max_tokens"]);
        Assert.Equal(JsonValueKind.False, body["echo"]!.GetValueKind());
        Assert.Equal("hello", body["custom"]!.GetValue<string>());
        Assert.Equal(["\n\n", "</s>"], body["stop"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal("Typed", body["model"]!.GetValue<string>());
        Assert.Equal("hi", body["messages"]![0]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task WeakDefault_ClientSentNone_DefaultAdded()
    {
        var body = await UpstreamBodyAsync("""{"model":"Defaults","messages":[]}""");

        AssertNumber("20", body["top_k"]);
        AssertNumber("0.6", body["temperature"]);
    }

    [Fact]
    public async Task WeakDefault_ClientSentValue_ClientValueKept()
    {
        var body = await UpstreamBodyAsync("""{"model":"Defaults","top_k":5,"temperature":1.10,"messages":[]}""");

        AssertNumber("5", body["top_k"]);
        AssertNumber("1.10", body["temperature"]);
    }

    [Fact]
    public async Task Removal_KeysClientSent_NotForwarded()
    {
        var body = await UpstreamBodyAsync("""{"model":"Removals","seed":42,"logit_bias":{"50256":-100},"temperature":0.3,"messages":[]}""");

        Assert.False(body.ContainsKey("seed"));
        Assert.False(body.ContainsKey("logit_bias"));
        AssertNumber("0.3", body["temperature"]);
    }

    [Theory]
    [InlineData("""{"model":"Nested","chat_template_kwargs":{"reasoning_effort":"low"}}""", """{"reasoning_effort":"low","enable_thinking":false}""")]
    [InlineData("""{"model":"Nested","chat_template_kwargs":{"enable_thinking":true}}""", """{"enable_thinking":false}""")]
    [InlineData("""{"model":"Nested"}""", """{"enable_thinking":false}""")]
    public async Task NestedOverride_MergedIntoClientObject(string request, string expectedKwargs)
    {
        var body = await UpstreamBodyAsync(request);

        Assert.Equal(expectedKwargs, body["chat_template_kwargs"]!.ToJsonString());
    }

    [Fact]
    public async Task PseudoModel_UpstreamReceivesRealNameAndNoProxyKeys()
    {
        var body = await UpstreamBodyAsync("""{"model":"Qwen3-Clean","temperature":1.0,"messages":[{"role":"user","content":"Write a haiku"}]}""");

        Assert.Equal("qwen3:14b", body["model"]!.GetValue<string>());
        AssertNumber("0.7", body["temperature"]);
        AssertNumber("0.8", body["top_p"]);
        Assert.Equal("Write a haiku\n\n/no_think", body["messages"]![0]!["content"]!.GetValue<string>());

        // Proxy-only keys never reach the model server (vLLM rejects unknown fields with 400).
        foreach (var key in new[] { "upstream_model_name", "append_to_last_user_message", "enable_think_tag_filtering" })
        {
            Assert.False(body.ContainsKey(key), key);
        }
    }

    [Fact]
    public async Task DefaultProfile_RequestNamingNoModel_Applied()
    {
        var body = await UpstreamBodyAsync("""{"messages":[{"role":"user","content":"hi"}]}""");

        AssertNumber("0.5", body["temperature"]);
    }

    [Theory]
    [InlineData(
        """[{"role":"user","content":"Hi"}]""",
        """[{"role":"user","content":"Hi\n\n/no_think"}]""")]
    [InlineData(
        """[{"role":"user","content":"first"},{"role":"assistant","content":"ok"},{"role":"user","content":"second"}]""",
        """[{"role":"user","content":"first"},{"role":"assistant","content":"ok"},{"role":"user","content":"second\n\n/no_think"}]""")]
    [InlineData(
        """[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:,"}},{"type":"text","text":"b"},{"type":"image_url","image_url":{"url":"data:,"}}]}]""",
        """[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:,"}},{"type":"text","text":"b\n\n/no_think"},{"type":"image_url","image_url":{"url":"data:,"}}]}]""")]
    [InlineData(
        """[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:,"}}]}]""",
        """[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:,"}},{"type":"text","text":"\n\n/no_think"}]}]""")]
    [InlineData(
        """[{"role":"user","content":"weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"w","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"sunny"}]""",
        """[{"role":"user","content":"weather?\n\n/no_think"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"w","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"sunny"}]""")]
    [InlineData(
        """[{"role":"user","content":"Q"},{"role":"assistant","content":"Sure,"}]""",
        """[{"role":"user","content":"Q\n\n/no_think"},{"role":"assistant","content":"Sure,"}]""")]
    [InlineData(
        """[{"role":"system","content":"Be brief."}]""",
        """[{"role":"system","content":"Be brief."},{"role":"user","content":"\n\n/no_think"}]""")]
    public async Task PromptSuffix_EachConversationShape_SuffixOnLastUserTurn(string messages, string expected)
    {
        var body = await UpstreamBodyAsync($$"""{"model":"SuffixOnly","messages":{{messages}}}""");

        Assert.Equal(JsonNode.Parse(expected)!.ToJsonString(), body["messages"]!.ToJsonString());
    }

    [Fact]
    public async Task PromptSuffix_AlreadyPresent_BodyForwardedByteForByte()
    {
        const string Body = "{ \"model\": \"SuffixOnly\", \"temperature\": 0.70, \"messages\": [ {\"role\": \"user\", \"content\": \"Hi\\n\\n/no_think\"} ] }";
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, LlmParams);

        await proxy.PostJsonAsync("/v1/chat/completions", Body);

        Assert.Equal(Body, (await upstream.NextAsync()).BodyText);
    }

    [Theory]
    [InlineData("/v1/completions")]
    [InlineData("/api/generate")]
    public async Task PromptSuffix_PromptEndpoints_Appended(string path)
    {
        var body = await UpstreamBodyAsync("""{"model":"SuffixOnly","prompt":"Tell me a joke"}""", path);

        Assert.Equal("Tell me a joke\n\n/no_think", body["prompt"]!.GetValue<string>());
    }

    [Fact]
    public async Task PromptSuffix_OllamaNativeChat_Appended()
    {
        var body = await UpstreamBodyAsync("""{"model":"SuffixOnly","messages":[{"role":"user","content":"hi"}],"stream":false}""", "/api/chat");

        Assert.Equal("hi\n\n/no_think", body["messages"]![0]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnmatchedModel_ForwardedByteForByte()
    {
        const string Body = "{\"model\" : \"gpt-4o\",\n  \"temperature\":  1.0E0, \"top_k\": 40, \"messages\": [{\"role\":\"user\",\"content\":\"\\u00e9\u00e9\"}] }\n";
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, LlmParams);

        var response = await proxy.PostJsonAsync("/v1/chat/completions", Body);

        Assert.Equal(200, response.Status);
        Assert.Equal(Encoding.UTF8.GetBytes(Body), (await upstream.NextAsync()).Body);
    }

    [Fact]
    public async Task Embeddings_MatchingWildcardProfile_NotRewritten()
    {
        const string Body = """{"model":"text-embedding-3-small","input":"hello",  "encoding_format":"float"}""";
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, "model=*,temperature=0.7,top_k?=20");

        var response = await proxy.PostJsonAsync("/v1/embeddings", Body);
        var received = await upstream.NextAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("/v1/embeddings", received.Target);
        Assert.Equal(Body, received.BodyText);
    }

    [Fact]
    public async Task WildcardProfile_AnyOtherModel_Rewritten()
    {
        var body = await UpstreamBodyAsync("""{"model":"llama3","messages":[]}""", llmParams: "model=*,temperature=0.7;model=Other,temperature=0.1");

        AssertNumber("0.7", body["temperature"]);
    }

    [Fact]
    public async Task MatchedProfile_BodyWithUtf8Bom_Rewritten()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, LlmParams);
        byte[] body = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("""{"model":"Typed","messages":[]}""")];

        var response = await proxy.SendAsync("POST", "/v1/chat/completions", "Content-Type: application/json\r\n", body);

        Assert.Equal(200, response.Status);
        AssertNumber("0.7", JsonNode.Parse((await upstream.NextAsync()).Body)!["temperature"]);
    }
}
