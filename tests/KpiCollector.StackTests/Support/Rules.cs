using YamlDotNet.RepresentationModel;

namespace KpiCollector.StackTests.Support;

internal sealed record AlertRule(
    string File,
    string Group,
    string Name,
    string Expr,
    string? For,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations)
{
    public override string ToString() => $"{Name} ({Labels.GetValueOrDefault("severity")})";
}

internal sealed record RecordingRule(string File, string Group, string Name, string Expr);

/// <summary>The shipped rule files under prometheus/rules, read as data.</summary>
internal static class Rules
{
    private static readonly Lazy<(List<AlertRule> Alerts, List<RecordingRule> Recordings)> Loaded = new(Load);

    public static IReadOnlyList<AlertRule> Alerts => Loaded.Value.Alerts;

    public static IReadOnlyList<RecordingRule> Recordings => Loaded.Value.Recordings;

    public static IEnumerable<string> Files => Directory.EnumerateFiles(Repo.RulesDir, "*.yaml").Order();

    private static (List<AlertRule>, List<RecordingRule>) Load()
    {
        var alerts = new List<AlertRule>();
        var recordings = new List<RecordingRule>();
        foreach (var file in Files)
        {
            foreach (var group in Yaml.Load(file).Maps("groups"))
            {
                var groupName = group.Str("name")!;
                foreach (var rule in group.Maps("rules"))
                {
                    var expr = rule.Str("expr")!;
                    if (rule.Str("alert") is { } alert)
                    {
                        alerts.Add(new AlertRule(Path.GetFileName(file), groupName, alert, expr, rule.Str("for"),
                            Dict(rule.Get("labels")), Dict(rule.Get("annotations"))));
                    }
                    else
                    {
                        recordings.Add(new RecordingRule(Path.GetFileName(file), groupName, rule.Str("record")!, expr));
                    }
                }
            }
        }

        return (alerts, recordings);
    }

    private static Dictionary<string, string> Dict(YamlNode? node) =>
        (node as YamlMappingNode)?.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!)
        ?? [];
}
