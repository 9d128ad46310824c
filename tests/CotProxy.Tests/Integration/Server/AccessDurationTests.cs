using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CotProxy.Logging;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Server;

/// <summary>The access log's duration is the request's own: from its first byte, not from when the connection began waiting.</summary>
[Collection(LogCollection.Name)]
public sealed class AccessDurationTests
{
    [Fact]
    public async Task KeepAlive_IdleBeforeRequest_IdleTimeNotInDuration()
    {
        var idle = TimeSpan.FromSeconds(1);
        var sink = new MemoryStream();
        Log.Configure(sink, debug: false);
        try
        {
            await using var server = new TestServer(new EchoHandler());
            using var client = await server.ConnectAsync();
            await client.SendAsync("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);

            await Task.Delay(idle);
            await client.SendAsync("GET /second HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
            await Task.Delay(50);
            Log.Flush();
        }
        finally
        {
            Log.Configure(null, debug: false);
        }

        var text = Encoding.UTF8.GetString(sink.ToArray());
        var match = Regex.Match(text, @" access GET /second model=- status=200 bytes=\d+ ms=(\d+\.\d)\n");
        Assert.True(match.Success, text);
        Assert.InRange(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), 0, idle.TotalMilliseconds / 2);
    }
}
