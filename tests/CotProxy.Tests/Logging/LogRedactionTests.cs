using System.Text;
using CotProxy.Logging;

namespace CotProxy.Tests.Logging;

public sealed class LogRedactionTests
{
    [Theory]
    [InlineData("/v1/chat/completions", "/v1/chat/completions")]
    [InlineData("/v1/models?x=1&y", "/v1/models?x=1&y")]
    [InlineData("/v1/models?api_key=sk-1", "/v1/models?api_key=***")]
    [InlineData("/v1/models?a=1&Token=t&b=2", "/v1/models?a=1&Token=***&b=2")]
    [InlineData("/v1/models?key=k;session=s", "/v1/models?key=***;session=***")]
    [InlineData("/v1/models?api%5Fkey=k", "/v1/models?api%5Fkey=***")]
    [InlineData("/v1/models?api%255Fkey=k", "/v1/models?api%255Fkey=***")]
    [InlineData("/v1/models?x-api+key=k", "/v1/models?x-api+key=***")]
    [InlineData("/v1/models?max_tokens=5&monkey=1", "/v1/models?max_tokens=5&monkey=1")]
    [InlineData("/v1/models?password=", "/v1/models?password=***")]
    [InlineData("/v1/models?%=1&%zz=2", "/v1/models?%=1&%zz=2")]
    [InlineData("http://user:pw@host/v1?token=t", "http://***@host/v1?token=***")]
    public void Target_Query_SecretValuesMasked(string target, string expected)
    {
        Assert.Equal(expected, LogRedaction.Target(target));
    }

    [Fact]
    public void Target_NothingToMask_SameString()
    {
        const string Target = "/v1/models?x=1";
        Assert.Same(Target, LogRedaction.Target(Target));
    }

    [Theory]
    [InlineData("""{"api_key":"k","model":"m"}""", """{"api_key":"***","model":"m"}""")]
    [InlineData("""{ "a" : { "b" : [ { "Password" : "p" , "x" : 1 } ] } }""", """{ "a" : { "b" : [ { "Password" : "***" , "x" : 1 } ] } }""")]
    [InlineData("""{"token":123,"n":1}""", """{"token":"***","n":1}""")]
    [InlineData("""{"token":true}""", """{"token":"***"}""")]
    [InlineData("""{"auth":{"token":"t","deep":[1,{"k":"}"}]},"n":1}""", """{"auth":"***","n":1}""")]
    [InlineData("""{"secret":["a","b"],"n":1}""", """{"secret":"***","n":1}""")]
    [InlineData("""{"api\u005Fkey":"k"}""", """{"api\u005Fkey":"***"}""")]
    [InlineData("""{api_key: 'k', n: 1}""", """{api_key: "***", n: 1}""")]
    [InlineData("""{"password":"cut mid val""", """{"password":"***" """)]
    [InlineData("""{"password":""", """{"password":""")]
    [InlineData("""{"password" """, """{"password" """)]
    [InlineData("""{"auth":{"token":"cut""", """{"auth":"***" """)]
    [InlineData("""{"password":"a\"b","n":1}""", """{"password":"***","n":1}""")]
    [InlineData("""["password",":","x"]""", """["password",":","x"]""")]
    [InlineData("model=m&api_key=k", "model=m&api_key=***")]
    [InlineData("""{"arguments":"{\"city\":\"Paris\",\"api_key\":\"k\"}","n":1}""", """{"arguments":"{\"city\":\"Paris\",\"api_key\":\"***\"}","n":1}""")]
    [InlineData("""{"a":"{\"b\":\"{\\\"token\\\":\\\"k\\\"}\"}"}""", """{"a":"{\"b\":\"{\\\"token\\\":\\\"***\\\"}\"}"}""")]
    [InlineData("""{"arguments":"{\"password\":\"cut""", """{"arguments":"{\"password\":\"***\" """)]
    [InlineData("""{"content":"say \"hi\": now"}""", """{"content":"say \"hi\": now"}""")]
    public void Body_SecretFields_ValuesMasked(string body, string expected)
    {
        Assert.Equal(expected.TrimEnd(), LogRedaction.Body(Encoding.UTF8.GetBytes(body)).TrimEnd());
    }

    [Theory]
    [InlineData("Authorization", "Bearer sk-1")]
    [InlineData("Cookie", "sid=1; other=2")]
    [InlineData("X-Goog-Api-Key", "k")]
    public void Header_Secret_MaskedWhole(string name, string value)
    {
        Assert.Equal("***", LogRedaction.Header(name, value, 200));
    }
}
