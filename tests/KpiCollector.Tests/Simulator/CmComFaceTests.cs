using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Simulator;

/// <summary>
/// The CM.com face's OData API: the carrier, <c>$expand</c> of messages (internal notes among them) and actions,
/// <c>$filter</c> on <c>CreationDateTime</c>, <c>$top</c>/<c>$skip</c> with <c>odata.nextLink</c>, one conversation
/// by key, a filter it cannot parse refused with 400, and a wrong secret with 401.
/// </summary>
public sealed class CmComFaceTests : IAsyncLifetime
{
    private static readonly string Basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("simulator-cmcom-key:simulator-cmcom-secret"));
    private readonly FakeTimeProvider _clock = new(Records.T0);
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=3h");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task Conversations_ExpandFilterAndPage_AsOData()
    {
        var since = Records.T0.AddHours(-2).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        var query = $"$expand=Messages,ConversationActions&$orderby=CreationDateTime&$filter={Uri.EscapeDataString($"CreationDateTime gt datetime'{since}'")}&$top=40";

        var (status, page) = await GetAsync($"cmcom/odata/conversations?{query}", Basic);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.EndsWith("/odata/$metadata#conversations", page!["odata.metadata"]!.GetValue<string>(), StringComparison.Ordinal);
        var rows = page["value"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(40, rows.Count);
        Assert.All(rows, r => Assert.True(string.CompareOrdinal(r["CreationDateTime"]!.GetValue<string>(), since) > 0));
        var messages = rows.SelectMany(r => r["Messages"]!.AsArray()).Select(m => m!.AsObject()).ToList();
        Assert.Contains(messages, m => m["Sender"]!["Type"]!.GetValue<string>() == "User" && m["Scope"]!.GetValue<string>() == "Internal");
        Assert.Contains(messages, m => m["Sender"]!["Type"]!.GetValue<string>() == "Relation");
        Assert.Contains(rows.SelectMany(r => r["ConversationActions"]!.AsArray()), a => a!["Type"]!.GetValue<string>() == "Archive");

        var next = page["odata.nextLink"]!.GetValue<string>();
        Assert.Contains("$skip=40", next, StringComparison.Ordinal);
        var (_, second) = await GetAsync(new Uri(next).PathAndQuery.TrimStart('/'), Basic);
        var firstKeys = rows.Select(r => r["UniqueId"]!.GetValue<string>()).ToHashSet();
        Assert.DoesNotContain(second!["value"]!.AsArray(), r => firstKeys.Contains(r!["UniqueId"]!.GetValue<string>()));

        var key = rows[0]["UniqueId"]!.GetValue<string>();
        var (found, one) = await GetAsync($"cmcom/odata/conversations(guid'{key}')", Basic);
        Assert.Equal((HttpStatusCode.OK, key), (found, one!["UniqueId"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("cmcom/odata/conversations(guid'00000000-0000-4000-8000-000000000000')", Basic)).Status);

        var (bad, error) = await GetAsync("cmcom/odata/messages?$filter=" + Uri.EscapeDataString("Subject eq 'x'"), Basic);
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Contains("is not valid", error!["odata.error"]!["message"]!["value"]!.GetValue<string>(), StringComparison.Ordinal);
        var wrong = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("simulator-cmcom-key:wrong"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("cmcom/odata/conversations", wrong)).Status);
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> GetAsync(string path, string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await _simulator.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
