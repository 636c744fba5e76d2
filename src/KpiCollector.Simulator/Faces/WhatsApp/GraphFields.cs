namespace KpiCollector.Simulator.Faces.WhatsApp;

/// <summary>
/// One requested field of a Graph API <c>fields</c> list: its name and its dot-chained modifiers, e.g.
/// <c>pricing_analytics.start(1740787200).granularity(DAILY).dimensions(["PRICING_CATEGORY"])</c>.
/// </summary>
/// <param name="Name">The field (<c>pricing_analytics</c>).</param>
/// <param name="Modifiers">Each modifier's raw argument (<c>start</c> → <c>1740787200</c>), by name, case-sensitive as Graph is.</param>
public sealed record GraphField(string Name, IReadOnlyDictionary<string, string> Modifiers)
{
    /// <summary>
    /// Splits a <c>fields</c> value at the commas outside parentheses and brackets, then each field at the dots
    /// outside them. Null when it does not parse (unbalanced brackets, a modifier without its parentheses).
    /// </summary>
    public static IReadOnlyList<GraphField>? ParseList(string? fields)
    {
        var result = new List<GraphField>();
        foreach (var part in SplitTopLevel(fields ?? "", ','))
        {
            if (part is null)
            {
                return null;
            }

            var pieces = SplitTopLevel(part.Trim(), '.');
            if (pieces.Any(p => p is null) || pieces.Count == 0 || pieces[0]!.Length == 0)
            {
                return null;
            }

            var modifiers = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var piece in pieces.Skip(1))
            {
                var open = piece!.IndexOf('(', StringComparison.Ordinal);
                if (open <= 0 || !piece.EndsWith(')'))
                {
                    return null;
                }

                modifiers[piece[..open]] = piece[(open + 1)..^1];
            }

            result.Add(new GraphField(pieces[0]!, modifiers));
        }

        return result;
    }

    /// <summary>A list argument: <c>["A","B"]</c>, <c>[A,B]</c> or a bare <c>A</c>; quotes and blanks trimmed.</summary>
    public static IReadOnlyList<string> List(string argument)
    {
        var inner = argument.Trim();
        if (inner.StartsWith('[') && inner.EndsWith(']'))
        {
            inner = inner[1..^1];
        }

        return [.. inner.Split(',').Select(v => v.Trim().Trim('"', '\'').Trim()).Where(v => v.Length > 0)];
    }

    /// <summary>The list argument of a modifier, or null when the modifier is absent (Graph: "all").</summary>
    public IReadOnlyList<string>? ListOf(string modifier) => Modifiers.TryGetValue(modifier, out var raw) ? List(raw) : null;

    private static List<string?> SplitTopLevel(string text, char separator)
    {
        var parts = new List<string?>();
        if (text.Length == 0)
        {
            return parts;
        }

        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(' or '[':
                    depth++;
                    break;
                case ')' or ']':
                    if (--depth < 0)
                    {
                        return [null];
                    }

                    break;
                default:
                    if (text[i] == separator && depth == 0)
                    {
                        parts.Add(text[start..i]);
                        start = i + 1;
                    }

                    break;
            }
        }

        if (depth != 0)
        {
            return [null];
        }

        parts.Add(text[start..]);
        return parts;
    }
}
