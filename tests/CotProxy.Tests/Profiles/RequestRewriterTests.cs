using System.Text;
using System.Text.Json;
using static CotProxy.Tests.Profiles.ProfileTestHelper;
using CotProxy.Profiles;

namespace CotProxy.Tests.Profiles;

public sealed class RequestRewriterTests
{
    [Fact]
    public void Rewrite_TypedOverride_ReplacesClientValueInPlace()
    {
        string body = Rewrite("model=m,temperature=0.7,top_k=20,stream=false", """{"model":"m","temperature":0.2,"top_k":"5","stream":true,"messages":[]}""");

        Assert.Equal("""{"model":"m","temperature":0.7,"top_k":20,"stream":false,"messages":[]}""", body);
    }

    [Fact]
    public void Rewrite_OverrideOfMissingKey_Added()
    {
        Assert.Equal(
            """{"model":"m","min_p":0.05,"repetition_penalty":1.10}""",
            Rewrite("model=m,min_p=0.05,repetition_penalty=1.10", """{"model":"m"}"""));
    }

    [Fact]
    public void Rewrite_ClientNumbers_KeepTheirExactText()
    {
        string body = Rewrite("model=m,top_k=1", """{"model":"m","top_p":0.950,"x":1e3,"big":12345678901234567890123,"neg":-0.0,"nested":{"f":1.10}}""");

        Assert.Equal("""{"model":"m","top_p":0.950,"x":1e3,"big":12345678901234567890123,"neg":-0.0,"nested":{"f":1.10},"top_k":1}""", body);
    }

    [Fact]
    public void Rewrite_UntypedValues_SentWithTheirJsonTypes()
    {
        string body = Rewrite(
            "model=m,min_p=0.05,flag=true,gone=null,label=hi,stop=[\"\\n\\n\",\"</s>\"],kw={\"enable_thinking\":false}",
            """{"model":"m"}""");

        Assert.Equal("""{"model":"m","min_p":0.05,"flag":true,"gone":null,"label":"hi","stop":["\n\n","</s>"],"kw":{"enable_thinking":false}}""", body);
    }

    [Fact]
    public void Rewrite_WeakDefault_OnlyWhenClientSentNone()
    {
        const string Profile = "model=m,top_k?=20,temperature?=0.6,seed?=1";

        Assert.Equal(
            """{"model":"m","top_k":40,"seed":null,"temperature":0.6}""",
            Rewrite(Profile, """{"model":"m","top_k":40,"seed":null}"""));
    }

    [Fact]
    public void Rewrite_Removal_RemovesKeyOnlyWhenPresent()
    {
        Assert.Equal("""{"model":"m","top_p":1}""", Rewrite("model=m,!seed,!logit_bias", """{"model":"m","seed":42,"top_p":1}"""));
    }

    [Fact]
    public void Rewrite_NestedOverride_MergedIntoClientObject()
    {
        string body = Rewrite(
            "model=m,chat_template_kwargs.enable_thinking=false",
            """{"model":"m","chat_template_kwargs":{"custom":1,"enable_thinking":true}}""");

        Assert.Equal("""{"model":"m","chat_template_kwargs":{"custom":1,"enable_thinking":false}}""", body);
    }

    [Fact]
    public void Rewrite_NestedOverrideWithoutParent_CreatesObjects()
    {
        Assert.Equal(
            """{"model":"m","options":{"num_ctx":8192,"deep":{"x":"y"}}}""",
            Rewrite("model=m,options.num_ctx=8192,options.deep.x=y", """{"model":"m"}"""));
    }

    [Fact]
    public void Rewrite_NestedOverrideOverNonObject_ReplacesIt()
    {
        Assert.Equal(
            """{"model":"m","options":{"num_ctx":8192}}""",
            Rewrite("model=m,options.num_ctx=8192", """{"model":"m","options":"fast"}"""));
    }

    [Fact]
    public void Rewrite_NestedDefault_KeepsClientValueAndNonObjects()
    {
        const string Profile = "model=m,chat_template_kwargs.enable_thinking?=false";

        Assert.Equal(
            """{"model":"m","chat_template_kwargs":{"enable_thinking":true}}""",
            Rewrite(Profile, """{"model":"m","chat_template_kwargs":{"enable_thinking":true}}"""));
        Assert.Equal(
            """{"model":"m","chat_template_kwargs":{"other":1,"enable_thinking":false}}""",
            Rewrite(Profile, """{"model":"m","chat_template_kwargs":{"other":1}}"""));
        Assert.Equal(
            """{"model":"m","chat_template_kwargs":null}""",
            Rewrite(Profile, """{"model":"m","chat_template_kwargs":null}"""));
        Assert.Equal(
            """{"model":"m","chat_template_kwargs":{"enable_thinking":false}}""",
            Rewrite(Profile, """{"model":"m"}"""));
    }

    [Fact]
    public void Rewrite_NestedRemoval_RemovesOnlyThatField()
    {
        Assert.Equal(
            """{"model":"m","options":{"num_ctx":4096}}""",
            Rewrite("model=m,!options.seed,!absent.field", """{"model":"m","options":{"num_ctx":4096,"seed":3}}"""));
    }

    [Fact]
    public void Rewrite_PseudoModel_ForwardsUpstreamName()
    {
        Assert.Equal(
            """{"model":"qwen3:14b","messages":[]}""",
            Rewrite("model=Qwen3-Clean,upstream_model_name=qwen3:14b", """{"model":"Qwen3-Clean","messages":[]}"""));
    }

    [Fact]
    public void Rewrite_DefaultProfileWithUpstreamNameAndNoModel_SetsModel()
    {
        Assert.Equal(
            """{"messages":[],"model":"qwen3:14b"}""",
            Rewrite("model=default,upstream_model_name=qwen3:14b", """{"messages":[]}"""));
    }

    [Fact]
    public void Rewrite_SpecialKeys_NeverForwarded()
    {
        string body = Rewrite(
            "model=m,temperature=0.1,enable_think_tag_filtering=true,think_tag_start=<t>,think_tag_end=</t>,think_mode=split,think_starts_open=true,reasoning_field=reasoning",
            """{"model":"m"}""");

        Assert.Equal("""{"model":"m","temperature":0.1}""", body);
    }

    [Theory]
    [InlineData("model=m,top_k?=20,!seed")]
    [InlineData("model=m,top_p=1")]
    [InlineData("model=m,kw.a=true")]
    public void Rewrite_NothingToChange_OriginalBytesExactly(string llmParams)
    {
        byte[] original = Encoding.UTF8.GetBytes("{ \"model\" : \"m\",\n  \"top_k\": 40, \"top_p\": 1, \"kw\": {\"a\" : true}, \"x\": \"\\u00e9\" }");

        Assert.Equal(original, RequestRewriter.Rewrite(original, Single(llmParams)));
    }

    [Fact]
    public void Rewrite_ProfileWithoutRequestChanges_OriginalBytesExactly()
    {
        byte[] original = Encoding.UTF8.GetBytes("{\"model\":\"m\" , \"temperature\":0.20}");

        Assert.Equal(original, RequestRewriter.Rewrite(original, Single("model=m,think_mode=keep")));
    }

    [Fact]
    public void Rewrite_NonAscii_StaysUtf8()
    {
        string body = Rewrite("model=m,label=héllo", """{"model":"m","messages":[{"role":"user","content":"ça va? 日本 \u00e9 <b>"}]}""");

        Assert.Equal("""{"model":"m","messages":[{"role":"user","content":"ça va? 日本 é <b>"}],"label":"héllo"}""", body);
    }

    [Fact]
    public void Rewrite_CharacterOutsideBasicPlane_WrittenAsJsonEscapePair()
    {
        // System.Text.Json's encoders, the relaxed one included, always escape characters above
        // U+FFFF: the emoji arrives as the same JSON string, spelled as a surrogate-pair escape.
        string body = Rewrite("model=m,top_k=1", """{"model":"m","content":"😀"}""");

        Assert.Equal("""{"model":"m","content":"\uD83D\uDE00","top_k":1}""", body);
    }

    [Fact]
    public void Rewrite_Changes_OneLinePerChange()
    {
        var changes = new List<string>();

        Rewrite(
            "model=Qwen3-Clean,upstream_model_name=qwen3:14b,temperature=0.7,top_k?=20,!seed,append_to_last_user_message=\\n\\n/no_think",
            """{"model":"Qwen3-Clean","temperature":1,"seed":5,"messages":[{"role":"user","content":"hi"}]}""",
            changes);

        Assert.Equal(
            [
                "temperature: 1 → 0.7 (override)",
                "top_k: set 20 (default; client sent none)",
                "seed: removed (client sent 5)",
                "model: \"Qwen3-Clean\" → \"qwen3:14b\" (upstream_model_name)",
                "messages[0].content: appended \"\\n\\n/no_think\"",
            ],
            changes);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("null")]
    public void Rewrite_BodyNotAnObject_ThrowsJsonException(string body)
    {
        Assert.ThrowsAny<JsonException>(() => RequestRewriter.Rewrite(Encoding.UTF8.GetBytes(body), Single("model=m,top_k=1")));
    }

    [Fact]
    public void Rewrite_DuplicatePropertyNames_ThrowsJsonException()
    {
        // Servers disagree on which duplicate wins (RFC 8259 §4 leaves it open): overriding one
        // "model" while upstream reads the other would defeat the profile, so it is refused.
        byte[] body = Encoding.UTF8.GetBytes("""{"model":"m","temperature":1,"temperature":2}""");

        Assert.ThrowsAny<JsonException>(() => RequestRewriter.Rewrite(body, Single("model=m,temperature=0.5")));
    }
}
