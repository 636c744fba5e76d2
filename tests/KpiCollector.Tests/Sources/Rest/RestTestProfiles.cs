using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Sources.Rest;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>
/// Helpers for profile tests (the pattern docs/profiles.md describes): a profile written to a temporary file, a
/// RestSource on a loopback fake platform, and a drain of one poll.
/// </summary>
internal static class RestTestProfiles
{
    /// <summary>A one-stream conversation profile with the given authenticator and paginator YAML (indented for their keys).</summary>
    public static string Conversations(string authenticator = "type: bearer", string paginator = "type: none", string selector = "$.items", string incremental = "", string baseUrl = "") => $$"""
        name: test
        {{baseUrl}}
        authenticator:
          {{authenticator.Replace("\n", "\n  ", StringComparison.Ordinal)}}
        watermark_lag: 10s
        streams:
          - name: tickets
            record: conversation
            path: api/tickets
            record_selector: "{{selector}}"
            paginator:
              {{paginator.Replace("\n", "\n      ", StringComparison.Ordinal)}}
            {{incremental.Replace("\n", "\n    ", StringComparison.Ordinal)}}
            fields:
              external_id: "$.id"
              created_at: "$.created_at"
              updated_at: "$.updated_at"
              status: { path: "$.state", map: { new: new, open: open, done: solved }, default: open }
        """;

    public static string Write(string profile)
    {
        var file = Path.Combine(Path.GetTempPath(), $"rest-profile-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, profile);
        return file;
    }

    public static RestSource Source(FakePlatform platform, string profile, FakeTimeProvider clock, IRestState? state = null, Dictionary<string, string>? variables = null, string? email = null, bool baseUrl = true) =>
        new(new SourceOptions
        {
            Name = "rest",
            Platform = "rest",
            BaseUrl = baseUrl ? platform.Url.ToString() : null,
            ApiToken = "secret-token",
            Email = email,
            Backfill = "1d",
            Timeout = "5s",
            RequestsPerMinute = 100_000,
            MaxRetries = 0,
        }, 0, new RestSettings { Profile = Write(profile), Variables = variables ?? [] }, clock, NullLogger<RestSource>.Instance, state);

    public static string Tickets(params int[] ids) =>
        "[" + string.Join(",", ids.Select(i => $$"""{"id":{{i}},"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:{{i % 60:00}}:00Z","state":"open"}""")) + "]";

    public static async Task<List<SourceBatch>> Drain(ISource source, string? cursor = null)
    {
        var batches = new List<SourceBatch>();
        await foreach (var b in source.PollAsync(cursor, CancellationToken.None))
        {
            batches.Add(b);
        }

        return batches;
    }

    public static List<string> Ids(IEnumerable<SourceBatch> batches) => [.. batches.SelectMany(b => b.Conversations).Select(c => c.ExternalId)];
}
