using System.Net;
using System.Net.Sockets;

namespace CotProxy.Tests.Support;

/// <summary>Two ends of one loopback TCP connection, for the tests of the client socket's own reader and writer.</summary>
internal sealed class SocketPair : IDisposable
{
    private SocketPair(Socket server, Socket client)
    {
        Server = server;
        Client = client;
    }

    public Socket Server { get; }

    public Socket Client { get; }

    public static async Task<SocketPair> OpenAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepting = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        return new SocketPair(await accepting, client);
    }

    /// <summary>The client's reads until the server ends its side (or <paramref name="stopAfter"/> bytes came).</summary>
    public async Task<byte[]> ReadAllAsync(int stopAfter = int.MaxValue)
    {
        var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (all.Length < stopAfter)
        {
            var n = await Client.ReceiveAsync(buffer, SocketFlags.None);
            if (n == 0)
            {
                break;
            }

            all.Write(buffer, 0, n);
        }

        return all.ToArray();
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
