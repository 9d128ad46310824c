using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Repository;

/// <summary>
/// The recorded real-server bodies in Fixtures/ are data, not text to tidy: the tests compare what the proxy makes of
/// them byte for byte, so a checkout that converted line endings or an edit would change what they prove.
/// .gitattributes marks them -text; these tests catch a copy that changed anyway.
/// </summary>
public sealed partial class RecordedBodiesTests
{
    private const string Checksums = "SHA256SUMS";
    private const string Index = "INDEX.md";

    [Fact]
    public void RecordedBodies_EveryFile_MatchesItsRecordedChecksum()
    {
        var expected = ReadChecksums();

        Assert.NotEmpty(expected);
        foreach (var (name, hash) in expected)
        {
            var actual = Convert.ToHexStringLower(SHA256.HashData(Fixtures.ReadBytes(name)));
            Assert.True(hash == actual, $"{name}: SHA-256 {actual}, recorded {hash}. The body changed (line endings?); restore it byte for byte.");
        }
    }

    [Fact]
    public void RecordedBodies_Folder_HoldsExactlyTheFilesInIndexAndChecksums()
    {
        var present = Directory.GetFiles(Fixtures.Directory).Select(Path.GetFileName).Where(n => n is not Index and not Checksums).Order(StringComparer.Ordinal);
        var indexed = File.ReadLines(Path.Combine(Fixtures.Directory, Index)).Select(line => IndexRow().Match(line)).Where(m => m.Success).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal);

        Assert.Equal(present, indexed);
        Assert.Equal(present, ReadChecksums().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void RecordedBodies_PerplexityStream_KeepsItsCrlfLineEndings()
    {
        var body = Fixtures.ReadBytes("perplexity__sonar-reasoning-pro_stream_think_tags_in_content_no_DONE.txt");

        var lineFeeds = body.Count(b => b == (byte)'\n');
        var crlfs = Enumerable.Range(1, body.Length - 1).Count(i => body[i] == (byte)'\n' && body[i - 1] == (byte)'\r');
        Assert.True(lineFeeds > 0 && crlfs == lineFeeds, $"{crlfs} of {lineFeeds} line feeds follow a CR; Perplexity sent CRLF on every line.");
    }

    private static Dictionary<string, string> ReadChecksums() =>
        File.ReadLines(Path.Combine(Fixtures.Directory, Checksums))
            .Where(line => line.Length > 0)
            .Select(line => line.Split("  ", 2))
            .ToDictionary(parts => parts[1], parts => parts[0], StringComparer.Ordinal);

    // A row of INDEX.md's summary table: "| 3 | file-name.txt | ...".
    [GeneratedRegex(@"^\| \d+ \| ([^ |]+\.txt) \|", RegexOptions.CultureInvariant)]
    private static partial Regex IndexRow();
}
