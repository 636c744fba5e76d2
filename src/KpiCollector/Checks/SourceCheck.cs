using System.Globalization;

namespace KpiCollector.Checks;

/// <summary>One permission the poll needs, and whether the credential has it (null: the platform did not say).</summary>
public sealed record PermissionCheck(string Needed, bool? Granted, string Detail);

/// <summary>
/// What <c>check sources</c> found out about one source with its one request: reachable, authenticated, the
/// permissions the poll needs, the rate-limit budget, and how long the backfill takes at the pace the poll keeps.
/// </summary>
public sealed class SourceCheck
{
    public required string Name { get; init; }

    public required string Platform { get; init; }

    /// <summary>The configuration key of the source, e.g. <c>KpiCollector:Sources:0</c>.</summary>
    public required string Key { get; init; }

    /// <summary>The base URL or file asked.</summary>
    public string Target { get; set; } = "";

    /// <summary>The request made and its outcome, e.g. <c>GET /api/v2/users/me.json: HTTP 200 in 12 ms</c>; null when none is needed.</summary>
    public string? Request { get; set; }

    public bool Reachable { get; set; }

    /// <summary>Why not, when not reachable: DNS, connection refused, timeout, TLS.</summary>
    public string? Unreachable { get; set; }

    /// <summary>Null when the platform needs no credential or the request never got an answer.</summary>
    public bool? Authenticated { get; set; }

    /// <summary>Who the credential acts for, or why it was refused (never the credential itself).</summary>
    public string? Identity { get; set; }

    public List<PermissionCheck> Permissions { get; } = [];

    /// <summary>The rate-limit budget the platform reported, or the configured one when it reports none.</summary>
    public string? RateLimit { get; set; }

    /// <summary>The backfill estimate at the pace the poll keeps.</summary>
    public string? Backfill { get; set; }

    /// <summary>Anything else the operator should know (a reported limit below the configured one).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>Reachable, not refused, and no needed permission known to be missing.</summary>
    public bool Pollable => Reachable && Authenticated != false && Permissions.All(p => p.Granted != false);

    public void WriteTo(TextWriter output)
    {
        output.WriteLine($"Source '{Name}' ({Platform}, {Key}): {Target}");
        if (Request is not null)
        {
            output.WriteLine($"  request:        {Request}");
        }

        output.WriteLine($"  reachable:      {(Reachable ? "yes" : "no, " + Unreachable)}");
        if (Reachable || Authenticated is not null)
        {
            output.WriteLine($"  authenticated:  {Authenticated switch { true => "yes", false => "no", null => "not checked" }}{(Identity is null ? "" : ", " + Identity)}");
        }

        foreach (var p in Permissions)
        {
            output.WriteLine($"  permission:     {p.Needed}: {p.Granted switch { true => "yes", false => "MISSING", null => "unknown" }}{(p.Detail.Length == 0 ? "" : " (" + p.Detail + ")")}");
        }

        if (RateLimit is not null)
        {
            output.WriteLine($"  rate limit:     {RateLimit}");
        }

        if (Backfill is not null)
        {
            output.WriteLine($"  backfill:       {Backfill}");
        }

        foreach (var note in Notes)
        {
            output.WriteLine($"  note:           {note}");
        }

        output.WriteLine($"  result:         {(Pollable ? "OK, can be polled" : "FAILED, cannot be polled")}");
    }

    /// <summary>
    /// The backfill estimate: <paramref name="requestsPer1000"/> requests per 1,000 records at <paramref name="perMinute"/>
    /// requests a minute (the slowest budget the poll is paced to), for <paramref name="records"/> records when known.
    /// </summary>
    public static string Estimate(string window, string unit, long? records, double requestsPer1000, double fixedRequests, double perMinute, string pace)
    {
        var per1000 = TimeSpan.FromMinutes(requestsPer1000 / perMinute);
        var basis = $"{requestsPer1000.ToString("0.#", CultureInfo.InvariantCulture)} request{(requestsPer1000 == 1 ? "" : "s")} per 1,000 {unit} at {pace}: {Duration(per1000)} per 1,000 {unit}";
        if (records is not { } count)
        {
            return $"{window}; the number of {unit} in it is unknown before the first poll; {basis}";
        }

        var requests = Math.Ceiling((count * requestsPer1000 / 1000) + fixedRequests);
        return $"{window}: {count.ToString("N0", CultureInfo.InvariantCulture)} {unit}, about {requests.ToString("N0", CultureInfo.InvariantCulture)} requests, {Duration(TimeSpan.FromMinutes(requests / perMinute))} ({basis})";
    }

    public static string Duration(TimeSpan span) => span switch
    {
        { TotalSeconds: < 1 } => "under 1 s",
        { TotalMinutes: < 1 } => $"{span.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s",
        { TotalHours: < 1 } => $"{span.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture)} min",
        { TotalDays: < 1 } => $"{span.TotalHours.ToString("0.#", CultureInfo.InvariantCulture)} h",
        _ => $"{span.TotalDays.ToString("0.#", CultureInfo.InvariantCulture)} d",
    };
}
