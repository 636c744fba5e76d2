using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Endpoints;
using KpiCollector.Sources;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// The collector in process with three sources (Zendesk, Freshdesk, Chatwoot by configuration, each delivering one
/// fixed page of conversations timed relative to the start), for the drill-down, its page in headless Chromium, the
/// raw export and the first-response exemplars.
/// </summary>
public sealed class DrilldownFixture : IAsyncLifetime
{
    public const string Secret = "drill-T0ken-5e3f"; // a credential: must never appear in a page, an export or a metric

    public DateTimeOffset T { get; } = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    internal CollectorHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string>
        {
            ["KpiCollector:Sources:0:Name"] = "acme",
            ["KpiCollector:Sources:0:Platform"] = "zendesk",
            ["KpiCollector:Sources:0:BaseUrl"] = "https://acme.zendesk.com/",
            ["KpiCollector:Sources:0:Email"] = "admin@acme.test",
            ["KpiCollector:Sources:0:ApiToken"] = Secret,
            ["KpiCollector:Sources:1:Name"] = "fd",
            ["KpiCollector:Sources:1:Platform"] = "freshdesk",
            ["KpiCollector:Sources:1:BaseUrl"] = "https://acme.freshdesk.com",
            ["KpiCollector:Sources:1:ApiToken"] = Secret,
            ["KpiCollector:Sources:2:Name"] = "cw",
            ["KpiCollector:Sources:2:Platform"] = "chatwoot",
            ["KpiCollector:Sources:2:BaseUrl"] = "https://chat.acme.test",
            ["KpiCollector:Sources:2:ApiToken"] = Secret,
            ["KpiCollector:Sources:2:Chatwoot:AccountId"] = "7",
            ["KpiCollector:Sla:Policies:0:Name"] = "first_response",
            ["KpiCollector:Sla:Policies:0:Metric"] = "first_response",
            ["KpiCollector:Sla:Policies:0:Threshold"] = "1h",
            ["KpiCollector:Sla:Policies:0:Objective"] = "0.9",
            ["KpiCollector:Sla:Policies:0:AtRiskLead"] = "30m",
            ["KpiCollector:Sla:Policies:1:Name"] = "resolution",
            ["KpiCollector:Sla:Policies:1:Metric"] = "resolution",
            ["KpiCollector:Sla:Policies:1:Threshold"] = "24h",
            ["KpiCollector:Sla:Policies:1:Objective"] = "0.9",
            ["KpiCollector:RefreshInterval"] = "1s",
        };
        var sources = new ISource[]
        {
            new OnePage("acme", "zendesk", T,
            [
                Open("101", "email", T.AddHours(-2)) with { Team = "t1", Priority = "urgent", RequesterId = "cust-4711" },
                Open("102", "email", T.AddMinutes(-50)) with { Team = "support, \"tier 2\"" },
                Open("103", "chat", T.AddMinutes(-30)).Replied(TimeSpan.FromMinutes(5)),
                Open("104", "email", T.AddHours(-3)).Replied(TimeSpan.FromMinutes(10)).Solved(TimeSpan.FromHours(1)),
                Open("105", "chat", T.AddMinutes(-90)) with { Team = "<b>t2</b>", TicketType = "line one\nline two" },
            ]),
            new OnePage("fd", "freshdesk", T, [Open("9001", "phone", T.AddHours(-4))]),
            new OnePage("cw", "chatwoot", T, [Open("55", "chat", T.AddMinutes(-5))]),
        };
        Host = await CollectorHost.StartAsync(settings, s => s.AddSingleton<ISourceFactory>(new FixedSources(sources)));
        await Host.WaitReadyAsync();
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    private static Conversation Open(string id, string channel, DateTimeOffset created) =>
        Records.Conversation(id, created, channel) with { Status = ConversationStatus.Open };

    private sealed class FixedSources(params ISource[] sources) : ISourceFactory
    {
        public IReadOnlyList<ISource> Create(KpiCollectorOptions options) => sources;
    }

    /// <summary>Delivers its conversations in one page at the first poll, complete up to <paramref name="watermark"/>; nothing after.</summary>
    private sealed class OnePage(string name, string platform, DateTimeOffset watermark, IReadOnlyList<Conversation> conversations) : ISource
    {
        public string Name => name;

        public string Platform => platform;

        public SourceCapabilities Capabilities => SourceCapabilities.None;

        public async IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            if (cursor is null)
            {
                yield return new SourceBatch { Conversations = conversations, Cursor = "done", Watermark = watermark };
            }
        }
    }
}

[Collection(InProcessHostCollection.Name)]
public sealed class DrilldownTests(DrilldownFixture fixture, ITestOutputHelper output) : IClassFixture<DrilldownFixture>
{
    private CollectorHost Host => fixture.Host;

    [Theory]
    [InlineData("state=breaching", "fd/9001 acme/101 acme/105")] // past the 1 h first-response deadline, oldest first
    [InlineData("state=at_risk", "acme/102")] // deadline within the 30 min at-risk lead
    [InlineData("state=unanswered", "fd/9001 acme/101 acme/105 acme/102 cw/55")]
    [InlineData("state=oldest", "fd/9001 acme/101 cw/55")] // the oldest unanswered of each source
    [InlineData("", "fd/9001 acme/101 acme/105 acme/102 cw/55")] // any state; 103 (answered, resolution clock running) is not listed
    [InlineData("state=breaching&source=acme&channel=chat", "acme/105")]
    [InlineData("state=breaching&source=acme&channel=all", "acme/101 acme/105")] // Grafana's aggregate label value: no filter
    [InlineData("team=t1", "acme/101")]
    [InlineData("state=breaching&sla=resolution", "")]
    [InlineData("state=unanswered&limit=2", "fd/9001 acme/101")]
    [InlineData("id=104", "acme/104")] // one conversation whatever its state (an exemplar's target)
    public async Task TheJsonEndpoint_ListsTheConversationsOfEachFilter_OldestFirst(string query, string expected)
    {
        using var doc = JsonDocument.Parse(await Host.GetAsync("/api/drilldown?" + query));
        var rows = doc.RootElement.GetProperty("conversations").EnumerateArray()
            .Select(r => $"{r.GetProperty("source").GetString()}/{r.GetProperty("id").GetString()}").ToList();
        Assert.Equal(expected, string.Join(" ", rows));
        Assert.Equal(rows.Count, doc.RootElement.GetProperty("count").GetInt32());
        Assert.Equal(query.Contains("limit=2", StringComparison.Ordinal), doc.RootElement.GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public async Task EachRow_HasItsIdsTimesSlaStatesAndThePlatformsAgentLink()
    {
        var rows = await RowsAsync("");
        var zd = rows["acme/101"];
        Assert.Equal("zendesk", zd.GetProperty("platform").GetString());
        Assert.Equal("https://acme.zendesk.com/agent/tickets/101", zd.GetProperty("link").GetString());
        Assert.Equal("email", zd.GetProperty("channel").GetString());
        Assert.Equal("t1", zd.GetProperty("team").GetString());
        Assert.Equal("urgent", zd.GetProperty("priority").GetString());
        Assert.Equal("open", zd.GetProperty("status").GetString());
        Assert.Equal(fixture.T.AddHours(-2), zd.GetProperty("createdAt").GetDateTimeOffset());
        Assert.Equal(fixture.T.AddHours(-2), zd.GetProperty("waitingSince").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, zd.GetProperty("firstResponseAt").ValueKind);
        Assert.Equal(["breaching", "oldest", "unanswered"], zd.GetProperty("states").EnumerateArray().Select(s => s.GetString()));
        var sla = zd.GetProperty("sla").EnumerateArray().ToDictionary(s => s.GetProperty("policy").GetString()!);
        Assert.Equal("breaching", sla["first_response"].GetProperty("state").GetString());
        Assert.Equal(fixture.T.AddHours(-1), sla["first_response"].GetProperty("deadline").GetDateTimeOffset());
        Assert.Equal("running", sla["resolution"].GetProperty("state").GetString());
        Assert.Equal(fixture.T.AddHours(22), sla["resolution"].GetProperty("deadline").GetDateTimeOffset());

        Assert.Equal("https://acme.freshdesk.com/a/tickets/9001", rows["fd/9001"].GetProperty("link").GetString());
        Assert.Equal("https://chat.acme.test/app/accounts/7/conversations/55", rows["cw/55"].GetProperty("link").GetString());
        Assert.Equal(["breaching", "oldest", "unanswered"], rows["fd/9001"].GetProperty("states").EnumerateArray().Select(s => s.GetString()));

        // A decided clock shows its outcome: 104 was answered and resolved within both deadlines.
        var solved = (await RowsAsync("id=104"))["acme/104"];
        Assert.Equal(["first_response:met", "resolution:met"], solved.GetProperty("sla").EnumerateArray().Select(s => $"{s.GetProperty("policy").GetString()}:{s.GetProperty("state").GetString()}").Order());
        Assert.Equal(fixture.T.AddHours(-3).AddMinutes(10), solved.GetProperty("firstResponseAt").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("state=late", "state")]
    [InlineData("source=nope", "source")]
    [InlineData("source=acme&source=fd", "source")]
    [InlineData("channel=fax", "channel")]
    [InlineData("sla=speed", "sla")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("sort=age", "sort")]
    public async Task ABadParameter_Gives400_NamingIt(string query, string parameter)
    {
        var json = await Host.Http.GetAsync("/api/drilldown?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        using var doc = JsonDocument.Parse(await json.Content.ReadAsStringAsync());
        Assert.Equal(parameter, doc.RootElement.GetProperty("parameter").GetString());
        Assert.StartsWith(parameter + ":", doc.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);

        var page = await Host.Http.GetAsync("/drilldown?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Contains(WebUtility.HtmlEncode(parameter + ":"), await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/drilldown")]
    [InlineData("/api/drilldown")]
    [InlineData("/export/conversations.csv")]
    public async Task TheEndpoints_AreReadOnly(string path)
    {
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete })
        {
            using var response = await Host.Http.SendAsync(new HttpRequestMessage(method, path));
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        }
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task ThePage_InHeadlessChromium_ListsTheConversations_WithLinks_AndNothingForbidden()
    {
        var url = new Uri(Host.Http.BaseAddress!, "/drilldown?state=any");
        var dom = await HeadlessChromium.DumpDomAsync(url);
        var screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", "drilldown.png");
        await HeadlessChromium.ScreenshotAsync(url, screenshot);
        output.WriteLine($"screenshot of {url}: {screenshot} ({new FileInfo(screenshot).Length} bytes)");

        var table = Between(dom, "<table id=\"conversations\">", "</table>");
        var ids = System.Text.RegularExpressions.Regex.Matches(table, "data-source=\"([^\"]+)\" data-id=\"([^\"]+)\"").Select(m => $"{m.Groups[1].Value}/{m.Groups[2].Value}");
        Assert.Equal(["fd/9001", "acme/101", "acme/105", "acme/102", "cw/55"], ids);
        Assert.Contains("<a href=\"https://acme.zendesk.com/agent/tickets/101\"", table, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://acme.freshdesk.com/a/tickets/9001\"", table, StringComparison.Ordinal);
        Assert.Contains("5 conversations", dom, StringComparison.Ordinal);
        Assert.Contains("breaching", table, StringComparison.Ordinal);

        // HTML-encoded: a team named like markup is text, not an element.
        Assert.Contains("&lt;b&gt;t2&lt;/b&gt;", table, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>t2</b>", table, StringComparison.Ordinal);

        // No credential, no customer id, no form that writes: ids, times, states and links only.
        Assert.DoesNotContain(DrilldownFixture.Secret, dom, StringComparison.Ordinal);
        Assert.DoesNotContain("cust-4711", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("method=\"post\"", dom, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("line one", dom, StringComparison.Ordinal); // the ticket type is not on the page

        // The landing page links to it.
        Assert.Contains("href=\"drilldown\"", await Host.GetAsync("/"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheCsvExport_EqualsTheStore_WithRfc4180Escaping()
    {
        var response = await Host.Http.GetAsync("/export/conversations.csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"support, \"\"tier 2\"\"\"", text, StringComparison.Ordinal);
        Assert.Contains("\"line one\nline two\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain(DrilldownFixture.Secret, text, StringComparison.Ordinal);

        var table = ParseCsv(text);
        var header = table[0];
        Assert.Equal("source", header[0]);
        Assert.Contains("sla_first_response_breached", header);
        var rows = table.Skip(1).Select(r => header.Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();
        Assert.All(table, r => Assert.Equal(header.Count, r.Count));

        // Every stored conversation once, in created order, with the stored fields.
        var stored = Host.App.Services.GetRequiredService<SqliteStore>().ReadForExport(null, null, null).ToList();
        Assert.Equal(7, stored.Count);
        Assert.Equal(stored.Select(s => $"{s.Conversation.Source}/{s.Conversation.ExternalId}"), rows.Select(r => $"{r["source"]}/{r["id"]}"));
        Assert.Equal(stored.Select(s => s.Conversation.Team ?? ""), rows.Select(r => r["team"]));
        Assert.Equal(stored.Select(s => s.Conversation.TicketType ?? ""), rows.Select(r => r["ticket_type"]));

        var r104 = rows.Single(r => r["id"] == "104");
        Assert.Equal("solved", r104["status"]);
        Assert.Equal("600", r104["first_response_seconds"]);
        Assert.Equal("3600", r104["resolution_seconds"]);
        Assert.Equal("human", r104["first_responder"]);
        Assert.Equal(fixture.T.AddHours(-3).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture), r104["created_at"]);
        Assert.Equal(("1", "0"), (r104["sla_first_response_met"], r104["sla_first_response_breached"]));
        Assert.Equal("https://acme.zendesk.com/agent/tickets/104", r104["link"]);
        var r101 = rows.Single(r => r["id"] == "101");
        Assert.Equal(("0", "1"), (r101["sla_first_response_met"], r101["sla_first_response_breached"])); // breached at the deadline the watermark passed
        Assert.Equal("", r101["first_response_seconds"]);
        Assert.Equal("zendesk", r101["platform"]);
    }

    [Fact]
    public async Task TheExportFilters_BySourceAndCreatedTimeRange()
    {
        Assert.Equal(["9001"], Ids(await Host.GetAsync("/export/conversations.csv?source=fd")));
        var from = Iso(fixture.T.AddMinutes(-100));
        var to = Iso(fixture.T.AddMinutes(-10));
        Assert.Equal(["105", "102", "103"], Ids(await Host.GetAsync($"/export/conversations.csv?from={from}&to={to}")));
        Assert.Equal(["105", "102", "103", "55"], Ids(await Host.GetAsync($"/export/conversations.csv?from={from}")));
        Assert.Equal(["9001", "104", "101"], Ids(await Host.GetAsync($"/export/conversations.csv?to={Iso(fixture.T.AddMinutes(-100))}")));
        Assert.Equal(["102"], Ids(await Host.GetAsync($"/export/conversations.csv?source=acme&from={Iso(fixture.T.AddMinutes(-50))}&to={Iso(fixture.T.AddMinutes(-49))}")));
        Assert.Single(ParseCsv(await Host.GetAsync("/export/conversations.csv?source=cw&to=2000-01-01"))); // header only

        static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        static List<string> Ids(string csv) => ParseCsv(csv).Skip(1).Select(r => r[2]).ToList();
    }

    [Fact]
    public async Task TheJsonExport_IsAnArrayOfTheSameRows()
    {
        var csv = ParseCsv(await Host.GetAsync("/export/conversations.csv"));
        var response = await Host.Http.GetAsync("/export/conversations.json");
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var rows = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(csv.Skip(1).Select(r => r[2]), rows.Select(r => r.GetProperty("id").GetString()));
        var r103 = rows.Single(r => r.GetProperty("id").GetString() == "103");
        Assert.Equal(300, r103.GetProperty("first_response_seconds").GetDouble());
        Assert.Equal(JsonValueKind.Null, r103.GetProperty("resolution_seconds").ValueKind);
        Assert.Equal(1, r103.GetProperty("sla").GetProperty("first_response").GetProperty("met").GetInt32());
        Assert.Equal(0, r103.GetProperty("sla").GetProperty("resolution").GetProperty("breached").GetInt32());
        Assert.Equal("support, \"tier 2\"", rows.Single(r => r.GetProperty("id").GetString() == "102").GetProperty("team").GetString());
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-13-01", "from")]
    [InlineData("to=2026-11-01T00:00:00", "to")] // no time zone
    [InlineData("from=2026-11-02&to=2026-11-01", "to")]
    [InlineData("source=zz", "source")]
    [InlineData("channel=email", "channel")] // not an export filter
    public async Task ABadExportParameter_Gives400_NamingIt(string query, string parameter)
    {
        foreach (var format in new[] { "csv", "json" })
        {
            var response = await Host.Http.GetAsync($"/export/conversations.{format}?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.StartsWith(parameter + ":", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TheFirstResponseHistogram_CarriesTheConversationIdAsAnExemplar_InOpenMetricsOnly()
    {
        // 103's first response came 25 minutes ago (live); 104's came hours ago (history: no observation).
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");
        using var response = await Host.Http.SendAsync(request);
        Assert.Equal("application/openmetrics-text", response.Content.Headers.ContentType!.MediaType);
        var open = await response.Content.ReadAsStringAsync();
        var lines = open.Split('\n').Where(l => l.StartsWith("helpdesk_first_response_duration_seconds_bucket{source=\"acme\"", StringComparison.Ordinal)).ToList();
        var withExemplar = lines.Where(l => l.Contains(" # {conversation_id=\"103\"} 300", StringComparison.Ordinal)).ToList();
        Assert.True(withExemplar.Count == 1, string.Join("\n", lines));
        Assert.Contains("le=\"300.0\"", withExemplar[0], StringComparison.Ordinal); // the bucket the 300 s observation fell in
        Assert.DoesNotContain(lines, l => l.Contains("conversation_id=\"104\"", StringComparison.Ordinal));
        Assert.EndsWith("# EOF\n", open, StringComparison.Ordinal);

        // The plain text format stays the default, without exemplars, and the id is never a label.
        var text = await Host.GetAsync("/metrics");
        Assert.DoesNotContain("conversation_id", text, StringComparison.Ordinal);
        Assert.Contains("helpdesk_first_response_duration_seconds_count{source=\"acme\"", text, StringComparison.Ordinal);
    }

    /// <summary>docs/drilldown.md documents every parameter and every export column the code has.</summary>
    [Fact]
    public void TheDocs_NameEveryParameterAndColumn()
    {
        var doc = File.ReadAllText(Path.Combine(DemoModeTests.RepoRoot(), "docs", "drilldown.md"));
        foreach (var name in DrilldownQuery.Parameters.Concat(ConversationExport.Parameters))
        {
            Assert.Contains($"| `{name}` |", doc, StringComparison.Ordinal);
        }

        var columns = ConversationExport.CsvHeader([]);
        Assert.NotEmpty(columns);
        Assert.All(columns, c => Assert.Contains($"`{c}`", doc, StringComparison.Ordinal));
        Assert.Contains("`sla_{policy}_met`", doc, StringComparison.Ordinal);
    }

    private async Task<Dictionary<string, JsonElement>> RowsAsync(string query)
    {
        using var doc = JsonDocument.Parse(await Host.GetAsync("/api/drilldown?" + query));
        return doc.RootElement.GetProperty("conversations").EnumerateArray()
            .ToDictionary(r => $"{r.GetProperty("source").GetString()}/{r.GetProperty("id").GetString()}", r => r.Clone());
    }

    private static string Between(string text, string start, string end)
    {
        var from = text.IndexOf(start, StringComparison.Ordinal);
        Assert.True(from >= 0, $"'{start}' not found in:\n{text}");
        var to = text.IndexOf(end, from, StringComparison.Ordinal);
        return text[from..to];
    }

    /// <summary>An RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks; records end with CRLF.</summary>
    internal static List<List<string>> ParseCsv(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"' && field.Length == 0)
            {
                i++;
                while (true)
                {
                    Assert.True(i < text.Length, "unterminated quoted field");
                    if (text[i] == '"' && i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i += 2;
                    }
                    else if (text[i] == '"')
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        field.Append(text[i++]);
                    }
                }
            }
            else if (text[i] == ',')
            {
                record.Add(field.ToString());
                field.Clear();
                i++;
            }
            else if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                record.Add(field.ToString());
                field.Clear();
                records.Add(record);
                record = [];
                i += 2;
            }
            else
            {
                Assert.True(text[i] is not ('"' or '\r' or '\n'), $"unquoted special character at {i}");
                field.Append(text[i++]);
            }
        }

        Assert.True(record.Count == 0 && field.Length == 0, "the last record does not end with CRLF");
        return records;
    }
}
