using System.Net;

namespace CotProxy.Http.Forwarding;

/// <summary>
/// HTTPS_PROXY, HTTP_PROXY and NO_PROXY as curl reads them: an <c>https</c> upstream is reached through the HTTPS proxy
/// (an HTTP CONNECT tunnel), an <c>http</c> upstream through the HTTP proxy (the request in absolute form), and a host
/// that NO_PROXY names directly. Built once at start; the shared handler asks it for every new connection.
/// </summary>
internal sealed class UpstreamProxy : IWebProxy
{
    private readonly Uri? _https;
    private readonly Uri? _http;
    private readonly string[] _names;
    private readonly IPNetwork[] _networks;
    private readonly bool _bypassAll;

    public UpstreamProxy(Uri? httpsProxy, Uri? httpProxy, string? noProxy)
    {
        _https = httpsProxy is null ? null : WithoutUserInfo(httpsProxy);
        _http = httpProxy is null ? null : WithoutUserInfo(httpProxy);
        var credentials = new CredentialCache();
        AddCredentials(credentials, httpsProxy);
        if (httpProxy is not null && (httpsProxy is null || _http != _https))
        {
            AddCredentials(credentials, httpProxy);
        }

        Credentials = credentials;
        NoProxy = noProxy ?? "";
        var names = new List<string>();
        var networks = new List<IPNetwork>();
        foreach (var raw in NoProxy.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            // curl: "*" alone bypasses every host; a leading dot is ignored (".example.com" and "example.com" both match
            // example.com and its subdomains); an IP address or CIDR range matches addresses (curl 7.86 and later).
            if (raw == "*")
            {
                _bypassAll = true;
            }
            else if (IPNetwork.TryParse(raw.Trim('[', ']'), out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(raw.Trim('[', ']'), out var address))
            {
                networks.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                names.Add(raw.TrimStart('.').TrimEnd('.'));
            }
        }

        _names = [.. names];
        _networks = [.. networks];
    }

    /// <summary>The HTTPS proxy (user-info removed; it goes in <see cref="Credentials"/>), or null.</summary>
    public Uri? HttpsProxy => _https;

    /// <summary>The HTTP proxy (user-info removed), or null.</summary>
    public Uri? HttpProxy => _http;

    /// <summary>NO_PROXY as given.</summary>
    public string NoProxy { get; }

    /// <summary>The user and password of each proxy URL, answered to its 407 challenge.</summary>
    public ICredentials? Credentials { get; set; }

    public Uri? GetProxy(Uri destination) => IsBypassed(destination) ? null : ProxyFor(destination);

    public bool IsBypassed(Uri host) => ProxyFor(host) is null || Matches(host);

    private Uri? ProxyFor(Uri destination) => destination.Scheme == Uri.UriSchemeHttps ? _https : destination.Scheme == Uri.UriSchemeHttp ? _http : null;

    private bool Matches(Uri destination)
    {
        if (_bypassAll)
        {
            return true;
        }

        var host = destination.DnsSafeHost.TrimEnd('.');
        if (IPAddress.TryParse(host, out var address))
        {
            foreach (var network in _networks)
            {
                if (network.Contains(address))
                {
                    return true;
                }
            }

            return false;
        }

        foreach (var name in _names)
        {
            if (host.Equals(name, StringComparison.OrdinalIgnoreCase)
                || (host.Length > name.Length && host[host.Length - name.Length - 1] == '.' && host.EndsWith(name, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    private static Uri WithoutUserInfo(Uri proxy) =>
        proxy.UserInfo.Length == 0 ? proxy : new UriBuilder(proxy) { UserName = "", Password = "" }.Uri;

    private static void AddCredentials(CredentialCache cache, Uri? proxy)
    {
        if (proxy is null || proxy.UserInfo.Length == 0)
        {
            return;
        }

        var colon = proxy.UserInfo.IndexOf(':', StringComparison.Ordinal);
        var user = Uri.UnescapeDataString(colon < 0 ? proxy.UserInfo : proxy.UserInfo[..colon]);
        var password = colon < 0 ? "" : Uri.UnescapeDataString(proxy.UserInfo[(colon + 1)..]);
        var credential = new NetworkCredential(user, password);
        var bare = WithoutUserInfo(proxy);

        // Basic, as curl sends a proxy URL's user-info by default.
        cache.Add(bare, "Basic", credential);
    }
}
