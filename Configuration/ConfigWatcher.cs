namespace CotProxy.Configuration;

/// <summary>
/// Polls files (the config file, the .env file) and reports a change once their content has stayed the same for one
/// more poll, so an editor's save in several writes reloads once. Content is compared, not times: a Kubernetes
/// ConfigMap is replaced by swapping a symlink, and two saves within one second share an mtime on some file systems.
/// A file that is missing reads as empty content; its appearance is a change.
/// </summary>
internal sealed class ConfigWatcher : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Action<string> _changed;
    private readonly Timer _timer;
    private Dictionary<string, byte[]?> _known = new(StringComparer.Ordinal);
    private Dictionary<string, byte[]?> _pending = new(StringComparer.Ordinal);
    private bool _polling;

    /// <summary>Calls <paramref name="changed"/> (on a timer thread, one call at a time) with the path of a file that changed.</summary>
    public ConfigWatcher(TimeSpan interval, Action<string> changed)
    {
        _changed = changed;
        _timer = new Timer(_ => Poll(), null, interval, interval);
    }

    /// <summary>The files to watch from now on, as they are now (after a reload: what the reload read).</summary>
    public void Track(IEnumerable<string> paths)
    {
        var known = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        foreach (string path in paths)
        {
            known[path] = Read(path);
        }

        lock (_gate)
        {
            _known = known;
            _pending = new(StringComparer.Ordinal);
        }
    }

    public void Dispose() => _timer.Dispose();

    private void Poll()
    {
        string? changed = null;
        lock (_gate)
        {
            if (_polling)
            {
                return;
            }

            foreach (var (path, content) in _known)
            {
                byte[]? now = Read(path);
                if (Same(now, content))
                {
                    _pending.Remove(path);
                }
                else if (_pending.TryGetValue(path, out byte[]? seen) && Same(now, seen))
                {
                    changed = path;
                    _known[path] = now;
                    _pending.Remove(path);
                    break;
                }
                else
                {
                    _pending[path] = now;
                }
            }

            if (changed is null)
            {
                return;
            }

            _polling = true;
        }

        try
        {
            _changed(changed);
        }
        finally
        {
            lock (_gate)
            {
                _polling = false;
            }
        }
    }

    private static bool Same(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    private static byte[]? Read(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Missing or unreadable for now (a file being replaced): compared as absent; the reload says what is wrong.
            return null;
        }
    }
}
