using System.Net;
using System.Net.Sockets;

namespace CotProxy.Bench.Soak;

/// <summary>
/// For <c>--self-check</c> only: a TCP relay between the clients and the proxy that hides cuts, as a broken proxy
/// would. When the proxy ends a connection, the relay first sends a last chunk (<c>0\r\n\r\n</c>), then closes. A soak
/// through it must count responses that look whole but are not; if it does not, the soak's checks cannot fail.
/// </summary>
internal sealed class CutHidingRelay : IDisposable
{
    private readonly Socket _listener;
    private readonly IPEndPoint _proxy;

    public CutHidingRelay(IPEndPoint proxy)
    {
        _proxy = proxy;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    public void Dispose() => _listener.Dispose();

    private async Task RelayAsync(Socket client)
    {
        using var proxy = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await proxy.ConnectAsync(_proxy);
            await Task.WhenAll(CopyAsync(client, proxy, lie: false), CopyAsync(proxy, client, lie: true));
        }
        catch (SocketException)
        {
            // The proxy refused the connection: the client sees its connection close.
        }
        finally
        {
            client.Dispose();
        }
    }

    private static async Task CopyAsync(Socket from, Socket to, bool lie)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }

            if (lie)
            {
                await to.SendAsync("0\r\n\r\n"u8.ToArray(), SocketFlags.None);
            }
        }
        catch (SocketException)
        {
            // A reset on either side ends this direction; the other ends when its socket is closed below.
        }
        catch (ObjectDisposedException)
        {
            // The other direction closed the socket first.
        }

        try
        {
            to.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // Already closed.
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }
    }
}
