using KpiCollector.Configuration;
using KpiCollector.Sources.Rest;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>Start-up validation of profiles: one test per error kind, each naming the file, the key path and what is accepted.</summary>
public sealed class RestValidationTests
{
    private static readonly string Valid = RestTestProfiles.Conversations();

    [Theory]
    [InlineData("record_selector: \"$.items\"", "record_selector: \"$.items\"\n    colour: red", "$.streams[0].colour: unknown key; accepted: name, record")]
    [InlineData("record_selector: \"$.items\"", "record_selector: \"items\"", "$.streams[0].record_selector: the JSON path 'items' does not parse: a JSON path starts with $")]
    [InlineData("record_selector: \"$.items\"", "record_selector: \"$.items[?(@.a~1)]\"", "$.streams[0].record_selector: the JSON path")]
    [InlineData("done: solved }", "done: finished }", "$.streams[0].fields.status.map.done: 'finished' is not a status; accepted: new, open, pending, on_hold, solved, closed")]
    [InlineData(", default: open }", " }", "$.streams[0].fields.status.default: missing: a status map needs a default")]
    [InlineData("path: api/tickets", "path: \"api/{account_id}/tickets\"", "$.streams[0].path: the template variable {account_id} is not supplied; accepted: set it as Rest:Variables:account_id")]
    [InlineData("path: api/tickets", "path: \"api/{token}/tickets\"", "$.streams[0].path: {token} is a secret")]
    [InlineData("type: bearer", "type: oauth3", "$.authenticator.type: 'oauth3' is not accepted; accepted: bearer, basic, api_key, url_token, oauth2_client_credentials, oauth2_refresh_token")]
    [InlineData("type: bearer", "type: oauth2_client_credentials\n  token_url: oauth/token\n  client_auth: header", "$.authenticator.client_auth: 'header' is not accepted; accepted: basic, body")]
    [InlineData("type: bearer", "type: oauth2_client_credentials", "$.authenticator.token_url: missing; accepted: the token endpoint's URL")]
    [InlineData("type: bearer", "type: oauth2_refresh_token", "$.authenticator.token_url: missing; accepted: the token endpoint's URL")]
    [InlineData("type: bearer", "type: oauth2_refresh_token\n  token_url: oauth/token\n  client_auth: form", "$.authenticator.client_auth: 'form' is not accepted; accepted: basic, body")]
    [InlineData("type: bearer", "type: oauth2_client_credentials\n  token_url: oauth/token\n  scopes: tickets.read", "$.authenticator.scopes: not a list; accepted: a list of scopes")]
    [InlineData("type: bearer", "type: bearer\n  token_url: oauth/token", "$.authenticator.token_url: only an oauth2_client_credentials or oauth2_refresh_token authenticator has token_url")]
    [InlineData("type: bearer", "type: oauth2_client_credentials\n  token_url: \"https://{tenant}.example.com/token\"", "$.authenticator.token_url: the template variable {tenant} is not supplied")]
    [InlineData("type: none", "type: page_number\n      stop: total_field", "$.streams[0].paginator.total_path: missing")]
    [InlineData("type: none", "type: none\n      page_size: -3", "$.streams[0].paginator.page_size: '-3' is not a whole number of at least 1")]
    [InlineData("record: conversation", "record: conversation\n    requests_per_minute: 0", "$.streams[0].requests_per_minute: '0' is not a whole number of at least 1; accepted: a whole number >= 1")]
    [InlineData("    fields:", "    incremental: { mode: sideways, param: since, cursor_field: $.updated_at }\n    fields:", "$.streams[0].incremental.mode: 'sideways' is not accepted; accepted: filter, newest_first")]
    [InlineData("    fields:", "    incremental: { mode: newest_first, param: since, cursor_field: $.updated_at }\n    fields:", "$.streams[0].incremental.param: a newest_first stream sends no updated-since filter; accepted: remove it")]
    [InlineData("    fields:", "    incremental: { mode: newest_first, slide_on_full_page: true, cursor_field: $.updated_at }\n    fields:", "$.streams[0].incremental.slide_on_full_page: a newest_first stream sends no updated-since filter")]
    [InlineData("    fields:", "    incremental: { mode: newest_first, lookback: 1m }\n    fields:", "$.streams[0].incremental.cursor_field: missing: a newest_first walk stops")]
    [InlineData("    fields:", "    incremental: { cursor_field: $.updated_at }\n    fields:", "$.streams[0].incremental.param: missing")]
    [InlineData("type: none", "type: keyset\n      key_field: $.id", "$.streams[0].paginator.type: a keyset paginator re-issues the incremental filter from the last record, and the stream has none; accepted: an incremental with param")]
    [InlineData("type: none", "type: keyset\n    incremental: { param: since, cursor_field: $.updated_at }", "$.streams[0].paginator.key_field: missing: a keyset paginator orders records sharing one cursor value by it; accepted: a JSON path")]
    [InlineData("type: none", "type: page_number\n      key_field: $.id", "$.streams[0].paginator.key_field: only a keyset paginator has key_field")]
    [InlineData("type: none", "type: page_number\n      key_param: after_id", "$.streams[0].paginator.key_param: only a keyset paginator has key_param")]
    [InlineData("type: none", "type: page_number\n    incremental: { param: since_id, format: id, cursor_field: $.id }", "$.streams[0].incremental.format: an id cursor needs a keyset paginator")]
    [InlineData("type: none", "type: keyset\n      stop: total_field\n      total_path: $.total\n      key_field: $.id\n    incremental: { param: since, cursor_field: $.updated_at }", "$.streams[0].paginator.stop: a keyset paginator stops on a short or empty page, not on total_field; accepted: short_page, empty_page")]
    [InlineData("type: none", "type: keyset\n    incremental: { param: since_id, format: id, cursor_field: $.id, lookback: 1m }", "$.streams[0].incremental.lookback: an id cursor has no look-back")]
    [InlineData("type: none", "type: keyset\n      key_field: $.id\n    incremental: { param: since_id, format: id, cursor_field: $.id }", "$.streams[0].paginator.key_field: with an id cursor the id is the key")]
    [InlineData("type: none", "type: keyset\n      key_field: $.id\n    incremental: { param: since, format: date, cursor_field: $.updated_at }", "$.streams[0].incremental.format: a keyset paginator cannot re-issue a whole-day filter")]
    [InlineData("type: none", "type: keyset\n      key_field: id\n    incremental: { param: since, cursor_field: $.updated_at }", "$.streams[0].paginator.key_field: the JSON path 'id' does not parse")]
    [InlineData("type: none", "type: keyset\n      key_field: $.id\n      key_param: 5\n    incremental: { param: since, cursor_field: $.updated_at }", "$.streams[0].paginator.key_param: not a string")]
    [InlineData("type: none", "type: none\n    incremental: { param: since, format: week, cursor_field: $.updated_at }", "$.streams[0].incremental.format: 'week' is not accepted; accepted: iso8601, epoch_s, epoch_ms, date, datetime, id")]
    [InlineData("path: api/tickets", "path: api/tickets\n    method: PUT", "$.streams[0].method: 'PUT' is not accepted; accepted: GET, POST")]
    [InlineData("path: api/tickets", "path: api/tickets\n    body: { a: 1 }", "$.streams[0].body: a body is sent only with method: POST")]
    [InlineData("path: api/tickets", "path: api/tickets\n    method: POST\n    body: [1]", "$.streams[0].body: not an object (array)")]
    [InlineData("path: api/tickets", "path: api/tickets\n    method: POST\n    body: { q: { team: \"{team}\" } }", "$.streams[0].body.q.team: the template variable {team} is not supplied")]
    [InlineData("path: api/tickets", "path: api/tickets\n    method: POST\n    body: { q: \"{token}\" }", "$.streams[0].body.q: {token} is a secret")]
    [InlineData("path: api/tickets", "path: api/tickets\n    method: POST\n    body: { after: \"{since}\" }", "$.streams[0].body: {since} needs the stream's incremental filter")]
    [InlineData("type: none", "type: offset\n      inject_into: body\n      body_path: paging.offset", "$.streams[0].paginator.inject_into: the body is sent only with method: POST")]
    [InlineData("type: none", "type: offset\n      inject_into: body", "$.streams[0].paginator.body_path: missing: inject_into body puts the paginator's value there")]
    [InlineData("type: none", "type: offset\n      body_path: paging.offset", "$.streams[0].paginator.body_path: the paginator's value goes in the query; accepted: remove it, or set inject_into: body")]
    [InlineData("type: none", "type: link_header\n      inject_into: body\n      body_path: next", "$.streams[0].paginator.inject_into: a link_header paginator puts nothing in the body")]
    [InlineData("type: none", "type: offset\n      inject_into: somewhere", "$.streams[0].paginator.inject_into: 'somewhere' is not accepted; accepted: query, body")]
    [InlineData("type: none", "type: offset\n      inject_into: body\n      body_path: paging..offset", "$.streams[0].paginator.body_path: 'paging..offset' is not a dotted path")]
    [InlineData("type: none", "type: offset\n      inject_into: body\n      body_path: paging.offset\n      limit_param: top", "$.streams[0].paginator.limit_param: a query parameter, and this paginator's value goes in the body")]
    [InlineData("path: api/tickets\n    record_selector: \"$.items\"\n    paginator:\n      type: none", "path: api/tickets\n    method: POST\n    body: { paging: 5 }\n    record_selector: \"$.items\"\n    paginator:\n      type: offset\n      inject_into: body\n      body_path: paging.offset", "$.streams[0].paginator.body_path: 'paging.offset' passes through paging, which in the body is not an object")]
    [InlineData("watermark_lag: 10s", "watermark_lag: soon", "$.watermark_lag: 'soon' is not a duration")]
    [InlineData("      updated_at: \"$.updated_at\"\n", "", "$.streams[0].fields.updated_at: missing")]
    [InlineData("record: conversation", "record: ticket", "$.streams[0].record: 'ticket' is not accepted; accepted: conversation, survey, message")]
    [InlineData("name: test\n", "name: test\nstreams_extra: 1\n", "$.streams_extra: unknown key")]
    public void EachErrorKind_NamesTheFileTheKeyPathAndWhatIsAccepted(string find, string replace, string expected)
    {
        Assert.Contains(find, Valid, StringComparison.Ordinal);
        var failures = new List<string>();

        var profile = RestProfileLoader.Parse(Valid.Replace(find, replace, StringComparison.Ordinal), "profile file 'p.yaml'", [], failures);

        Assert.Null(profile);
        Assert.Contains(failures, f => f.StartsWith("profile file 'p.yaml': ", StringComparison.Ordinal) && f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void TheValidProfileLoads() => Assert.NotNull(RestProfileLoader.Parse(Valid, "p", [], []));

    [Fact]
    public void NotYaml_IsReportedWithItsLine()
    {
        var failures = new List<string>();
        Assert.Null(RestProfileLoader.Parse("name: [unclosed", "profile file 'p.yaml'", [], failures));
        Assert.StartsWith("profile file 'p.yaml': not valid YAML or JSON at line ", Assert.Single(failures), StringComparison.Ordinal);
    }

    [Fact]
    public void RestValidation_ReportsEverySettingsAndProfileProblemAtOnce_UnderTheSourceKey()
    {
        var file = RestTestProfiles.Write(Valid.Replace("record: conversation", "record: ticket", StringComparison.Ordinal).Replace("type: bearer", "type: magic", StringComparison.Ordinal));
        var failures = new List<string>();

        RestValidation.Validate("KpiCollector:Sources:3", new SourceOptions { Name = "x", Platform = "rest" }, new RestSettings { Profile = file, Maps = new() { ["status"] = new() { ["9"] = "later" } } }, failures);

        Assert.Contains(failures, f => f.StartsWith($"KpiCollector:Sources:3:Rest:Profile: profile file '{file}': $.authenticator.type", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("$.streams[0].record: 'ticket'", StringComparison.Ordinal));
        Assert.Contains("KpiCollector:Sources:3:Rest:Maps:status:9: 'later' is not accepted; accepted: new, open, pending, on_hold, solved, closed", failures);
    }

    [Fact]
    public void RestValidation_AMissingProfileOrCredential_NamesTheKey()
    {
        var failures = new List<string>();
        RestValidation.Validate("KpiCollector:Sources:0", new SourceOptions(), new RestSettings(), failures);
        RestValidation.Validate("KpiCollector:Sources:1", new SourceOptions(), new RestSettings { Profile = "freshdesk", Variables = new() { ["subdomain"] = "acme" } }, failures);
        RestValidation.Validate("KpiCollector:Sources:2", new SourceOptions(), new RestSettings { Profile = "/nonexistent/p.yaml" }, failures);

        Assert.StartsWith("KpiCollector:Sources:0:Rest:Profile is required", failures[0], StringComparison.Ordinal);
        Assert.Contains("KpiCollector:Sources:1:ApiToken or KpiCollector:Sources:1:ApiTokenFile is required by the profile's basic authenticator", failures);
        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Sources:2:Rest:Profile: profile file '/nonexistent/p.yaml': cannot be read", StringComparison.Ordinal) && f.Contains("freshdesk", StringComparison.Ordinal));
    }

    [Fact]
    public void TheBuiltInFreshdeskProfile_NeedsItsSubdomain()
    {
        var failures = new List<string>();
        Assert.Null(RestProfileLoader.Load("freshdesk", [], failures));
        Assert.Contains(failures, f => f.Contains("$.base_url: the template variable {subdomain} is not supplied", StringComparison.Ordinal));
        Assert.NotNull(RestProfileLoader.Load("freshdesk", ["subdomain"], []));
    }

    [Fact]
    public void TheStoreKeepsRestState_AcrossReopening()
    {
        using var dir = new TempDirectory();
        using (var store = new SqliteStore(dir.File("s.db"), NullLogger<SqliteStore>.Instance))
        {
            store.Open();
            Assert.Null(store.Get("a", "refresh_token"));
            store.Set("a", "refresh_token", "r1");
            store.Set("a", "refresh_token", "r2");
            store.Set("b", "refresh_token", "other");
        }

        using var reopened = new SqliteStore(dir.File("s.db"), NullLogger<SqliteStore>.Instance);
        reopened.Open();
        Assert.Equal("r2", reopened.Get("a", "refresh_token"));
        Assert.Equal("other", reopened.Get("b", "refresh_token"));
    }
}
