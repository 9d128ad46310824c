using System.Globalization;
using System.Text.RegularExpressions;

namespace CotProxy.Tests.Integration.Metrics;

/// <summary>
/// A strict reader of the Prometheus text format (0.0.4) for the tests: every sample's family has HELP and TYPE before
/// it, names and labels are well formed, histogram buckets are cumulative and end with +Inf equal to _count.
/// </summary>
internal sealed partial class PrometheusText
{
    private static readonly string[] s_types = ["counter", "gauge", "histogram"];

    private readonly Dictionary<string, double> _samples = new(StringComparer.Ordinal);

    public static PrometheusText Parse(string text)
    {
        var parsed = new PrometheusText();
        var help = new HashSet<string>(StringComparer.Ordinal);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        foreach (var line in text[..^1].Split('\n'))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var name = line[7..].Split(' ')[0];
                Assert.True(help.Add(name), $"HELP twice for {name}");
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line[7..].Split(' ');
                Assert.Equal(2, parts.Length);
                Assert.Contains(parts[1], s_types);
                Assert.Contains(parts[0], help);
                Assert.True(types.TryAdd(parts[0], parts[1]), $"TYPE twice for {parts[0]}");
                continue;
            }

            var match = Sample().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            var metric = match.Groups["name"].Value;
            var family = types.ContainsKey(metric) ? metric : Regex.Replace(metric, "_(bucket|sum|count)$", "");
            Assert.True(types.TryGetValue(family, out var type), $"no TYPE for {metric}");
            Assert.True(family == metric || type == "histogram", $"{metric} is not a histogram's sample");
            var labels = match.Groups["labels"].Success ? match.Groups["labels"].Value : "";
            foreach (var label in SplitLabels(labels))
            {
                Assert.Matches(Label(), label);
            }

            var value = match.Groups["value"].Value;
            var number = value == "+Inf" ? double.PositiveInfinity : double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.True(parsed._samples.TryAdd(metric + "{" + labels + "}", number), $"sample twice: {line}");
        }

        parsed.CheckHistograms(types);
        return parsed;
    }

    /// <summary>The value of one sample, named with its labels exactly as written (<c>name{a="b"}</c>, or <c>name{}</c>).</summary>
    public double Value(string sample) => _samples.TryGetValue(sample, out var value) ? value : throw new KeyNotFoundException($"no sample {sample} in:\n{string.Join("\n", _samples.Keys)}");

    public bool Has(string sample) => _samples.ContainsKey(sample);

    public IEnumerable<string> Samples => _samples.Keys;

    private void CheckHistograms(Dictionary<string, string> types)
    {
        foreach (var (family, type) in types)
        {
            if (type != "histogram")
            {
                continue;
            }

            var series = _samples.Keys.Where(k => k.StartsWith(family + "_bucket{", StringComparison.Ordinal))
                .GroupBy(k => Regex.Replace(k, "le=\"[^\"]*\",?", "").Replace(",}", "}", StringComparison.Ordinal));
            foreach (var group in series)
            {
                var previous = 0.0;
                var previousBound = double.NegativeInfinity;
                string? last = null;
                foreach (var bucket in group)
                {
                    var bound = Regex.Match(bucket, "le=\"([^\"]*)\"").Groups[1].Value;
                    var upper = bound == "+Inf" ? double.PositiveInfinity : double.Parse(bound, CultureInfo.InvariantCulture);
                    Assert.True(upper > previousBound, $"buckets out of order in {family}");
                    Assert.True(_samples[bucket] >= previous, $"{bucket} is below the bucket before it");
                    previous = _samples[bucket];
                    previousBound = upper;
                    last = bound;
                }

                Assert.Equal("+Inf", last);
                var labels = group.Key[(family.Length + "_bucket".Length)..];
                Assert.Equal(previous, _samples[family + "_count" + (labels == "{}" ? "{}" : labels)]);
                Assert.True(_samples.ContainsKey(family + "_sum" + (labels == "{}" ? "{}" : labels)), $"no _sum for {group.Key}");
            }
        }
    }

    private static IEnumerable<string> SplitLabels(string labels) =>
        labels.Length == 0 ? [] : LabelPair().Matches(labels).Select(m => m.Value.TrimEnd(','));

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+]?(\d+(\.\d+)?([eE][-+]?\d+)?|Inf|NaN)|\+Inf)$""")]
    private static partial Regex Sample();

    [GeneratedRegex("""[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?""")]
    private static partial Regex LabelPair();

    [GeneratedRegex("""^[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\\n])*"$""")]
    private static partial Regex Label();
}
