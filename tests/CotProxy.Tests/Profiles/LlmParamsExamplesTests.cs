using static CotProxy.Tests.Profiles.ProfileTestHelper;
using CotProxy.Profiles;

namespace CotProxy.Tests.Profiles;

/// <summary>The configurations users copy: the original's .env example and the Qwen3 thinking / non-thinking pair.</summary>
public sealed class LlmParamsExamplesTests
{
    // Qwen3's model card: thinking mode temperature 0.6, top_p 0.95; non-thinking 0.7, 0.8; both
    // top_k 20, min_p 0; "/think" and "/no_think" in the user turn switch the mode.
    private const string Qwen3Pair =
        @"model=Qwen3-Thinking,upstream_model_name=qwen3:14b,temperature=0.6,top_p=0.95,top_k=20,min_p=0,append_to_last_user_message=\n\n/think,think_mode=split;"
        + @"model=Qwen3-Clean,upstream_model_name=qwen3:14b,temperature=0.7,top_p=0.8,top_k=20,min_p=0,append_to_last_user_message=\n\n/no_think";

    [Fact]
    public void OriginalEnvExample_ParsesAsWritten()
    {
        ModelProfile profile = Single("model=default,temperature=0.7,think_tag_start=<default_think>,think_tag_end=</default_think>");

        Assert.Equal("default", profile.Name);
        Assert.Equal("<default_think>", profile.ThinkTagStart);
        Assert.Equal("</default_think>", profile.ThinkTagEnd);
        Assert.Equal("default; temperature=0.7 (number), think_tag_start \"<default_think>\", think_tag_end \"</default_think>\"", profile.Describe());
    }

    [Fact]
    public void Qwen3Pair_DescribedAtStartUp()
    {
        ProfileSet set = Parse(Qwen3Pair);

        Assert.Equal(
            [
                "Qwen3-Thinking → upstream qwen3:14b; temperature=0.6 (number), top_p=0.95 (number), top_k=20 (number), min_p=0 (number), append \"\\n\\n/think\", think_mode split",
                "Qwen3-Clean → upstream qwen3:14b; temperature=0.7 (number), top_p=0.8 (number), top_k=20 (number), min_p=0 (number), append \"\\n\\n/no_think\"",
            ],
            set.Profiles.Select(p => p.Describe()));
    }

    [Fact]
    public void Qwen3Pair_CleanRequestRewritten()
    {
        ModelProfile clean = Parse(Qwen3Pair).Find("Qwen3-Clean")!;
        byte[] body = System.Text.Encoding.UTF8.GetBytes("""{"model":"Qwen3-Clean","temperature":1,"messages":[{"role":"user","content":"Hello!"}],"stream":true}""");

        string rewritten = System.Text.Encoding.UTF8.GetString(RequestRewriter.Rewrite(body, clean));

        Assert.Equal(
            """{"model":"qwen3:14b","temperature":0.7,"messages":[{"role":"user","content":"Hello!\n\n/no_think"}],"stream":true,"top_p":0.8,"top_k":20,"min_p":0}""",
            rewritten);
    }
}
