namespace CotProxy.Configuration;

/// <summary>What the process was asked to do.</summary>
internal enum ProxyCommand
{
    /// <summary>Run the proxy (no command given).</summary>
    Serve,

    /// <summary><c>--help</c> / <c>-h</c>: print usage and every setting, exit 0.</summary>
    Help,

    /// <summary><c>--version</c>: print the version, exit 0.</summary>
    Version,

    /// <summary><c>health-check</c>: ask the running proxy's <c>/health</c>; exit 0 healthy, 1 not.</summary>
    HealthCheck,

    /// <summary><c>config</c>: print the effective settings, secrets redacted, exit 0.</summary>
    Config,
}
