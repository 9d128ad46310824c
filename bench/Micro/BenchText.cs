using System.Text;

namespace CotProxy.Bench;

/// <summary>Realistic model output for the benchmarks: English prose cut into token-sized pieces, as a model streams it.</summary>
internal static class BenchText
{
    private const string Thought =
        "Okay, the user wants to know why the sky is blue. I should recall Rayleigh scattering: shorter wavelengths scatter " +
        "more strongly off the molecules of the atmosphere, roughly with the inverse fourth power of the wavelength. Violet " +
        "scatters even more, but the sun emits less of it and our eyes are less sensitive to it, so the sky looks blue. ";

    private const string Answer =
        "The sky looks blue because of **Rayleigh scattering**. Sunlight contains every colour, and when it passes through " +
        "the atmosphere the tiny nitrogen and oxygen molecules scatter short wavelengths much more than long ones (about " +
        "1/λ⁴). Blue light is therefore redirected across the whole sky and reaches your eyes from every direction, while " +
        "red and yellow light mostly pass straight through. Violet is scattered even more, but the sun emits less of it and " +
        "human eyes are less sensitive to it, so the overall impression is blue. At sunrise and sunset the light travels " +
        "through far more air, most of the blue is scattered away before it reaches you, and the sky turns orange and red. ";

    /// <summary>The answer as <paramref name="count"/> tokens (about four characters each, a leading space kept with its word).</summary>
    public static List<string> AnswerTokens(int count) => Tokens(Answer, count);

    public static List<string> ThoughtTokens(int count) => Tokens(Thought, count);

    public static byte[][] Utf8(IEnumerable<string> pieces) => [.. pieces.Select(Encoding.UTF8.GetBytes)];

    private static List<string> Tokens(string text, int count)
    {
        var tokens = new List<string>(count);
        var position = 0;
        while (tokens.Count < count)
        {
            var next = text.IndexOf(' ', position + 1);
            if (next < 0)
            {
                next = text.Length;
            }

            // Long words go out in pieces of at most four characters, as BPE tokenizers cut them.
            var length = Math.Min(next - position, 4 + (text[position] == ' ' ? 1 : 0));
            tokens.Add(text.Substring(position, length));
            position += length;
            if (position >= text.Length)
            {
                position = 0;
            }
        }

        return tokens;
    }
}
