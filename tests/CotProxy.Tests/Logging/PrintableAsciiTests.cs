using CotProxy.Logging;
using CsCheck;

namespace CotProxy.Tests.Logging;

/// <summary>
/// <see cref="PrintableAscii.TryNarrow"/> against the rule written char by char: true exactly when every char is from
/// U+0020 to U+007E, and then the bytes are the chars. Lengths cover the byte-by-byte path (under 4), the two words (4-7)
/// and the blocks of eight with an overlapping last one; the odd chars sit at every position, the neighbours of the
/// range's ends and the values whose additions carry into the next char (U+FFA0 and up) among them. CsCheck puts the
/// seed of a failing sample into the failure message; rerun it with <c>Sample(…, seed: "…")</c>.
/// </summary>
public sealed class PrintableAsciiTests
{
    private static readonly char[] s_odd =
    [
        '\0', '\t', '\n', '\r', '\u001f', '\u007f', '\u0080', '\u00e9', '\u00ff', '\u0100', '\u017f', '\u0180', '\u20ac',
        '\ud83d', '\ude00', '\uff9f', '\uffa0', '\ufffe', '\uffff',
    ];

    private static bool Reference(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static void Check(string text)
    {
        // A destination longer than the text, filled with a marker: bytes past the text must stay untouched.
        var destination = new byte[text.Length + 9];
        Array.Fill(destination, (byte)0xA5);
        var narrowed = PrintableAscii.TryNarrow(text, destination);

        var expected = Reference(text);
        Assert.True(expected == narrowed, $"TryNarrow said {narrowed} for [{string.Join(",", text.Select(c => ((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)))}]");
        if (narrowed)
        {
            Assert.Equal(text.Select(c => (byte)c).ToArray(), destination[..text.Length]);
        }

        Assert.All(destination[text.Length..], b => Assert.Equal(0xA5, b));
    }

    [Fact]
    public void TryNarrow_OneOddCharAtEveryPositionOfEveryLength_FalseExactlyThen()
    {
        for (var length = 0; length <= 40; length++)
        {
            Check(new string('~', length));
            Check(new string(' ', length));
            for (var at = 0; at < length; at++)
            {
                foreach (var odd in s_odd)
                {
                    var chars = new string('a', length).ToCharArray();
                    chars[at] = odd;
                    Check(new string(chars));
                }
            }
        }
    }

    [Fact]
    public void TryNarrow_GeneratedText_AgreesWithTheCharByCharRule()
    {
        var ch = Gen.Frequency((30, Gen.Char[' ', '~']), (1, Gen.OneOf(s_odd)), (1, Gen.Char));
        ch.Array[0, 70].Select(static c => new string(c)).Sample(Check, iter: 20_000);
    }

    [Fact]
    public void TryNarrow_DestinationShorterThanText_Throws()
    {
        var destination = new byte[3];

        Assert.Throws<ArgumentOutOfRangeException>(() => PrintableAscii.TryNarrow("abcd", destination));
    }
}
