using System.Text.Json;
using KpiCollector.Core.Records;
using KpiCollector.Sources.Rest;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>The JSON path subset and the field transformations on one record.</summary>
public sealed class RestMappingTests
{
    private const string Record = """
        {"id": 7, "created": "2026-01-01T10:00:00Z", "updated": 1767264000, "reply_minutes": 30, "state": "x9",
         "events": [{"actor": {"type": "customer"}, "at": "2026-01-01T10:01:00Z"},
                    {"actor": {"type": "agent"}, "scope": "internal", "at": "2026-01-01T10:05:00Z"},
                    {"actor": {"type": "agent"}, "scope": "public", "at": "2026-01-01T11:00:00Z"}]}
        """;

    [Theory]
    [InlineData("$.events[?(@.actor.type=='agent')].at", "2026-01-01T10:05:00Z")]
    [InlineData("$.events[-1].at", "2026-01-01T11:00:00Z")]
    [InlineData("$.events[0].actor['type']", "customer")]
    [InlineData("$.events[?(@.actor.type!='agent')].at", "2026-01-01T10:01:00Z")]
    [InlineData("$.events[?(@.actor.type=='agent' && @.scope=='public')].at", "2026-01-01T11:00:00Z")]
    [InlineData("$.events[?(@.scope!='internal' && @.actor.type=='agent')].at", "2026-01-01T11:00:00Z")]
    [InlineData("$.events[?(@.actor.type=='agent' && @.scope=='a && b')].at", null)]
    [InlineData("$.missing.deeper", null)]
    public void PathsSelect(string path, string? expected)
    {
        using var doc = JsonDocument.Parse(Record);
        var parsed = JsonPath.TryParse(path, out var error);
        Assert.Null(error);
        var value = parsed!.First(doc.RootElement);
        Assert.Equal(expected, value is { } v ? v.GetString() : null);
    }

    [Fact]
    public void FieldsMapWithDefaultsConditionsAndAddedMinutes()
    {
        var profile = RestTestProfiles.Conversations().Replace("""
                  updated_at: "$.updated_at"
            """, """
                  updated_at: "$.updated"
                  first_response_at: { path: "$.created", add_minutes: "$.reply_minutes" }
                  first_human_response_at: "$.events[?(@.actor.type=='agent')].at"
                  closed_at: { path: [{ path: "$.events[-1].at", when_status: [closed] }] }
                  reopens: { path: "$.reopened", missing: 0 }
            """, StringComparison.Ordinal).Replace("\"$.updated_at\"", "\"$.updated\"", StringComparison.Ordinal).Replace("\"$.created_at\"", "\"$.created\"", StringComparison.Ordinal);
        var loaded = RestProfileLoader.Parse(profile, "p", [], []);
        Assert.NotNull(loaded);
        using var doc = JsonDocument.Parse(Record);

        var c = new RestMapper("s", loaded.Streams[0], new Dictionary<string, Dictionary<string, string>>()).Conversation(doc.RootElement)!;

        Assert.Equal("7", c.ExternalId);
        Assert.Equal(ConversationStatus.Open, c.Status); // x9 is not in the map: the default
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1767264000), c.UpdatedAt);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 10, 30, 0, TimeSpan.Zero), c.FirstResponseAt);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 10, 5, 0, TimeSpan.Zero), c.FirstHumanResponseAt);
        Assert.Null(c.ClosedAt); // only when closed
        Assert.Equal(0, c.Reopens);
    }
}
