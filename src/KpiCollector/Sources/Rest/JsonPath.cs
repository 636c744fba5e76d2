using System.Globalization;
using System.Text.Json;

namespace KpiCollector.Sources.Rest;

/// <summary>
/// The JSON path subset REST profiles use (docs/profiles.md): <c>$</c>, <c>.name</c>, <c>['name']</c>, <c>[n]</c>
/// (negative counts from the end: <c>[-1]</c> is the last element), <c>[*]</c>, and filters
/// <c>[?(@.a.b=='x')]</c> / <c>[?(@.a!=3)]</c> comparing a dot path of the element with a string or number literal,
/// several such conditions joined by <c>&amp;&amp;</c> (all must hold); <c>null</c> as the literal compares with a
/// missing or null value (<c>[?(@.user_id!=null)]</c>: the elements that have one).
/// </summary>
public sealed class JsonPath
{
    private readonly IReadOnlyList<Step> _steps;

    private JsonPath(string text, IReadOnlyList<Step> steps)
    {
        Text = text;
        _steps = steps;
    }

    public string Text { get; }

    /// <summary>True when the path can select more than one element (it has <c>[*]</c> or a filter).</summary>
    public bool IsMulti => _steps.Any(s => s.Kind is StepKind.All or StepKind.Filter);

    public override string ToString() => Text;

    /// <summary>Parses <paramref name="text"/>; null with <paramref name="error"/> saying what is wrong.</summary>
    public static JsonPath? TryParse(string text, out string? error)
    {
        error = null;
        var steps = new List<Step>();
        var s = text.Trim();
        if (!s.StartsWith('$'))
        {
            error = "a JSON path starts with $";
            return null;
        }

        var i = 1;
        while (i < s.Length)
        {
            if (s[i] == '.')
            {
                var start = ++i;
                while (i < s.Length && s[i] != '.' && s[i] != '[')
                {
                    i++;
                }

                if (i == start)
                {
                    error = $"an empty name at position {start}";
                    return null;
                }

                steps.Add(new Step(StepKind.Name, s[start..i]));
            }
            else if (s[i] == '[')
            {
                var end = s[i..].StartsWith("[?(", StringComparison.Ordinal) ? s.IndexOf(")]", i, StringComparison.Ordinal) + 1 : s.IndexOf(']', i);
                if (end <= i)
                {
                    error = $"an unclosed [ at position {i}";
                    return null;
                }

                var inner = s[(i + 1)..end];
                i = end + 1;
                if (inner == "*")
                {
                    steps.Add(new Step(StepKind.All, ""));
                }
                else if (inner.Length >= 2 && inner[0] == '\'' && inner[^1] == '\'')
                {
                    steps.Add(new Step(StepKind.Name, inner[1..^1]));
                }
                else if (int.TryParse(inner, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index))
                {
                    steps.Add(new Step(StepKind.Index, "", index));
                }
                else if (inner.StartsWith("?(", StringComparison.Ordinal) && inner.EndsWith(')'))
                {
                    var filter = ParseFilter(inner[2..^1], out error);
                    if (filter is null)
                    {
                        return null;
                    }

                    steps.Add(filter);
                }
                else
                {
                    error = $"'[{inner}]' is not [n], [*], ['name'] nor a filter [?(@.field=='value')]";
                    return null;
                }
            }
            else
            {
                error = $"unexpected '{s[i]}' at position {i}: expected . or [";
                return null;
            }
        }

        return new JsonPath(s, steps);
    }

    /// <summary>Every element the path selects in <paramref name="root"/> (none when a step finds nothing or null).</summary>
    public IEnumerable<JsonElement> Select(JsonElement root)
    {
        IEnumerable<JsonElement> current = [root];
        foreach (var step in _steps)
        {
            current = current.SelectMany(step.Apply);
        }

        return current.Where(e => e.ValueKind is not JsonValueKind.Null and not JsonValueKind.Undefined);
    }

    /// <summary>The first element selected, or null.</summary>
    public JsonElement? First(JsonElement root)
    {
        foreach (var e in Select(root))
        {
            return e;
        }

        return null;
    }

    /// <summary>The last element selected (in document order), or null.</summary>
    public JsonElement? Last(JsonElement root)
    {
        JsonElement? last = null;
        foreach (var e in Select(root))
        {
            last = e;
        }

        return last;
    }

    private static Step? ParseFilter(string expression, out string? error)
    {
        error = null;
        Step? filter = null;
        foreach (var condition in SplitConditions(expression).AsEnumerable().Reverse())
        {
            var step = ParseCondition(condition, filter, out error);
            if (step is null)
            {
                return null;
            }

            filter = step;
        }

        return filter;
    }

    /// <summary>The conditions of a filter joined by <c>&amp;&amp;</c> (outside quoted literals).</summary>
    private static List<string> SplitConditions(string expression)
    {
        var parts = new List<string>();
        var (start, quoted) = (0, false);
        for (var i = 0; i < expression.Length; i++)
        {
            if (expression[i] == '\'')
            {
                quoted = !quoted;
            }
            else if (!quoted && expression[i] == '&' && i + 1 < expression.Length && expression[i + 1] == '&')
            {
                parts.Add(expression[start..i].Trim());
                start = i + 2;
                i++;
            }
        }

        parts.Add(expression[start..].Trim());
        return parts;
    }

    private static Step? ParseCondition(string expression, Step? and, out string? error)
    {
        error = null;
        var op = expression.Contains("!=", StringComparison.Ordinal) ? "!=" : "==";
        var at = expression.IndexOf(op, StringComparison.Ordinal);
        if (at < 0 || !expression.StartsWith("@", StringComparison.Ordinal))
        {
            error = $"the filter '{expression}' is not @.field=='value' or @.field!='value' (conditions joined by &&)";
            return null;
        }

        var left = TryParse("$" + expression[1..at].Trim(), out error);
        if (left is null)
        {
            return null;
        }

        var literal = expression[(at + op.Length)..].Trim();
        string? text = null;
        double? number = null;
        var isNull = false;
        if (literal == "null")
        {
            isNull = true;
        }
        else if (literal.Length >= 2 && literal[0] == '\'' && literal[^1] == '\'')
        {
            text = literal[1..^1];
        }
        else if (double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
        {
            number = n;
        }
        else if (literal is "true" or "false")
        {
            text = literal;
        }
        else
        {
            error = $"the filter value {literal} is not a quoted string, a number, true, false or null";
            return null;
        }

        return new Step(StepKind.Filter, "", 0, left, op == "!=", text, number, and, isNull);
    }

    private enum StepKind
    {
        Name,
        Index,
        All,
        Filter,
    }

    private sealed record Step(StepKind Kind, string Name, int Index = 0, JsonPath? Left = null, bool Negate = false, string? Text = null, double? Number = null, Step? And = null, bool IsNull = false)
    {
        public IEnumerable<JsonElement> Apply(JsonElement e)
        {
            switch (Kind)
            {
                case StepKind.Name when e.ValueKind == JsonValueKind.Object && e.TryGetProperty(Name, out var v):
                    return [v];
                case StepKind.Index when e.ValueKind == JsonValueKind.Array:
                    var n = e.GetArrayLength();
                    var i = Index < 0 ? n + Index : Index;
                    return i >= 0 && i < n ? [e[i]] : [];
                case StepKind.All when e.ValueKind == JsonValueKind.Array:
                    return e.EnumerateArray().ToList();
                case StepKind.All when e.ValueKind == JsonValueKind.Object:
                    return e.EnumerateObject().Select(p => p.Value).ToList();
                case StepKind.Filter when e.ValueKind == JsonValueKind.Array:
                    return e.EnumerateArray().Where(Matches).ToList();
                default:
                    return [];
            }
        }

        private bool Matches(JsonElement element)
        {
            var value = Left!.First(element);
            var equal = IsNull ? value is null : value is { } v && (Number is { } n
                ? v.ValueKind == JsonValueKind.Number && v.GetDouble() == n
                : RestValues.Text(v) == Text);
            return equal != Negate && (And is null || And.Matches(element));
        }
    }
}
