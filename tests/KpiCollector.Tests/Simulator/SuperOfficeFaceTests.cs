using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Simulator;

/// <summary>
/// The SuperOffice face's Ticket archive as SuperOffice documents it: the OData carrier, <c>$select</c> projection
/// with <c>PrimaryKey</c> and <c>EntityName</c>, the <c>after</c> restriction, <c>$top</c>/<c>$skip</c> with
/// <c>odata.nextLink</c>, a restriction it cannot parse refused with 400, and a wrong password with 401.
/// </summary>
public sealed class SuperOfficeFaceTests : IAsyncLifetime
{
    private static readonly string Basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("simulator:simulator-superoffice-password"));
    private readonly FakeTimeProvider _clock = new(Records.T0);
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=3h");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task TheArchive_ProjectsFiltersAndPages_AsDocumented()
    {
        var since = Records.T0.AddHours(-1).UtcDateTime.ToString("yyyy.MM.dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        var query = $"$select=ticketId,lastChanged,status&$filter={Uri.EscapeDataString($"lastChanged after '{since}'")}&$orderBy=lastChanged&$top=5";

        var (status, page) = await GetAsync($"superoffice/api/v1/archive/Ticket?{query}", Basic);

        Assert.Equal(HttpStatusCode.OK, status);
        var rows = page!["value"]!.AsArray();
        Assert.Equal(5, rows.Count);
        foreach (var row in rows.Select(r => r!.AsObject()))
        {
            Assert.Equal(["PrimaryKey", "EntityName", "ticketId", "lastChanged", "status"], row.Select(p => p.Key));
            Assert.True(DateTimeOffset.Parse(row["lastChanged"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal) > Records.T0.AddHours(-1));
            Assert.Contains(row["status"]!.GetValue<string>(), new[] { "Active", "Closed", "Postponed" });
        }

        var next = page["odata.nextLink"]!.GetValue<string>();
        Assert.Contains("$skip=5", next, StringComparison.Ordinal);
        var (_, second) = await GetAsync(new Uri(next).PathAndQuery.TrimStart('/'), Basic);
        Assert.DoesNotContain(second!["value"]!.AsArray().Select(r => r!["ticketId"]!.GetValue<long>()), id => rows.Select(r => r!["ticketId"]!.GetValue<long>()).Contains(id));

        var (bad, error) = await GetAsync("superoffice/api/v1/archive/Ticket?$filter=" + Uri.EscapeDataString("lastChanged sometime 'x'"), Basic);
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Contains("Unable to parse the restriction", error!["Error"]!.GetValue<string>(), StringComparison.Ordinal);
        var wrong = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("simulator:wrong"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("superoffice/api/v1/Ticket", wrong)).Status);
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
