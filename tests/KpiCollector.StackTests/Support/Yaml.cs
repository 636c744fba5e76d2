using YamlDotNet.RepresentationModel;

namespace KpiCollector.StackTests.Support;

/// <summary>Reads and rewrites YAML documents (configuration files, rule files, promtool tests) as node trees.</summary>
internal static class Yaml
{
    public static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        Assert.True(stream.Documents.Count == 1, $"{path}: expected one YAML document");
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    public static YamlSequenceNode LoadSequence(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        return (YamlSequenceNode)stream.Documents[0].RootNode;
    }

    public static void Save(YamlNode root, string path)
    {
        using var writer = new StreamWriter(path);
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
    }

    public static YamlNode? Get(this YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public static string? Str(this YamlMappingNode map, string key) => (map.Get(key) as YamlScalarNode)?.Value;

    public static YamlMappingNode Map(this YamlMappingNode map, string key) =>
        map.Get(key) as YamlMappingNode ?? throw new InvalidOperationException($"'{key}' is not a mapping");

    public static IEnumerable<YamlMappingNode> Maps(this YamlMappingNode map, string key) =>
        (map.Get(key) as YamlSequenceNode)?.Children.Cast<YamlMappingNode>() ?? [];

    public static IEnumerable<string> Strings(this YamlMappingNode map, string key) =>
        (map.Get(key) as YamlSequenceNode)?.Children.Cast<YamlScalarNode>().Select(s => s.Value!) ?? [];

    public static void Set(this YamlMappingNode map, string key, string value) =>
        map.Children[new YamlScalarNode(key)] = new YamlScalarNode(value);

    public static void Set(this YamlMappingNode map, string key, YamlNode value) =>
        map.Children[new YamlScalarNode(key)] = value;

    public static YamlSequenceNode Seq(params string[] values) => new(values.Select(v => new YamlScalarNode(v)));
}
