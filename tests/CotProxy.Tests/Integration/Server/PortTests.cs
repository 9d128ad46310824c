using System.Net;
using System.Net.Sockets;
using CotProxy.Http.Server;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Server;

public sealed class PortTests
{
    [Fact]
    public async Task SecondServer_SamePort_RefusedToBind()
    {
        await using var first = new HttpServer(new IPEndPoint(IPAddress.Loopback, 0), new EchoHandler(), new HttpLimits());
        first.Start();

        // A second instance must fail at start, not share the port and take half of the connections (SO_REUSEPORT).
        var ex = Assert.Throws<SocketException>(() => new HttpServer(first.LocalEndPoint, new EchoHandler(), new HttpLimits()));
        Assert.Equal(SocketError.AddressAlreadyInUse, ex.SocketErrorCode);
    }

    [Fact]
    public async Task Restart_SamePortWithConnectionsInTimeWait_Binds()
    {
        IPEndPoint endpoint;
        await using (var first = new HttpServer(new IPEndPoint(IPAddress.Loopback, 0), new EchoHandler(), new HttpLimits()))
        {
            first.Start();
            endpoint = first.LocalEndPoint;
            using var client = await RawConnection.OpenAsync(endpoint);
            await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            await client.ReadToEndAsync();
        }

        // The server closed first, so its side of that connection is in TIME_WAIT: a restart must still bind.
        await using var second = new HttpServer(endpoint, new EchoHandler(), new HttpLimits());
        second.Start();
        Assert.Equal(endpoint.Port, second.LocalEndPoint.Port);
    }
}
