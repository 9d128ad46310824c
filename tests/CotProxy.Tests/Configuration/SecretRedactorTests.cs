using CotProxy.Configuration;



namespace CotProxy.Tests.Configuration;

public sealed class SecretRedactorTests
{
    [Theory]
    [InlineData("api_key")]
    [InlineData("API_KEY")]
    [InlineData("apikey")]
    [InlineData("api-key")]
    [InlineData("OPENAI_API_KEY")]
    [InlineData("token")]
    [InlineData("access_token")]
    [InlineData("secret")]
    [InlineData("client_secret")]
    [InlineData("password")]
    [InlineData("Authorization")]
    [InlineData("auth")]
    [InlineData(" api_key ")]
    [InlineData("X-Api-Key")]
    [InlineData("Proxy-Authorization")]
    [InlineData("Cookie")]
    [InlineData("Set-Cookie")]
    public void IsSensitiveKey_CredentialName_True(string key)
    {
        Assert.True(SecretRedactor.IsSensitiveKey(key));
    }

    [Theory]
    [InlineData("max_tokens")]
    [InlineData("max_completion_tokens")]
    [InlineData("model")]
    [InlineData("temperature")]
    [InlineData("top_k")]
    [InlineData("think_tag_start")]
    [InlineData("keep_alive")]
    [InlineData("monkey")]
    [InlineData("author")]
    [InlineData("Content-Type")]
    [InlineData("X-Request-Id")]
    public void IsSensitiveKey_OrdinaryParameter_False(string key)
    {
        Assert.False(SecretRedactor.IsSensitiveKey(key));
    }

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
    public void RedactParameters_LlmParams_SecretsMaskedRestKept(string text, string expected)
    {
        Assert.Equal(expected, SecretRedactor.RedactParameters(text));
    }
}
