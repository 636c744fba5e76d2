using System.Globalization;

namespace KpiCollector.Core.Time;

/// <summary>
/// Parses and formats the short durations used in configuration and in the <c>window</c> label:
/// a positive whole number followed by a unit, <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c> or <c>w</c> (e.g. <c>30s</c>, <c>1h</c>, <c>7d</c>).
/// </summary>
public static class Durations
{
    public const string Syntax = "a positive whole number followed by s, m, h, d or w (for example 30s, 5m, 1h, 7d)";

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length < 2)
        {
            return false;
        }

        text = text.Trim();
        var unit = char.ToLowerInvariant(text[^1]);
        if (!long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            return false;
        }

        long? seconds = unit switch
        {
            's' => n,
            'm' => n * 60,
            'h' => n * 3600,
            'd' => n * 86_400,
            'w' => n * 604_800,
            _ => null,
        };
        if (seconds is null || seconds > 3_153_600_000) // 100 years: anything longer is a typo
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(seconds.Value);
        return true;
    }

    /// <summary>Like <see cref="TryParse"/>, and also accepts zero (<c>0s</c>, <c>0m</c>, ...).</summary>
    public static bool TryParseNonNegative(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var t = text?.Trim();
        if (t is { Length: >= 2 } && t[..^1].All(c => c == '0') && "smhdw".Contains(char.ToLowerInvariant(t[^1]), StringComparison.Ordinal))
        {
            return true;
        }

        return TryParse(text, out duration);
    }

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var d) ? d : throw new FormatException($"'{text}' is not a duration; use {Syntax}.");
}
