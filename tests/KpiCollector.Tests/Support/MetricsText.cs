using System.Globalization;
using System.Text.RegularExpressions;

namespace KpiCollector.Tests.Support;

/// <summary>Reads samples out of a Prometheus text exposition.</summary>
internal static partial class MetricsText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public static List<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"unparseable exposition line: {line}");
            var labels = LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value);
            samples.Add(new Sample(m.Groups["name"].Value, labels, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }

        return samples;
    }

    /// <summary>The samples of <paramref name="name"/> whose labels include every given pair.</summary>
    public static IEnumerable<Sample> Find(this IEnumerable<Sample> samples, string name, params (string Label, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value));

    public static double? Value(this IEnumerable<Sample> samples, string name, params (string Label, string Value)[] labels) =>
        samples.Find(name, labels).Select(s => (double?)s.Value).FirstOrDefault();

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( \d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
