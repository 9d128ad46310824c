using static CotProxy.Tests.Profiles.ProfileTestHelper;
using CotProxy.Profiles;

namespace CotProxy.Tests.Profiles;

public sealed class ProfileSetParseTests
{
    private static ProfileEntry Entry(ModelProfile profile, string key) => Assert.Single(profile.Entries, e => e.Key == key);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \n ")]
    public void Parse_NullOrBlank_Empty(string? llmParams)
    {
        Assert.Empty(Parse(llmParams!).Profiles);
    }

    [Fact]
    public void Parse_ProfilesAndEntries_SplitAtSemicolonsAndCommas()
    {
        ProfileSet set = Parse("model=a,temperature=0.5,top_k=20;model=b,seed=7");

        Assert.Equal(["a", "b"], set.Profiles.Select(p => p.Name));
        Assert.Equal(["temperature", "top_k"], set.Profiles[0].Entries.Select(e => e.Key));
        Assert.Equal("7", Entry(set.Profiles[1], "seed").ValueJson);
    }

    [Fact]
    public void Parse_WhitespaceAroundKeysAndValues_Trimmed()
    {
        ModelProfile profile = Single("  model = Qwen3-Clean ,\n temperature = 0.7 , note =  two words  ;  ");

        Assert.Equal("Qwen3-Clean", profile.Name);
        Assert.Equal("0.7", Entry(profile, "temperature").ValueJson);
        Assert.Equal("\"two words\"", Entry(profile, "note").ValueJson);
    }

    [Fact]
    public void Parse_ValueContainingEquals_SplitAtFirstEquals()
    {
        Assert.Equal("\"a=b=c\"", Entry(Single("model=m,formula=a=b=c"), "formula").ValueJson);
    }

    [Fact]
    public void Parse_EmptyProfilesFromStraySemicolons_Ignored()
    {
        Assert.Equal(["a", "b"], Parse(";model=a;;model=b;").Profiles.Select(p => p.Name));
    }

    [Fact]
    public void Parse_ProfileNotStartingWithModel_SkippedWithWarningNamingIt()
    {
        var warnings = new List<string>();

        ProfileSet set = ProfileSet.Parse("model=a,top_k=1;temperature=0.5,top_k=3;model=b", warnings);

        Assert.Equal(["a", "b"], set.Profiles.Select(p => p.Name));
        string warning = Assert.Single(warnings);
        Assert.Equal("LLM_PARAMS: profile 2 (\"temperature=0.5,top_k=3\") does not start with model=NAME; skipped", warning);
    }

    [Theory]
    [InlineData("top_k=1,model=a")]
    [InlineData("model?=a")]
    [InlineData("!model")]
    [InlineData("Model=a")]
    public void Parse_FirstEntryNotModelEqualsName_SkippedWithWarning(string profile)
    {
        var warnings = new List<string>();

        ProfileSet set = ProfileSet.Parse(profile + ";model=ok", warnings);

        Assert.Equal("ok", Assert.Single(set.Profiles).Name);
        Assert.Contains("profile 1", Assert.Single(warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EscapedCommaAndSemicolon_StayInValue()
    {
        ModelProfile profile = Single(@"model=m,greeting=hello\, world\; bye,top_k=2");

        Assert.Equal("\"hello, world; bye\"", Entry(profile, "greeting").ValueJson);
        Assert.Equal("2", Entry(profile, "top_k").ValueJson);
    }

    [Fact]
    public void Parse_SuffixEscapes_Decoded()
    {
        ModelProfile profile = Single(@"model=m,append_to_last_user_message=\n\n/no_think");

        Assert.Equal("\n\n/no_think", profile.AppendToLastUserMessage);
    }

    [Fact]
    public void Parse_SeedQwen3Example_ThinkTagsDecoded()
    {
        // The original README's Qwen3 example, verbatim: Ollama-style \u003c escapes and a trailing \n\n.
        ModelProfile profile = Single(@"model=hf.co/unsloth/Qwen3-14B-GGUF:Q6_K_XL,think_tag_start=\u003cthink\u003e,think_tag_end=\u003c/think\u003e\n\n");

        Assert.Equal("hf.co/unsloth/Qwen3-14B-GGUF:Q6_K_XL", profile.Name);
        Assert.Equal("<think>", profile.ThinkTagStart);
        Assert.Equal("</think>\n\n", profile.ThinkTagEnd);
        Assert.False(profile.RewritesRequest);
    }

    [Fact]
    public void Parse_JsonArrayWithCommasAndSemicolons_RunsToMatchingBracket()
    {
        ProfileSet set = Parse("model=m,stop=[\"\\n\\n\",\"</s>\", \"a;b,c]\"],top_k=5;model=n");
        ModelProfile profile = set.Profiles[0];

        ProfileEntry stop = Entry(profile, "stop");
        Assert.Equal("array", stop.TypeName);
        Assert.Equal("[\"\\n\\n\",\"</s>\",\"a;b,c]\"]", stop.ValueJson);
        Assert.Equal("5", Entry(profile, "top_k").ValueJson);
        Assert.Equal("n", set.Profiles[1].Name);
    }

    [Fact]
    public void Parse_JsonObject_KeptAsObject()
    {
        ProfileEntry entry = Entry(Single("model=m,chat_template_kwargs={\"enable_thinking\":false, \"x\":{\"y\":[1,2]}}"), "chat_template_kwargs");

        Assert.Equal("object", entry.TypeName);
        Assert.Equal("{\"enable_thinking\":false,\"x\":{\"y\":[1,2]}}", entry.ValueJson);
    }

    [Fact]
    public void Parse_TextKeyStartingWithBracket_TakenAsText()
    {
        // Mistral's Magistral writes its reasoning as [THINK]…[/THINK]: tags are text, not JSON.
        ModelProfile profile = Single("model=m,think_tag_start=[THINK],think_tag_end=[/THINK]");

        Assert.Equal("[THINK]", profile.ThinkTagStart);
        Assert.Equal("[/THINK]", profile.ThinkTagEnd);
    }

    [Theory]
    [InlineData("temperature", "0.7", "0.7")]
    [InlineData("temperature", "1", "1")]
    [InlineData("top_p", "0.95", "0.95")]
    [InlineData("presence_penalty", "-1.5", "-1.5")]
    [InlineData("frequency_penalty", "1e-2", "1e-2")]
    [InlineData("repetition_penalty", "1.05", "1.05")]
    [InlineData("top_k", "20", "20")]
    [InlineData("max_tokens", "4096", "4096")]
    [InlineData("n", "1", "1")]
    [InlineData("seed", "-1", "-1")]
    [InlineData("num_ctx", "32768", "32768")]
    [InlineData("num_predict", "-2", "-2")]
    [InlineData("repeat_last_n", "64", "64")]
    [InlineData("batch_size", "512", "512")]
    [InlineData("echo", "false", "false")]
    [InlineData("stream", "True", "true")]
    [InlineData("mirostat", "0", "0")]
    [InlineData("mirostat", "1", "1")]
    [InlineData("mirostat", "2", "2")]
    [InlineData("mirostat", "FALSE", "0")]
    public void Parse_TypedKey_SentAsItsType(string key, string value, string json)
    {
        ProfileEntry entry = Entry(Single($"model=m,{key}={value}"), key);

        Assert.Equal(json, entry.ValueJson);
    }

    [Theory]
    [InlineData("min_p", "0.05", "0.05", "number")]
    [InlineData("typical_p", "1.0", "1.0", "number")]
    [InlineData("big", "12345678901234567890123", "12345678901234567890123", "number")]
    [InlineData("exp", "-2.5E+3", "-2.5E+3", "number")]
    [InlineData("flag", "true", "true", "boolean")]
    [InlineData("flag", "false", "false", "boolean")]
    [InlineData("gone", "null", "null", "null")]
    [InlineData("flag", "True", "\"True\"", "string")]
    [InlineData("code", "007", "\"007\"", "string")]
    [InlineData("code", "+1", "\"+1\"", "string")]
    [InlineData("code", ".5", "\".5\"", "string")]
    [InlineData("code", "1.", "\"1.\"", "string")]
    [InlineData("code", "NaN", "\"NaN\"", "string")]
    [InlineData("grammar", "root ::= \"yes\"", "\"root ::= \\\"yes\\\"\"", "string")]
    [InlineData("name", "héllo", "\"héllo\"", "string")]
    [InlineData("empty", "", "\"\"", "string")]
    public void Parse_UntypedKey_TypedFromItsText(string key, string value, string json, string typeName)
    {
        ProfileEntry entry = Entry(Single($"model=m,{key}={value}"), key);

        Assert.Equal(json, entry.ValueJson);
        Assert.Equal(typeName, entry.TypeName);
    }

    [Fact]
    public void Parse_TypedValue_CloneIsFreshEachTime()
    {
        ProfileEntry entry = Entry(Single("model=m,stop=[\"a\"]"), "stop");

        Assert.NotSame(entry.CloneValue(), entry.CloneValue());
    }

    [Fact]
    public void Parse_WeakDefaultAndRemoval_Recognised()
    {
        ModelProfile profile = Single("model=m,top_k ?= 20,!seed, ! logit_bias,temperature=0.6");

        Assert.Equal(ProfileEntryKind.Default, Entry(profile, "top_k").Kind);
        Assert.Equal(ProfileEntryKind.Remove, Entry(profile, "seed").Kind);
        Assert.Equal(ProfileEntryKind.Remove, Entry(profile, "logit_bias").Kind);
        Assert.Equal(ProfileEntryKind.Override, Entry(profile, "temperature").Kind);
        Assert.True(profile.RewritesRequest);
    }

    [Fact]
    public void Parse_NestedKey_PathSplitAtDots()
    {
        ProfileEntry entry = Entry(Single("model=m,chat_template_kwargs.enable_thinking=false"), "chat_template_kwargs.enable_thinking");

        Assert.Equal(["chat_template_kwargs", "enable_thinking"], entry.Path);
        Assert.Equal("false", entry.ValueJson);
    }

    [Fact]
    public void Parse_SpecialKeys_SetPropertiesAndAreNeverEntries()
    {
        ModelProfile profile = Single(
            "model=Qwen3-Clean,upstream_model_name=qwen3:14b,append_to_last_user_message=/no_think,enable_think_tag_filtering=true,"
            + "think_tag_start=<think>,think_tag_end=</think>,think_mode=split,think_starts_open=false,reasoning_field=reasoning_content");

        Assert.Empty(profile.Entries);
        Assert.Equal("qwen3:14b", profile.UpstreamModelName);
        Assert.Equal("/no_think", profile.AppendToLastUserMessage);
        Assert.True(profile.EnableThinkTagFiltering);
        Assert.Equal("<think>", profile.ThinkTagStart);
        Assert.Equal("</think>", profile.ThinkTagEnd);
        Assert.Equal("split", profile.ThinkMode);
        Assert.False(profile.ThinkStartsOpen);
        Assert.Equal("reasoning_content", profile.ReasoningField);
        Assert.True(profile.RewritesRequest);
    }

    [Theory]
    [InlineData("strip")]
    [InlineData("split")]
    [InlineData("keep")]
    [InlineData("merge")]
    public void Parse_ThinkMode_EachValueAccepted(string mode)
    {
        Assert.Equal(mode, Single($"model=m,think_mode={mode}").ThinkMode);
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("think")]
    [InlineData("thinking")]
    [InlineData("thought")]
    [InlineData("reasoning")]
    [InlineData("seed")]
    [InlineData("mistral")]
    [InlineData("harmony")]
    public void Parse_ThinkTags_EachFamilyAccepted(string family)
    {
        ModelProfile profile = Single($"model=m,think_tags={family},think_tags_anywhere=true");
        Assert.Equal(family, profile.ThinkTags);
        Assert.True(profile.ThinkTagsAnywhere);
        Assert.False(profile.RewritesRequest);
    }

    [Fact]
    public void Parse_ThinkTagsUnknown_FailsNamingTheValues()
    {
        var ex = Assert.Throws<ProfileParseException>(() => Parse("model=m,think_tags=qwen"));
        Assert.Contains("think_tags", ex.Message, StringComparison.Ordinal);
        Assert.Contains("auto, think, thinking, thought, reasoning, seed, mistral, harmony", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThinkTagsValues_SameAsTheFilterFamilies()
    {
        // Profiles may not depend on Filtering: the list the parser accepts is kept equal to the families here.
        Assert.Equal(CotProxy.Filtering.ThinkTagFamily.AcceptedNames, string.Join(", ", ProfileKeys.ThinkTagsValues));
    }

    [Fact]
    public void Parse_ThinkSettingsOnly_DoesNotRewriteRequest()
    {
        ModelProfile profile = Single("model=m,enable_think_tag_filtering=false,think_mode=keep");

        Assert.False(profile.RewritesRequest);
        Assert.False(profile.EnableThinkTagFiltering);
    }

    [Fact]
    public void Find_ExactName_ThatProfile()
    {
        ProfileSet set = Parse("model=default,top_k=1;model=*,top_k=2;model=Qwen3,top_k=3");

        Assert.Equal("Qwen3", set.Find("Qwen3")!.Name);
        Assert.Equal("*", set.Find("qwen3")!.Name);
        Assert.Equal("*", set.Find("other")!.Name);
        Assert.Equal("default", set.Find(null)!.Name);
        Assert.Equal("default", set.Find("")!.Name);
        Assert.Equal("default", set.Find("default")!.Name);
    }

    [Fact]
    public void Find_NoDefaultProfile_NoModelFallsBackToStar()
    {
        ProfileSet set = Parse("model=*,top_k=2");

        Assert.Equal("*", set.Find(null)!.Name);
    }

    [Fact]
    public void Find_NoStarProfile_UnknownModelHasNone()
    {
        ProfileSet set = Parse("model=default,top_k=1;model=a,top_k=2");

        Assert.Null(set.Find("b"));
        Assert.Null(ProfileSet.Empty.Find(null));
        Assert.Null(ProfileSet.Empty.Find("a"));
    }

    [Fact]
    public void Describe_ProfileWithEverything_OneTypedLine()
    {
        ModelProfile profile = Single(
            @"model=Qwen3-Clean,upstream_model_name=qwen3:14b,temperature=0.7,top_k?=20,!seed,stop=[""</s>""],label=x,"
            + @"chat_template_kwargs.enable_thinking=false,append_to_last_user_message=\n\n/no_think,think_mode=strip");

        Assert.Equal(
            "Qwen3-Clean → upstream qwen3:14b; temperature=0.7 (number), top_k?=20 (number, default), !seed, "
            + "stop=[\"</s>\"] (array), label=\"x\" (string), chat_template_kwargs.enable_thinking=false (boolean), "
            + "append \"\\n\\n/no_think\", think_mode strip",
            profile.Describe());
    }

    [Fact]
    public void Describe_CredentialLikeKey_ValueMasked()
    {
        string line = Single("model=m,api_key=sk-123,max_tokens=5").Describe();

        Assert.Equal("m; api_key=*** (string), max_tokens=5 (number)", line);
    }

    [Fact]
    public void Describe_KeySecretByTheSharedRule_ValueMasked()
    {
        string line = Single("model=m,auth=a1,clientSecret=c1,max_completion_tokens=5").Describe();

        Assert.Equal("m; auth=*** (string), clientSecret=*** (string), max_completion_tokens=5 (number)", line);
    }

    [Fact]
    public void Describe_NoSettings_SaysNoChanges()
    {
        Assert.Equal("m; no changes", Single("model=m").Describe());
    }

    [Theory]
    [InlineData("model=m,temperature=hot", "LLM_PARAMS: profile 1 (model=m), key \"temperature\": expects a number (e.g. 0.7), got \"hot\"")]
    [InlineData("model=m,temperature=", "LLM_PARAMS: profile 1 (model=m), key \"temperature\": expects a number (e.g. 0.7), got \"\"")]
    [InlineData("model=m,temperature=1e999", "LLM_PARAMS: profile 1 (model=m), key \"temperature\": expects a number (e.g. 0.7), got \"1e999\"")]
    [InlineData("model=m,temperature=null", "LLM_PARAMS: profile 1 (model=m), key \"temperature\": expects a number (e.g. 0.7), got \"null\"")]
    [InlineData("model=m,top_p=[0.9]", "LLM_PARAMS: profile 1 (model=m), key \"top_p\": expects a number (e.g. 0.7), got the JSON value \"[0.9]\"")]
    [InlineData("model=m,top_k=1.5", "LLM_PARAMS: profile 1 (model=m), key \"top_k\": expects an integer (e.g. 40), got \"1.5\"")]
    [InlineData("model=m,top_k=+5", "LLM_PARAMS: profile 1 (model=m), key \"top_k\": expects an integer (e.g. 40), got \"+5\"")]
    [InlineData("model=m,seed=99999999999999999999", "LLM_PARAMS: profile 1 (model=m), key \"seed\": expects an integer (e.g. 40), got \"99999999999999999999\"")]
    [InlineData("model=m,stream=yes", "LLM_PARAMS: profile 1 (model=m), key \"stream\": expects true or false, got \"yes\"")]
    [InlineData("model=m,echo=1", "LLM_PARAMS: profile 1 (model=m), key \"echo\": expects true or false, got \"1\"")]
    [InlineData("model=m,mirostat=true", "LLM_PARAMS: profile 1 (model=m), key \"mirostat\": expects 0, 1 or 2 (0 off, 1 Mirostat, 2 Mirostat 2.0; false is taken as 0), got \"true\"")]
    [InlineData("model=m,mirostat=3", "LLM_PARAMS: profile 1 (model=m), key \"mirostat\": expects 0, 1 or 2 (0 off, 1 Mirostat, 2 Mirostat 2.0; false is taken as 0), got \"3\"")]
    [InlineData("model=m,think_mode=hide", "LLM_PARAMS: profile 1 (model=m), key \"think_mode\": expects strip, split, merge or keep, got \"hide\"")]
    [InlineData("model=m,think_starts_open=maybe", "LLM_PARAMS: profile 1 (model=m), key \"think_starts_open\": expects true or false, got \"maybe\"")]
    [InlineData("model=m,enable_think_tag_filtering=on", "LLM_PARAMS: profile 1 (model=m), key \"enable_think_tag_filtering\": expects true or false, got \"on\"")]
    [InlineData("model=m,upstream_model_name=", "LLM_PARAMS: profile 1 (model=m), key \"upstream_model_name\": is empty")]
    [InlineData("model=m,append_to_last_user_message= ", "LLM_PARAMS: profile 1 (model=m), key \"append_to_last_user_message\": is empty")]
    [InlineData("model=m,think_tag_end=", "LLM_PARAMS: profile 1 (model=m), key \"think_tag_end\": is empty")]
    public void Parse_ValueNotFittingType_RejectedNamingProfileAndKey(string llmParams, string message)
    {
        Assert.Equal(message, ParseError(llmParams));
    }

    [Theory]
    [InlineData(@"model=m,append_to_last_user_message=\x", "LLM_PARAMS: profile 1 (model=m), key \"append_to_last_user_message\": bad escape \"\\x\"")]
    [InlineData(@"model=m,label=ab\", "LLM_PARAMS: profile 1 (model=m), key \"label\": value ends with a lone backslash")]
    [InlineData(@"model=m,think_tag_start=\u3c", "LLM_PARAMS: profile 1 (model=m), key \"think_tag_start\": bad escape \"\\u3c\"")]
    [InlineData(@"model=m\q", "LLM_PARAMS: profile 1, key \"model\": bad escape \"\\q\"")]
    [InlineData("model=m,stop=[\"a\",\"b\"", "LLM_PARAMS: profile 1 (model=m), key \"stop\": unbalanced JSON value starting \"[\"a\",\"b\"\": no matching ']' before the end of LLM_PARAMS")]
    [InlineData("model=m,kw={\"a\":\"b}", "LLM_PARAMS: profile 1 (model=m), key \"kw\": unbalanced JSON value starting \"{\"a\":\"b}\": no matching '}' before the end of LLM_PARAMS (a JSON string is not closed)")]
    [InlineData("model=m,stop=[\"a\"]x,top_k=1", "LLM_PARAMS: profile 1 (model=m), key \"stop\": unexpected text after the JSON value \"[\"a\"]\" (a JSON value must be followed by ',' or ';')")]
    [InlineData("model=m,kw={\"a\":}", "LLM_PARAMS: profile 1 (model=m), key \"kw\": invalid JSON value \"{\"a\":}\"")]
    [InlineData("model=m,kw={\"a\":1,\"a\":2}", "LLM_PARAMS: profile 1 (model=m), key \"kw\": invalid JSON value \"{\"a\":1,\"a\":2}\"")]
    [InlineData("model=m,stop=[1,]", "LLM_PARAMS: profile 1 (model=m), key \"stop\": invalid JSON value \"[1,]\"")]
    [InlineData("model=a;model=b;model=a", "LLM_PARAMS: profile 3 (model=a), key \"model\": model \"a\" already has a profile (profile 1); merge the two")]
    [InlineData("model=,top_k=1", "LLM_PARAMS: profile 1, key \"model\": the model name is empty")]
    [InlineData("model=m,top_k=1,top_k=2", "LLM_PARAMS: profile 1 (model=m), key \"top_k\": is given twice in this profile")]
    [InlineData("model=m,top_k=1,top_k?=2", "LLM_PARAMS: profile 1 (model=m), key \"top_k\": is given twice in this profile")]
    [InlineData("model=m,kw={},kw.a=1", "LLM_PARAMS: profile 1 (model=m), key \"kw.a\": overlaps key \"kw\" given earlier in this profile")]
    [InlineData("model=m,kw.a.b=1,!kw.a", "LLM_PARAMS: profile 1 (model=m), key \"kw.a\": overlaps key \"kw.a.b\" given earlier in this profile")]
    [InlineData("model=m,temperature", "LLM_PARAMS: profile 1 (model=m), key \"temperature\": has no value: write key=value, key?=value (a default) or !key (a removal)")]
    [InlineData("model=m,!seed=1", "LLM_PARAMS: profile 1 (model=m), key \"seed\": a removal takes no value: write !seed alone")]
    [InlineData("model=m,=5", "LLM_PARAMS: profile 1 (model=m): an entry has no key (\"=5\")")]
    [InlineData("model=m,!", "LLM_PARAMS: profile 1 (model=m): an entry has no key (\"!\")")]
    [InlineData("model=m,a..b=1", "LLM_PARAMS: profile 1 (model=m), key \"a..b\": has an empty name between dots")]
    [InlineData("model=m,.a=1", "LLM_PARAMS: profile 1 (model=m), key \".a\": has an empty name between dots")]
    [InlineData("model=m,top k=1", "LLM_PARAMS: profile 1 (model=m), key \"top k\": contains 'whitespace', which a key cannot hold")]
    [InlineData("model=m,a?b=1", "LLM_PARAMS: profile 1 (model=m), key \"a?b\": contains '?', which a key cannot hold")]
    [InlineData("model=m,model=n", "LLM_PARAMS: profile 1 (model=m), key \"model\": model= may only start a profile; use upstream_model_name=NAME to change the model sent upstream")]
    [InlineData("model=m,think_mode?=keep", "LLM_PARAMS: profile 1 (model=m), key \"think_mode\": is a proxy setting: it takes key=value, not key?=value or !key")]
    [InlineData("model=m,!upstream_model_name", "LLM_PARAMS: profile 1 (model=m), key \"upstream_model_name\": is a proxy setting: it takes key=value, not key?=value or !key")]
    [InlineData("model=m,think_mode.x=1", "LLM_PARAMS: profile 1 (model=m), key \"think_mode.x\": think_mode is a proxy setting and has no fields")]
    public void Parse_Malformed_RejectedWithClearMessage(string llmParams, string messageStart)
    {
        string message = ParseError(llmParams);

        Assert.StartsWith(messageStart, message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void Parse_ErrorInLaterProfile_NamesThatProfile()
    {
        Assert.StartsWith(
            "LLM_PARAMS: profile 2 (model=b), key \"top_k\":",
            ParseError("model=a,top_k=1;model=b,top_k=x"),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnbalancedJsonInSkippedProfile_StillRejected()
    {
        // A skipped profile's brackets decide where the next profile starts, so they must balance too.
        Assert.StartsWith("LLM_PARAMS: profile 1, key \"stop\": unbalanced JSON value", ParseError("stop=[1;model=a"), StringComparison.Ordinal);
    }
}
