using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using CotProxy.Tests.Support;
using OpenAI;
using OpenAI.Chat;
using CotProxy.Demo;

namespace CotProxy.Tests.Integration.EndToEnd;

/// <summary>
/// The official OpenAI .NET SDK as the client, through the proxy, to the demo reasoning model: what an application
/// built on the SDK gets is exactly the answer, parsed chunk by chunk by the SDK's own SSE reader.
/// </summary>
public sealed class OpenAiSdkTests
{
    private const string Prompt = "Why is the sky blue?";

    // demo_token_delay_ms=0 goes upstream through the profile (an ordinary LLM_PARAMS entry), so the demo answers at once.
    private const string StripProfile = $"model={DemoModel.ModelId},demo_token_delay_ms=0,think_mode=strip";

    [Fact]
    public async Task Streaming_StripMode_AssemblesExactlyTheAnswer()
    {
        await using var pair = ProxyPair.Start(new DemoHandler(), StripProfile);
        var client = CreateClient(pair, DemoModel.ModelId);

        var text = new StringBuilder();
        var updates = 0;
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage(Prompt)], new ChatCompletionOptions()))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal(DemoModel.Answer(Prompt), text.ToString());
        Assert.True(updates > 10, $"the answer arrived in {updates} updates, not streamed token by token");
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
    }

    [Fact]
    public async Task NonStreaming_StripMode_ContentIsExactlyTheAnswer()
    {
        await using var pair = ProxyPair.Start(new DemoHandler(), StripProfile);
        var client = CreateClient(pair, DemoModel.ModelId);

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage(Prompt)]);

        Assert.Equal(DemoModel.Answer(Prompt), Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(DemoModel.ModelId, completion.Model);
    }

    [Fact]
    public async Task Streaming_TruncatedInsideThought_NoTextButFinishReasonLength()
    {
        // max_tokens=5 stops the demo inside its think block (finish_reason "length"): strip mode drops the open block.
        await using var pair = ProxyPair.Start(new DemoHandler(), StripProfile + ",max_tokens=5");
        var client = CreateClient(pair, DemoModel.ModelId);

        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage(Prompt)]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal("", text.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
    }

    [Fact]
    public async Task PseudoModel_StreamingAndWhole_ModelNameIsThePseudoName()
    {
        await using var pair = ProxyPair.Start(new DemoHandler(), $"model=quick-thinker,upstream_model_name={DemoModel.ModelId},demo_token_delay_ms=0,think_mode=strip");
        var client = CreateClient(pair, "quick-thinker");

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage(Prompt)]);
        Assert.Equal("quick-thinker", completion.Model);
        Assert.Equal(DemoModel.Answer(Prompt), Assert.Single(completion.Content).Text);

        var models = new HashSet<string>();
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage(Prompt)]))
        {
            models.Add(update.Model);
        }

        Assert.Equal(["quick-thinker"], models);
    }

    [Theory]
    [InlineData("reasoning_content")]
    [InlineData("reasoning")]
    public async Task Streaming_SplitMode_ReasoningSeparateFromAnswer(string field)
    {
        await using var pair = ProxyPair.Start(new DemoHandler(), $"model={DemoModel.ModelId},demo_token_delay_ms=0,think_mode=split,reasoning_field={field}");
        var client = CreateClient(pair, DemoModel.ModelId);

        var text = new StringBuilder();
        var reasoning = new StringBuilder();
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage(Prompt)]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

#pragma warning disable SCME0001 // JsonPatch is the SDK's (experimental) window on fields it does not model, such as reasoning_content.
            if (update.Patch.TryGetValue(Encoding.UTF8.GetBytes($"$.choices[0].delta.{field}"), out string? thought))
#pragma warning restore SCME0001
            {
                reasoning.Append(thought);
            }
        }

        Assert.Equal(DemoModel.Answer(Prompt), text.ToString());
        Assert.Equal(DemoThought(), reasoning.ToString());
    }

    [Fact]
    public async Task NonStreaming_SplitMode_ReasoningSeparateFromAnswer()
    {
        await using var pair = ProxyPair.Start(new DemoHandler(), $"model={DemoModel.ModelId},demo_token_delay_ms=0,think_mode=split");
        var client = CreateClient(pair, DemoModel.ModelId);

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage(Prompt)]);

        Assert.Equal(DemoModel.Answer(Prompt), Assert.Single(completion.Content).Text);
#pragma warning disable SCME0001 // See above: reasoning_content is not modelled by the SDK.
        Assert.True(completion.Patch.TryGetValue("$.choices[0].message.reasoning_content"u8, out string? thought));
#pragma warning restore SCME0001
        Assert.Equal(DemoThought(), thought);
    }

    /// <summary>What the demo model writes between its tags, without the blank lines around it.</summary>
    private static string DemoThought()
    {
        var tokens = DemoModel.Tokens(Prompt);
        return string.Concat(tokens.Skip(1).Take(tokens.IndexOf("</think>") - 1)).Trim(' ', '\t', '\n', '\r');
    }

    private static ChatClient CreateClient(ProxyPair pair, string model) =>
        new(model, new ApiKeyCredential("demo"), new OpenAIClientOptions
        {
            Endpoint = pair.OpenAiEndpoint,
            // A failure must show at once, not be retried away.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = TimeSpan.FromSeconds(15),
        });
}
