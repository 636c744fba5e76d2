using System.Text;

namespace KpiCollector.StackTests.Support;

/// <summary>
/// Just enough of PromQL's lexical structure to find the metric selectors of an expression and the function each one
/// is the direct argument of. Syntax itself is checked by promtool; this finds what promtool accepts but a reader
/// should not: rate() over a gauge, a counter used without rate(), a range other than $__rate_interval.
/// </summary>
internal static class PromQl
{
    /// <param name="Metric">The metric name written in the selector.</param>
    /// <param name="Range">The range text between brackets (e.g. 5m, $__rate_interval), or null for an instant selector.</param>
    /// <param name="Function">The function whose direct argument the selector is (rate, delta, ...), or null.</param>
    public sealed record Selector(string Metric, string? Range, string? Function);

    private static readonly HashSet<string> Keywords =
    [
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
        "atan2", "inf", "nan", "Inf", "NaN",
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile",
    ];

    private static readonly HashSet<string> Grouping = ["by", "without", "on", "ignoring", "group_left", "group_right"];

    private static readonly HashSet<string> CounterFunctions = ["rate", "irate", "increase"];

    public static IReadOnlyList<Selector> Selectors(string expr)
    {
        var tokens = Tokenize(expr);
        var selectors = new List<Selector>();
        var frames = new Stack<string?>(); // function name, "(group)" for label lists, null for plain parentheses
        string? pendingCall = null;
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            var next = i + 1 < tokens.Count ? tokens[i + 1] : null;
            switch (t.Kind)
            {
                case Kind.Ident when next?.Text == "(" && Grouping.Contains(t.Text):
                    frames.Push("(group)");
                    i++;
                    break;
                case Kind.Ident when next?.Text == "(" && !Keywords.Contains(t.Text):
                    pendingCall = t.Text;
                    break;
                case Kind.Ident when Keywords.Contains(t.Text) || (frames.Count > 0 && frames.Peek() == "(group)"):
                    break;
                case Kind.Ident:
                    i = ReadSelector(tokens, i, t.Text, frames, selectors);
                    break;
                case Kind.Punct when t.Text == "{":
                    i = ReadSelector(tokens, i - 1, null, frames, selectors);
                    break;
                case Kind.Punct when t.Text == "(":
                    frames.Push(pendingCall);
                    pendingCall = null;
                    break;
                case Kind.Punct when t.Text == ")":
                    frames.TryPop(out _);
                    break;
                case Kind.Punct when t.Text == "[": // a subquery range after a parenthesised expression
                    while (i < tokens.Count && tokens[i].Text != "]")
                    {
                        i++;
                    }

                    break;
            }
        }

        return selectors;
    }

    /// <summary>Problems with counters: a _total series not directly under rate/irate/increase, or one of those over a gauge.</summary>
    public static IEnumerable<string> CounterProblems(string expr)
    {
        foreach (var s in Selectors(expr))
        {
            var isCounter = s.Metric.EndsWith("_total", StringComparison.Ordinal);
            var isHistogramPart = s.Metric.EndsWith("_bucket", StringComparison.Ordinal)
                || s.Metric.EndsWith("_count", StringComparison.Ordinal) || s.Metric.EndsWith("_sum", StringComparison.Ordinal);
            var underCounterFunction = s.Range is not null && s.Function is not null && CounterFunctions.Contains(s.Function);
            if (isCounter && !underCounterFunction)
            {
                yield return $"counter {s.Metric} is not aggregated with rate, irate or increase";
            }

            if (s.Function is not null && CounterFunctions.Contains(s.Function) && !isCounter && !isHistogramPart)
            {
                yield return $"{s.Function}() applied to {s.Metric}, which is not a counter (_total) nor a histogram series";
            }
        }
    }

    private static int ReadSelector(List<Token> tokens, int i, string? metric, Stack<string?> frames, List<Selector> selectors)
    {
        var j = i + 1;
        if (j < tokens.Count && tokens[j].Text == "{")
        {
            while (j < tokens.Count && tokens[j].Text != "}")
            {
                j++;
            }

            j++;
        }

        string? range = null;
        if (j < tokens.Count && tokens[j].Text == "[")
        {
            var text = new StringBuilder();
            j++;
            while (j < tokens.Count && tokens[j].Text != "]")
            {
                text.Append(tokens[j].Text);
                j++;
            }

            range = text.ToString();
        }
        else
        {
            j--;
        }

        if (metric is not null)
        {
            selectors.Add(new Selector(metric, range, frames.Count > 0 ? frames.Peek() : null));
        }

        return j;
    }

    private enum Kind { Ident, Number, String, Punct, Op }

    private sealed record Token(Kind Kind, string Text);

    private static List<Token> Tokenize(string s)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '#')
            {
                while (i < s.Length && s[i] != '\n')
                {
                    i++;
                }
            }
            else if (c is '"' or '\'' or '`')
            {
                var start = i++;
                while (i < s.Length && s[i] != c)
                {
                    i += s[i] == '\\' && c != '`' ? 2 : 1;
                }

                i++;
                tokens.Add(new Token(Kind.String, s[start..Math.Min(i, s.Length)]));
            }
            else if (char.IsLetter(c) || c is '_' or ':')
            {
                var start = i;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] is '_' or ':'))
                {
                    i++;
                }

                tokens.Add(new Token(Kind.Ident, s[start..i]));
            }
            else if (char.IsDigit(c) || c == '.')
            {
                var start = i;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '.'))
                {
                    i++;
                }

                tokens.Add(new Token(Kind.Number, s[start..i]));
            }
            else if (c == '$') // a Grafana variable left in place: $name or ${name}
            {
                var start = i++;
                if (i < s.Length && s[i] == '{')
                {
                    while (i < s.Length && s[i] != '}')
                    {
                        i++;
                    }

                    i++;
                }
                else
                {
                    while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_'))
                    {
                        i++;
                    }
                }

                tokens.Add(new Token(Kind.Number, s[start..i]));
            }
            else if ("(){}[],".Contains(c, StringComparison.Ordinal))
            {
                tokens.Add(new Token(Kind.Punct, c.ToString()));
                i++;
            }
            else
            {
                var start = i;
                while (i < s.Length && "+-*/%^=!<>~@".Contains(s[i], StringComparison.Ordinal))
                {
                    i++;
                }

                if (i == start)
                {
                    i++; // anything else: skip it, promtool reports real syntax errors
                }

                tokens.Add(new Token(Kind.Op, s[start..i]));
            }
        }

        return tokens;
    }
}
