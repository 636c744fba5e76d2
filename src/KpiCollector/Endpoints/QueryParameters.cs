using System.Globalization;
using KpiCollector.Core.Records;
using KpiCollector.Sources;

namespace KpiCollector.Endpoints;

/// <summary>A query parameter the drill-down or the export cannot use; the message names the parameter.</summary>
public sealed class QueryParameterException(string parameter, string message) : Exception($"{parameter}: {message}")
{
    public string Parameter { get; } = parameter;
}

/// <summary>
/// Reads the drill-down's and the export's query parameters strictly: one value each, known names only, so that a
/// typo in a dashboard link gives a 400 naming the parameter instead of a silently unfiltered list.
/// </summary>
internal static class QueryParameters
{
    /// <summary>The value Grafana puts in a label for the series that aggregates every channel or team: no filter.</summary>
    private const string All = "all";

    public static void RejectUnknown(IQueryCollection query, params string[] known)
    {
        foreach (var key in query.Keys)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                throw new QueryParameterException(key, $"unknown parameter (known: {string.Join(", ", known)})");
            }
        }
    }

    /// <summary>The parameter's single value; null when absent or empty.</summary>
    public static string? Single(IQueryCollection query, string name)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return null;
        }

        if (values.Count > 1)
        {
            throw new QueryParameterException(name, "give at most one value");
        }

        var value = values[0]?.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>A configured source's name, or null for every source (absent, empty or <c>all</c>).</summary>
    public static string? Source(IQueryCollection query, SourceRegistry sources)
    {
        var value = Single(query, "source");
        if (value is null or All)
        {
            return null;
        }

        return sources.TryStatusOf(value) is not null
            ? value
            : throw new QueryParameterException("source", $"no source named '{value}' (configured: {string.Join(", ", sources.Statuses.Select(s => s.Name).Order(StringComparer.Ordinal))})");
    }

    /// <summary>A normalized channel name, or null for every channel (absent, empty or <c>all</c>).</summary>
    public static string? Channel(IQueryCollection query)
    {
        var value = Single(query, "channel");
        if (value is null || value.Equals(All, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return Channels.Known.FirstOrDefault(c => c.Equals(value, StringComparison.OrdinalIgnoreCase))
            ?? throw new QueryParameterException("channel", $"'{value}' is not a channel (one of: {string.Join(", ", Channels.Known)}, all)");
    }

    /// <summary>A team id, or null for every team (absent, empty or <c>all</c>).</summary>
    public static string? Team(IQueryCollection query) => Single(query, "team") is { } team && team != All ? team : null;

    public static int Int(IQueryCollection query, string name, int fallback, int min, int max)
    {
        var value = Single(query, name);
        if (value is null)
        {
            return fallback;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new QueryParameterException(name, $"'{value}' is not a whole number from {min} to {max}");
    }

    /// <summary>An ISO 8601 instant (with an offset or Z; a date alone is midnight UTC), or null when absent.</summary>
    public static DateTimeOffset? Instant(IQueryCollection query, string name)
    {
        var value = Single(query, name);
        if (value is null)
        {
            return null;
        }

        string[] formats = ["yyyy-MM-dd", "yyyy-MM-ddTHH:mmK", "yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK"];
        return DateTimeOffset.TryParseExact(value, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            && (value.Length == 10 || value.EndsWith('Z') || value.Contains('+', StringComparison.Ordinal) || value.LastIndexOf('-') > 10)
            ? t
            : throw new QueryParameterException(name, $"'{value}' is not an ISO 8601 instant with a time zone, e.g. 2026-11-01T00:00:00Z or 2026-11-01");
    }
}
