using System.Net;
using System.Text.Json.Nodes;
using KpiCollector.Simulator.Faces.Bitrix24;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Simulator;

/// <summary>
/// The Bitrix24 face as Bitrix24 documents its REST API: the webhook path, the activity list's filter, order, keyset
/// and counting pages, batch with PHP's empty arrays, the history's users and messages, the leaky bucket's
/// QUERY_LIMIT_EXCEEDED, and a wrong webhook code refused with 401.
/// </summary>
public sealed class Bitrix24FaceTests : IAsyncLifetime
{
    private const string Root = "bitrix24/rest/1/simulator-bitrix24-webhook-code/";
    private readonly FakeTimeProvider _clock = new(Records.T0);
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=3h", "Simulator:Bitrix24:Burst=8");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task TheActivityList_FiltersOrdersAndPages_AndBatchReadsTheHistories()
    {
        var since = Uri.EscapeDataString(Records.T0.AddHours(-2).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture));
        var (status, page) = await GetAsync($"{Root}crm.activity.list?filter[PROVIDER_ID]=IMOPENLINES_SESSION&filter[%3E%3DLAST_UPDATED]={since}&filter[%3EID]=0&order[ID]=ASC&select[]=ID&select[]=ASSOCIATED_ENTITY_ID&select[]=LAST_UPDATED&select[]=PROVIDER_TYPE_ID&start=-1");

        Assert.Equal(HttpStatusCode.OK, status);
        var rows = page!["result"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(Bitrix24Face.PageSize, rows.Count);
        Assert.False(page.AsObject().ContainsKey("total")); // start=-1: no count
        Assert.All(rows, r => Assert.Equal(["ID", "PROVIDER_TYPE_ID", "ASSOCIATED_ENTITY_ID", "LAST_UPDATED"], r.Select(p => p.Key)));
        var ids = rows.Select(r => long.Parse(r["ID"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.All(rows, r => Assert.True(DateTimeOffset.Parse(r["LAST_UPDATED"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) >= Records.T0.AddHours(-2)));
        Assert.All(rows, r => Assert.Contains(r["PROVIDER_TYPE_ID"]!.GetValue<string>(), new[] { "whatsappbyedna", "livechat", "telegrambot", "notifications" }));
        var (_, counted) = await GetAsync($"{Root}crm.activity.list.json?filter[%3EID]={ids[^1]}");
        Assert.True(counted!["total"]!.GetValue<int>() > 0);
        Assert.DoesNotContain(counted["result"]!.AsArray(), r => long.Parse(r!["ID"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) <= ids[^1]);

        var sessions = rows.Take(3).Select(r => r["ASSOCIATED_ENTITY_ID"]!.GetValue<string>()).ToList();
        var form = new FormUrlEncodedContent([
            new("halt", "0"),
            .. sessions.Select(s => new KeyValuePair<string, string>($"cmd[s{s}]", $"imopenlines.session.history.get?SESSION_ID={s}")),
            new("cmd[gone]", "imopenlines.session.history.get?SESSION_ID=999999")]);
        using var response = await _simulator.Http.PostAsync($"{Root}batch", form);
        var batch = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["result"]!;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (var s in sessions)
        {
            var history = batch["result"]![$"s{s}"]!;
            var users = history["users"]!.AsObject();
            var messages = history["message"]!.AsObject().Select(m => m.Value!).ToList();
            var first = messages.First();
            Assert.True(users[first["author_id"]!.ToString()]!["connector"]!.GetValue<bool>(), "the customer writes first, through a connector");
            Assert.Contains(history["sessionVote"]!.GetValue<int>(), new[] { 0, 1, 5 });
        }

        Assert.Equal("SESSION_ERROR", batch["result_error"]!["gone"]!["error"]!.GetValue<string>());
        Assert.IsType<JsonArray>(batch["result_total"]); // empty: PHP's []
    }

    [Fact]
    public async Task TheLeakyBucket_AnswersQueryLimitExceeded_AndAWrongCodeIs401()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            statuses.Add((await GetAsync($"{Root}scope")).Status);
        }

        Assert.Equal(8, statuses.Count(s => s == HttpStatusCode.OK)); // the burst
        var (limited, body) = await GetAsync($"{Root}scope");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, limited);
        Assert.Equal("QUERY_LIMIT_EXCEEDED", body!["error"]!.GetValue<string>());
        _clock.Advance(TimeSpan.FromSeconds(1)); // drains two
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"{Root}scope")).Status);

        var (wrong, refused) = await GetAsync("bitrix24/rest/1/wrong-code/scope");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Equal("INVALID_CREDENTIALS", refused!["error"]!.GetValue<string>());
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> GetAsync(string path)
    {
        using var response = await _simulator.Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
