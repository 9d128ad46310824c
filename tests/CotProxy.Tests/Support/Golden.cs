using System.Runtime.CompilerServices;

namespace CotProxy.Tests.Support;

/// <summary>
/// Golden files beside the test source: compares with &lt;name&gt;.verified.txt; on a difference (or when
/// missing) writes &lt;name&gt;.received.txt next to it and fails. Review a received file, then rename it.
/// </summary>
internal static class Golden
{
    public static void Verify(string actual, string name, [CallerFilePath] string path = "")
    {
        string directory = Path.GetDirectoryName(path) ?? throw new InvalidOperationException("No caller file path.");
        string verified = Path.Combine(directory, name + ".verified.txt");
        string received = Path.Combine(directory, name + ".received.txt");
        string? expected = File.Exists(verified) ? File.ReadAllText(verified) : null;
        if (expected == actual)
        {
            if (File.Exists(received))
            {
                File.Delete(received);
            }

            return;
        }

        File.WriteAllText(received, actual);
        Assert.Fail(expected is null
            ? $"No golden file {verified}; wrote {received}: review it and rename it to .verified.txt."
            : $"Output differs from {verified}; wrote {received}: compare the two.");
    }
}
