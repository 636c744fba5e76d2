using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Simulator;

/// <summary>
/// The faces' "me" endpoints and their second, lower-privileged credentials: accepted, described as the platform
/// describes such a user, and refused (or given nothing) where the platform refuses that user. The main credentials
/// keep everything they had.
/// </summary>
public sealed class FaceCredentialTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(Records.T0);
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=3h");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task Zendesk_UsersMe_SaysTheRole_AndTheAgentGets403FromTheAdminOnlyEndpoints()
    {
        var admin = Basic("admin@simulator.test/token:simulator-zendesk-token");
        var agent = Basic("agent@simulator.test/token:simulator-zendesk-agent-token");

        var (status, me) = await GetAsync("zendesk/api/v2/users/me.json", ("Authorization", admin));
        Assert.Equal((HttpStatusCode.OK, "admin", "admin@simulator.test"), (status, me!["user"]!["role"]!.GetValue<string>(), me["user"]!["email"]!.GetValue<string>()));
        (status, me) = await GetAsync("zendesk/api/v2/users/me.json", ("Authorization", agent));
        Assert.Equal((HttpStatusCode.OK, "agent"), (status, me!["user"]!["role"]!.GetValue<string>()));
        Assert.NotNull(me["user"]!["id"]);

        Assert.Equal(HttpStatusCode.OK, (await GetAsync("zendesk/api/v2/incremental/tickets/cursor.json?start_time=0", ("Authorization", admin))).Status);
        foreach (var path in (string[])["incremental/tickets/cursor.json?start_time=0", "satisfaction_ratings.json", "guide/survey_responses?page[size]=1"])
        {
            var (refused, body) = await GetAsync($"zendesk/api/v2/{path}", ("Authorization", agent));
            Assert.Equal(HttpStatusCode.Forbidden, refused);
            Assert.Equal("Forbidden", body!["error"]!.GetValue<string>());
        }

        Assert.Equal(HttpStatusCode.OK, (await GetAsync("zendesk/api/v2/tickets/show_many.json?ids=1", ("Authorization", agent))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("zendesk/api/v2/users/me.json", ("Authorization", Basic("agent@simulator.test/token:wrong")))).Status);
    }

    [Fact]
    public async Task Freshdesk_AgentsMe_SaysTheTicketScope_AndTheRestrictedAgentSeesNoTicket()
    {
        var admin = Basic("simulator-freshdesk-key:X");
        var restricted = Basic("simulator-freshdesk-restricted-key:X");

        var (_, me) = await GetAsync("freshdesk/api/v2/agents/me", ("Authorization", admin));
        Assert.Equal(1, me!["ticket_scope"]!.GetValue<int>());
        (_, me) = await GetAsync("freshdesk/api/v2/agents/me", ("Authorization", restricted));
        Assert.Equal(3, me!["ticket_scope"]!.GetValue<int>());

        var since = Uri.EscapeDataString(Records.T0.AddDays(-1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        Assert.NotEmpty((await GetAsync($"freshdesk/api/v2/tickets?updated_since={since}", ("Authorization", admin))).Body!.AsArray());
        var (status, tickets) = await GetAsync($"freshdesk/api/v2/tickets?updated_since={since}", ("Authorization", restricted));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Empty(tickets!.AsArray());
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync("freshdesk/api/v2/tickets/1", ("Authorization", restricted))).Status);
    }

    [Fact]
    public async Task Chatwoot_Profile_SaysTheRole_AndTheAgentGets401FromCsat()
    {
        var (_, profile) = await GetAsync("chatwoot/api/v1/profile", ("api_access_token", "simulator-chatwoot-token"));
        Assert.Equal("administrator", profile!["accounts"]![0]!["role"]!.GetValue<string>());
        (_, profile) = await GetAsync("chatwoot/api/v1/profile", ("api_access_token", "simulator-chatwoot-agent-token"));
        Assert.Equal("agent", profile!["accounts"]![0]!["role"]!.GetValue<string>());
        Assert.Null(profile["access_token"]);

        Assert.Equal(HttpStatusCode.OK, (await GetAsync("chatwoot/api/v1/accounts/1/csat_survey_responses", ("api_access_token", "simulator-chatwoot-token"))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("chatwoot/api/v1/accounts/1/csat_survey_responses", ("api_access_token", "simulator-chatwoot-agent-token"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("chatwoot/api/v1/accounts/1/conversations", ("api_access_token", "simulator-chatwoot-agent-token"))).Status);
    }

    [Fact]
    public async Task WhatsApp_TokenWithoutTheWaba_GetsCode100Subcode33()
    {
        var (ok, node) = await GetAsync("whatsapp/v23.0/102290129340398?fields=id,name", ("Authorization", "Bearer sim-whatsapp-token"));
        Assert.Equal((HttpStatusCode.OK, "102290129340398"), (ok, node!["id"]!.GetValue<string>()));

        var (status, body) = await GetAsync("whatsapp/v23.0/102290129340398?fields=id,name", ("Authorization", "Bearer sim-whatsapp-unassigned-token"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal((100, 33), (body!["error"]!["code"]!.GetValue<int>(), body["error"]!["error_subcode"]!.GetValue<int>()));
    }

    private static string Basic(string userAndPassword) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(userAndPassword));

    private async Task<(HttpStatusCode Status, JsonNode? Body)> GetAsync(string path, (string Name, string Value) header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation(header.Name, header.Value);
        using var response = await _simulator.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
