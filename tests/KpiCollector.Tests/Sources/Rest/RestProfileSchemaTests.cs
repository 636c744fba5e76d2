using System.Text.Json.Nodes;
using Json.Schema;
using KpiCollector.Sources.Rest;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>docs/profile.schema.json accepts every built-in profile, and it and the loader agree on what they reject.</summary>
public sealed class RestProfileSchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(SchemaFile()));

    [Fact]
    public void EveryBuiltInProfile_IsValidAgainstTheSchema_AndLoads()
    {
        Assert.Contains("freshdesk", RestProfileLoader.BuiltInNames);
        foreach (var name in RestProfileLoader.BuiltInNames)
        {
            var text = RestProfileLoader.BuiltInText(name)!;
            var result = Schema.Evaluate(RestProfileLoader.ToJson(text), new EvaluationOptions { OutputFormat = OutputFormat.List });
            Assert.True(result.IsValid, $"{name}: {string.Join("; ", result.Details.Where(d => d.HasErrors).Select(d => $"{d.InstanceLocation}: {string.Join(", ", d.Errors!.Values)}"))}");
            Assert.NotNull(RestProfileLoader.Parse(text, name, ["subdomain", "api_key", "instance", "table", "account", "account_id"], []));
        }
    }

    [Theory]
    [InlineData("record_selector: \"$.items\"", "record_selector: \"$.items\"\n    colour: red")]
    [InlineData("type: bearer", "type: oauth3")]
    [InlineData("type: bearer", "type: oauth2_client_credentials\n  token_url: oauth/token\n  client_auth: header")]
    [InlineData("type: bearer", "type: oauth2_client_credentials")]
    [InlineData("type: bearer", "type: bearer\n  token_url: oauth/token")]
    [InlineData("record: conversation", "record: ticket")]
    [InlineData("type: none", "type: none\n      page_size: 0")]
    [InlineData("record: conversation", "record: conversation\n    requests_per_minute: 0")]
    [InlineData("watermark_lag: 10s", "watermark_lag: soon")]
    [InlineData("record_selector: \"$.items\"", "record_selector: \"items\"")]
    [InlineData("    fields:", "    incremental: { mode: newest_first, param: since, cursor_field: $.updated_at }\n    fields:")]
    [InlineData("    fields:", "    incremental: { mode: sideways, param: since, cursor_field: $.updated_at }\n    fields:")]
    [InlineData("    fields:", "    incremental: { cursor_field: $.updated_at }\n    fields:")]
    [InlineData("type: none", "type: keyset\n      key_field: $.id")]
    [InlineData("type: bearer", "type: oauth2_refresh_token")]
    [InlineData("path: api/tickets", "path: api/tickets\n    body: { a: 1 }")]
    [InlineData("type: none", "type: offset\n      inject_into: body")]
    [InlineData("type: none", "type: link_header\n      inject_into: body\n      body_path: next")]
    [InlineData("path: api/tickets", "path: api/tickets\n    method: PUT")]
    [InlineData("type: none", "type: page_number\n      key_field: $.id")]
    [InlineData("type: none", "type: keyset\n      stop: total_field\n      total_path: $.total\n      key_field: $.id\n    incremental: { param: since, cursor_field: $.updated_at }")]
    public void TheSchemaAndTheLoader_RejectTheSameMistakes(string find, string replace)
    {
        var valid = RestTestProfiles.Conversations();
        Assert.True(Schema.Evaluate(RestProfileLoader.ToJson(valid)).IsValid);
        Assert.NotNull(RestProfileLoader.Parse(valid, "p", [], []));

        var broken = valid.Replace(find, replace, StringComparison.Ordinal);

        Assert.False(Schema.Evaluate(RestProfileLoader.ToJson(broken)).IsValid);
        Assert.Null(RestProfileLoader.Parse(broken, "p", [], []));
    }

    [Fact]
    public void AnOAuth2Authenticator_IsValidAgainstTheSchema_AndLoads()
    {
        var profile = RestTestProfiles.Conversations("type: oauth2_client_credentials\ntoken_url: oauth/token\nscopes: [tickets.read]\nclient_auth: body");

        Assert.True(Schema.Evaluate(RestProfileLoader.ToJson(profile)).IsValid);
        var auth = RestProfileLoader.Parse(profile, "p", [], [])!.Auth;
        Assert.Equal(("oauth/token", "body", "tickets.read"), (auth.TokenUrl, auth.ClientAuth, Assert.Single(auth.Scopes)));
    }

    [Theory]
    [InlineData("    fields:", "    incremental: { mode: newest_first, cursor_field: $.updated_at, lookback: 5m }\n    fields:")]
    [InlineData("    fields:", "    incremental: { mode: filter, param: since, cursor_field: $.updated_at }\n    fields:")]
    [InlineData("type: none", "type: keyset\n      size_param: limit\n      key_field: $.id\n      key_param: after_id\n    incremental: { param: since, cursor_field: $.updated_at }")]
    [InlineData("type: none", "type: keyset\n      stop: empty_page\n    incremental: { param: since_id, format: id, cursor_field: $.id }")]
    [InlineData("type: bearer", "type: oauth2_refresh_token\n  token_url: \"https://auth.example.com/token\"\n  client_auth: body")]
    [InlineData("path: api/tickets\n    record_selector: \"$.items\"\n    paginator:\n      type: none", "path: api/tickets\n    method: POST\n    body: { filter: { after: \"{since}\" }, paging: { limit: 100 } }\n    record_selector: \"$.items\"\n    incremental: { cursor_field: $.updated_at }\n    paginator:\n      type: offset\n      inject_into: body\n      body_path: paging.offset")]
    public void TheLanguagesAdditions_AreValidAgainstTheSchema_AndLoad(string find, string replace)
    {
        var profile = RestTestProfiles.Conversations().Replace(find, replace, StringComparison.Ordinal);
        var failures = new List<string>();

        Assert.True(Schema.Evaluate(RestProfileLoader.ToJson(profile)).IsValid);
        Assert.NotNull(RestProfileLoader.Parse(profile, "p", [], failures));
        Assert.Empty(failures);
    }

    private static string SchemaFile()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var file = Path.Combine(dir.FullName, "docs", "profile.schema.json");
            if (File.Exists(file))
            {
                return file;
            }
        }

        throw new FileNotFoundException("docs/profile.schema.json not found above the test directory");
    }
}
