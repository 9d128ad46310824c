using CotProxy.Configuration;

namespace CotProxy.Tests.Configuration;

public sealed class SecretRedactorTests
{
    [Theory]
    [InlineData("https://user:pass@host/v1/", "https://***@host/v1/")]
    [InlineData("http://token@host:8080", "http://***@host:8080")]
    [InlineData("http://a:b@h/x and https://c:d@i/y", "http://***@h/x and https://***@i/y")]
    [InlineData("https://host/v1/", "https://host/v1/")]
    [InlineData("https://host/path@not-userinfo", "https://host/path@not-userinfo")]
    [InlineData("no url here", "no url here")]
    [InlineData("http://", "http://")]
    [InlineData("x://@h", "x://***@h")]
    public void RedactUrlUserInfo_Text_UserInfoMasked(string text, string expected)
    {
        Assert.Equal(expected, SecretRedactor.RedactUrlUserInfo(text));
    }

    [Theory]
    [InlineData("model=gpt,temperature=0.7,max_tokens=100", "model=gpt,temperature=0.7,max_tokens=100")]
    [InlineData("model=gpt,api_key=sk-123", "model=gpt,api_key=***")]
    [InlineData("model=a,token=t1;model=b,password=p2", "model=a,token=***;model=b,password=***")]
    [InlineData("model=a,Authorization=Bearer sk-1,top_k=5", "model=a,Authorization=***,top_k=5")]
    [InlineData("model=a,base_url=http://u:p@h/v1,x=1", "model=a,base_url=http://***@h/v1,x=1")]
    [InlineData("model=a,secret=", "model=a,secret=***")]
    [InlineData("", "")]
    [InlineData(";;", ";;")]
    [InlineData("model=a\nmodel=b,api_key=k", "model=a\nmodel=b,api_key=***")]
    [InlineData("model=a,X-Goog-Api-Key=g1,maxOutputTokens=64", "model=a,X-Goog-Api-Key=***,maxOutputTokens=64")]
    [InlineData("model=a,clientSecret=c1,max_completion_tokens=9", "model=a,clientSecret=***,max_completion_tokens=9")]
    public void RedactParameters_LlmParams_SecretsMaskedRestKept(string text, string expected)
    {
        Assert.Equal(expected, SecretRedactor.RedactParameters(text));
    }
}
