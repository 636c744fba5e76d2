using KpiCollector.Core.Time;

namespace KpiCollector.Configuration;

/// <summary>The checks many settings share, each adding a problem that names the full key and what it accepts.</summary>
public static class SettingsRules
{
    private static readonly TimeSpan MinOpenSetInterval = TimeSpan.FromMinutes(5);

    /// <summary>A positive duration such as <c>30s</c>, <c>5m</c>, <c>1h</c> or <c>7d</c>.</summary>
    public static void Duration(string key, string? value, List<string> failures)
    {
        if (!Durations.TryParse(value, out _))
        {
            failures.Add($"{key}: '{value}' is not a positive duration; use {Durations.Syntax}.");
        }
    }

    /// <summary>A whole number in <c>[min, max]</c>; <paramref name="hint"/> (e.g. the platform's own limits) follows the range.</summary>
    public static void Range(string key, int value, int min, int max, List<string> failures, string? hint = null)
    {
        if (value < min || value > max)
        {
            failures.Add($"{key}: {value} is out of range; allowed: {min} to {max}{(hint is null ? "" : $" ({hint})")}.");
        }
    }

    /// <summary>A reconciliation lists every open conversation: more often than every 5 minutes would spend the budget on little.</summary>
    public static void OpenSetInterval(string key, string? value, List<string> failures)
    {
        if (!Durations.TryParse(value, out var interval))
        {
            failures.Add($"{key}: '{value}' is not a positive duration; use {Durations.Syntax}.");
        }
        else if (interval < MinOpenSetInterval)
        {
            failures.Add($"{key}: '{value}' is too short; each reconciliation lists every open conversation, use 5m or more (default 1h).");
        }
    }
}
