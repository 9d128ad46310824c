using System.Globalization;

namespace CotProxy.Bench.Soak;

/// <summary>A process's resident memory, thread count and open descriptors, read from /proc.</summary>
internal readonly record struct ProcessSample(long RssKb, int Threads, int Fds)
{
    public static ProcessSample? Read(int pid)
    {
        try
        {
            long rss = -1;
            var threads = -1;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line.AsSpan(8).Trim(), CultureInfo.InvariantCulture);
                }
            }

            return new ProcessSample(rss, threads, Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    public string Mib => (RssKb / 1024.0).ToString("F1", CultureInfo.InvariantCulture);
}
