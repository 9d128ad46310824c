using System.Buffers;
using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

/// <summary>The fast path says yes only when the full path would change nothing (but the model name).</summary>
public sealed class RawDocumentProbeTests
{
    private const string Steady = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\" more\"},\"finish_reason\":null}]}";

    [Theory]
    [InlineData(Steady)]
    [InlineData("{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\\nb\\t\\/\"},\"finish_reason\":null}]}")]
    [InlineData("{\"id\":\"x\",\"choices\":[],\"usage\":{\"total_tokens\":3}}")]
    [InlineData("{\"choices\": [{\"index\": 0, \"delta\": {\"content\": \" more\"}}]}")]
    // Mistral's [THINK] begins with a byte JSON uses for arrays: outside a string it is structure.
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a \\n b\",\"x\":[[1],[]]}}],\"y\":\"z\"}")]
    public void CanPass_TagFreeEventOfSteadyChoice_True(string json)
    {
        Assert.True(Probe(json));
    }

    [Theory]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a<b\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\u0061\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\\"q\\\"\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\",\"reasoning_content\":null}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\",\"reasoning\":\"r\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}")]
    [InlineData("{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"x\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}},{\"delta\":{\"content\":\"y\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}, {\"delta\":{\"content\":\"y\"}}]}")]
    [InlineData("{\"choices\":[{\"index\" :0,\"delta\":{\"content\" : \"x\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":-1,\"delta\":{\"content\":\"x\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"text\":\"x\"}]}")]
    [InlineData("{\"message\":{\"content\":\"x\"},\"done\":false}")]
    [InlineData("{\"response\":\"x\",\"done\":true}")]
    [InlineData("{\"thinking\":\"x\"}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a [b\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\n[\"}}]}")]
    [InlineData("{\"x\":\"q\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"[/THINK]\"}}]}")]
    public void CanPass_EventTheFullPathMustSee_False(string json)
    {
        Assert.False(Probe(json));
    }

    [Fact]
    public void CanPass_StartsOpenAndNothingSteadyYet_False()
    {
        using var context = new JsonRewriteContext(new ResponseRewriteOptions { StartsOpen = true }, streaming: true);
        var probe = new RawDocumentProbe(new ResponseRewriteOptions { StartsOpen = true });
        Assert.False(probe.CanPass(Encoding.UTF8.GetBytes(Steady), context, out _, out _));
    }

    [Theory]
    [InlineData("{\"model\":\"up\",\"choices\":[]}", 9, 4)]
    [InlineData("{\"model\":\"alias\",\"choices\":[]}", 0, 0)]
    [InlineData("{\"x\":{\"model\":\"inner\"},\"choices\":[]}", 0, 0)]
    [InlineData("{\"x\":\"{\",\"model\":\"up\"}", 17, 4)]
    public void CanPass_ModelName_OnlyTheRootValueSpliced(string json, int at, int length)
    {
        using var context = new JsonRewriteContext(new ResponseRewriteOptions(), streaming: true);
        var probe = new RawDocumentProbe(new ResponseRewriteOptions { ClientModelName = "alias" });
        Assert.True(probe.CanPass(Encoding.UTF8.GetBytes(json), context, out int modelAt, out int modelLength));
        Assert.Equal((at, length), (modelAt, modelLength));
    }

    [Fact]
    public void CanPass_TwoModelNames_False()
    {
        using var context = new JsonRewriteContext(new ResponseRewriteOptions(), streaming: true);
        var probe = new RawDocumentProbe(new ResponseRewriteOptions { ClientModelName = "alias" });
        Assert.False(probe.CanPass("{\"model\":\"a\",\"model\":\"b\"}"u8, context, out _, out _));
    }

    /// <summary>Choice 0 is in its answer, past its start, holding nothing.</summary>
    private static bool Probe(string json)
    {
        var options = new ResponseRewriteOptions();
        using var context = new JsonRewriteContext(options, streaming: true);
        context.GetChoice(0).Content.Process("Answer"u8, new ArrayBufferWriter<byte>(), null);
        var probe = new RawDocumentProbe(options);
        return probe.CanPass(Encoding.UTF8.GetBytes(json), context, out _, out _);
    }
}
