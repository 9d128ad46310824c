using System.Text;
using CotProxy.Profiles;
using static CotProxy.Tests.Profiles.ProfileTestHelper;

namespace CotProxy.Tests.Profiles;

/// <summary>
/// What a rewrite allocates, counted with <see cref="GC.GetAllocatedBytesForCurrentThread"/> around one call (not timed):
/// the new body and a small constant, never a tree of the old one or a buffer per property.
/// </summary>
public sealed class RequestRewriterMemoryTests
{
    private const string Profile = @"model=m,upstream_model_name=qwen3:14b,temperature=0.7,top_k?=20,!seed,chat_template_kwargs.enable_thinking=false,append_to_last_user_message=\n\n/no_think";

    [Fact]
    public void TryRewrite_FourMiBBody_AllocatesAboutTheBodySize()
    {
        byte[] body = FourMiBConversation();
        ModelProfile profile = Single(Profile);

        // The first call pays for the JIT, static fields and the pools' first arrays; the second is counted.
        Rewrite(body, profile);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int written = Rewrite(body, profile);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.InRange(written, body.Length, body.Length + (64 * 1024));
        Assert.True(
            allocated <= (body.Length * 1.2) + (64 * 1024),
            $"a rewrite of a {body.Length}-byte body allocated {allocated} bytes ({(double)allocated / body.Length:0.00}x)");
    }

    [Fact]
    public void TryRewrite_ManySmallMessages_NoAllocationPerProperty()
    {
        // 20,000 messages of three properties each: a per-property allocation of even 24 bytes would show as 1.4 MB.
        var builder = new StringBuilder("""{"model":"m","seed":1,"messages":[""");
        for (int i = 0; i < 20_000; i++)
        {
            builder.Append(i == 0 ? "" : ",").Append("{\"role\":\"user\",\"content\":\"turn\\n\\\"é\\\" 😀\",\"name\":\"n\"}");
        }

        byte[] body = Encoding.UTF8.GetBytes(builder.Append("]}").ToString());
        ModelProfile profile = Single(Profile);
        Rewrite(body, profile);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Rewrite(body, profile);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated <= (body.Length * 1.2) + (64 * 1024), $"a rewrite of a {body.Length}-byte body allocated {allocated} bytes");
    }

    private static int Rewrite(byte[] body, ModelProfile profile)
    {
        Assert.True(RequestRewriter.TryRewrite(body, profile, null, out PooledByteBuffer? rewritten));
        using (rewritten)
        {
            return rewritten.Length;
        }
    }

    /// <summary>A 4 MiB chat body: a long history of escaped, non-ASCII turns and one long pasted document.</summary>
    private static byte[] FourMiBConversation()
    {
        const int Size = 4 * 1024 * 1024;
        var builder = new StringBuilder("""{"model":"m","temperature":1,"seed":5,"messages":[{"role":"system","content":"be brief"}""");
        for (int i = 0; i < 2000; i++)
        {
            builder.Append(",{\"role\":\"user\",\"content\":\"Frage \\\"").Append(i)
                .Append("\\\": Größe? 東京\\n\"},{\"role\":\"assistant\",\"content\":\"Antwort: ça va 😀\\t\\u00e9\"}");
        }

        builder.Append(",{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"");
        const string Tail = "\"}]}]}";
        const string Line = "Der Bericht sagt: \\\"Die Größe zählt\\\" — café, naïve, 東京.\\nThe quick brown fox; 3.14 ≈ π.\\n";
        int length = Encoding.UTF8.GetByteCount(builder.ToString());
        int lineLength = Encoding.UTF8.GetByteCount(Line);
        while (length + lineLength + Tail.Length <= Size)
        {
            builder.Append(Line);
            length += lineLength;
        }

        builder.Append(' ', Size - length - Tail.Length).Append(Tail);
        byte[] body = Encoding.UTF8.GetBytes(builder.ToString());
        Assert.Equal(Size, body.Length);
        return body;
    }
}
