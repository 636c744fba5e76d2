using KpiCollector.Tests.Support;

namespace KpiCollector.Tests.Checks;

/// <summary>One simulator process for the whole class: its faces are what <c>check sources</c> asks.</summary>
public sealed class SimulatorProcessFixture : IAsyncLifetime
{
    internal SimulatorProcess Simulator { get; private set; } = null!;

    public string BaseUrl(string face) => new Uri(Simulator.Address, face).ToString();

    public async Task InitializeAsync()
    {
        Simulator = SimulatorProcess.Start("--Simulator:Backfill=1h");
        await Simulator.WaitReadyAsync(TimeSpan.FromSeconds(90));
    }

    public Task DisposeAsync()
    {
        Simulator.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// <c>check sources</c> as a user runs it, a real collector process against a real simulator process: a valid
/// credential, an expired (refused) one, a lower-privileged one, and a host nobody listens on, for Zendesk and
/// Freshdesk; Chatwoot and WhatsApp valid and refused or under-privileged. Exit 0 only when every source can be polled.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CheckSourcesTests(SimulatorProcessFixture fixture) : IClassFixture<SimulatorProcessFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void EverySourceValid_ExitsWith0_Authenticated_PermissionsGranted_BudgetsAndBackfillPrinted()
    {
        var (exitCode, output) = Check(
            Zendesk(0, "simulator-zendesk-token"),
            Freshdesk(1, "simulator-freshdesk-key"),
            Chatwoot(2, "simulator-chatwoot-token"),
            WhatsApp(3, "sim-whatsapp-token"),
            new Dictionary<string, string> { ["KPICOLLECTOR__SOURCES__4__NAME"] = "sim", ["KPICOLLECTOR__SOURCES__4__PLATFORM"] = "simulator" });

        Assert.True(exitCode == 0, output);
        Assert.Contains("5 of 5 sources can be polled.", output, StringComparison.Ordinal);
        var zendesk = Block(output, "zd");
        Assert.Contains("reachable:      yes", zendesk, StringComparison.Ordinal);
        Assert.Contains("authenticated:  yes, as admin@simulator.test (role admin)", zendesk, StringComparison.Ordinal);
        Assert.Contains("permission:     admin role (incremental ticket export, satisfaction ratings, survey responses): yes", zendesk, StringComparison.Ordinal);
        Assert.Contains("rate limit:     400 requests a minute reported (X-Rate-Limit)", zendesk, StringComparison.Ordinal);
        Assert.Contains("backfill:       2h; the number of tickets in it is unknown before the first poll; 1 request per 1,000 tickets at 10 requests a minute", zendesk, StringComparison.Ordinal);
        Assert.Contains("6 s per 1,000 tickets", zendesk, StringComparison.Ordinal);
        var freshdesk = Block(output, "fd");
        Assert.Contains("authenticated:  yes, as agent admin@simulator.test (ticket_scope 1)", freshdesk, StringComparison.Ordinal);
        Assert.Contains("permission:     global ticket access (ticket_scope 1: every ticket is listed): yes", freshdesk, StringComparison.Ordinal);
        Assert.Contains("rate limit:     200 requests a minute reported (X-RateLimit-Total)", freshdesk, StringComparison.Ordinal);
        Assert.Contains("30 s per 1,000 tickets", freshdesk, StringComparison.Ordinal); // 10 pages at the tickets list's 20 a minute
        var chatwoot = Block(output, "cw");
        Assert.Contains("authenticated:  yes, as admin@simulator.test (role administrator in account 1)", chatwoot, StringComparison.Ordinal);
        Assert.Contains("rate limit:     none reported by Chatwoot; the collector allows itself 3000 requests a minute", chatwoot, StringComparison.Ordinal);
        var whatsapp = Block(output, "wa");
        Assert.Contains("authenticated:  yes, WABA 102290129340398 (Simulated Support)", whatsapp, StringComparison.Ordinal);
        Assert.Contains("% of the hourly call budget used (x-business-use-case-usage)", whatsapp, StringComparison.Ordinal);
        Assert.Contains("result:         OK, can be polled", Block(output, "sim"), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.Path)); // nothing written: no store, no data directory
    }

    [Fact]
    public void ZendeskWrongToken_ExitsWith1_NotAuthenticated_NamingTheKeyNotTheToken()
    {
        var (exitCode, output) = Check(Zendesk(0, "expired-zendesk-T0ken"));

        Assert.Equal(1, exitCode);
        var block = Block(output, "zd");
        Assert.Contains("reachable:      yes", block, StringComparison.Ordinal);
        Assert.Contains("authenticated:  no, HTTP 401, the platform refused the credential (expired, revoked or wrong); check KpiCollector:Sources:0:ApiToken", block, StringComparison.Ordinal);
        Assert.Contains("result:         FAILED, cannot be polled", block, StringComparison.Ordinal);
        Assert.DoesNotContain("expired-zendesk-T0ken", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ZendeskExpiredTokenFault_ExitsWith1_NotAuthenticated()
    {
        (await fixture.Simulator.Http.PostAsync("_sim/faults/zendesk?kind=expired_token", null)).EnsureSuccessStatusCode();

        var (exitCode, output) = Check(Zendesk(0, "simulator-zendesk-token"));

        Assert.Equal(1, exitCode);
        Assert.Contains("authenticated:  no, HTTP 401", Block(output, "zd"), StringComparison.Ordinal);
    }

    [Fact]
    public void ZendeskAgentToken_ExitsWith1_NamingTheMissingAdminRole()
    {
        var (exitCode, output) = Check(Zendesk(0, "simulator-zendesk-agent-token", "agent@simulator.test"));

        Assert.Equal(1, exitCode);
        var block = Block(output, "zd");
        Assert.Contains("authenticated:  yes, as agent@simulator.test (role agent)", block, StringComparison.Ordinal);
        Assert.Contains("permission:     admin role (incremental ticket export, satisfaction ratings, survey responses): MISSING (role agent: these endpoints answer 403", block, StringComparison.Ordinal);
        Assert.Contains("result:         FAILED, cannot be polled", block, StringComparison.Ordinal);
    }

    [Fact]
    public void ZendeskUnreachableHost_ExitsWith1_ConnectionRefused()
    {
        var (exitCode, output) = Check(Zendesk(0, "simulator-zendesk-token", baseUrl: Nobody("zendesk")));

        Assert.Equal(1, exitCode);
        var block = Block(output, "zd");
        Assert.Contains("reachable:      no, connection refused", block, StringComparison.Ordinal);
        Assert.DoesNotContain("authenticated:", block, StringComparison.Ordinal);
    }

    [Fact]
    public void FreshdeskWrongKey_ExitsWith1_NotAuthenticated()
    {
        var (exitCode, output) = Check(Freshdesk(0, "expired-freshdesk-key"));

        Assert.Equal(1, exitCode);
        Assert.Contains("authenticated:  no, HTTP 401", Block(output, "fd"), StringComparison.Ordinal);
        Assert.DoesNotContain("expired-freshdesk-key", output, StringComparison.Ordinal);
    }

    [Fact]
    public void FreshdeskRestrictedAgent_ExitsWith1_NamingTheMissingGlobalTicketAccess()
    {
        var (exitCode, output) = Check(Freshdesk(0, "simulator-freshdesk-restricted-key"));

        Assert.Equal(1, exitCode);
        var block = Block(output, "fd");
        Assert.Contains("authenticated:  yes, as agent restricted.agent@simulator.test (ticket_scope 3)", block, StringComparison.Ordinal);
        Assert.Contains("permission:     global ticket access (ticket_scope 1: every ticket is listed): MISSING (restricted access", block, StringComparison.Ordinal);
    }

    [Fact]
    public void FreshdeskUnreachableHost_ExitsWith1_ConnectionRefused()
    {
        var (exitCode, output) = Check(Freshdesk(0, "simulator-freshdesk-key", Nobody("freshdesk")));

        Assert.Equal(1, exitCode);
        Assert.Contains("reachable:      no, connection refused", Block(output, "fd"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FreshdeskSlowAnswer_ExitsWith1_TimeoutWithinTheSourcesTimeout()
    {
        (await fixture.Simulator.Http.PostAsync("_sim/faults/freshdesk?kind=slow&delay=8", null)).EnsureSuccessStatusCode();

        var (exitCode, output) = Check(new Dictionary<string, string>(Freshdesk(0, "simulator-freshdesk-key")) { ["KPICOLLECTOR__SOURCES__0__TIMEOUT"] = "2s" });

        Assert.Equal(1, exitCode);
        Assert.Contains("reachable:      no, timeout: no answer within 2 s", Block(output, "fd"), StringComparison.Ordinal);
    }

    [Fact]
    public void ChatwootWrongToken_ExitsWith1_NotAuthenticated()
    {
        var (exitCode, output) = Check(Chatwoot(0, "expired-chatwoot-token"));

        Assert.Equal(1, exitCode);
        Assert.Contains("authenticated:  no, HTTP 401", Block(output, "cw"), StringComparison.Ordinal);
        Assert.DoesNotContain("expired-chatwoot-token", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ChatwootAgentToken_ExitsWith1_NamingTheMissingAdministratorRole()
    {
        var (exitCode, output) = Check(Chatwoot(0, "simulator-chatwoot-agent-token"));

        Assert.Equal(1, exitCode);
        var block = Block(output, "cw");
        Assert.Contains("authenticated:  yes, as agent@simulator.test (role agent in account 1)", block, StringComparison.Ordinal);
        Assert.Contains("permission:     administrator of account 1 (conversations of every inbox, CSAT responses): MISSING (role agent", block, StringComparison.Ordinal);
    }

    [Fact]
    public void WhatsAppExpiredToken_ExitsWith1_NotAuthenticated_WithTheGraphCode()
    {
        var (exitCode, output) = Check(WhatsApp(0, "expired-whatsapp-token"));

        Assert.Equal(1, exitCode);
        var block = Block(output, "wa");
        Assert.Contains("authenticated:  no, HTTP 401", block, StringComparison.Ordinal);
        Assert.Contains("(Graph error 190:", block, StringComparison.Ordinal);
        Assert.DoesNotContain("expired-whatsapp-token", output, StringComparison.Ordinal);
    }

    [Fact]
    public void WhatsAppTokenWithoutTheWaba_ExitsWith1_NamingTheMissingPermission()
    {
        var (exitCode, output) = Check(WhatsApp(0, "sim-whatsapp-unassigned-token"));

        Assert.Equal(1, exitCode);
        Assert.Contains("permission:     whatsapp_business_management on the WABA (analytics): MISSING (Graph error 100: WABA 102290129340398 does not exist for this token or it may not read it", Block(output, "wa"), StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidConfiguration_ExitsWith2_BeforeAskingAnything()
    {
        var (exitCode, output) = Check(new Dictionary<string, string>(Zendesk(0, "simulator-zendesk-token")) { ["KPICOLLECTOR__SOURCES__0__TIMEOUT"] = "forever" });

        Assert.Equal(2, exitCode);
        Assert.Contains("  - KpiCollector:Sources:0:Timeout: 'forever' is not a timeout", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Source 'zd'", output, StringComparison.Ordinal);
    }

    private (int ExitCode, string Output) Check(params Dictionary<string, string>[] sources) =>
        CollectorProcess.Check(_dir.Path, "sources", null, sources.SelectMany(s => s).ToDictionary(kv => kv.Key, kv => kv.Value));

    /// <summary>A loopback address nobody listens on.</summary>
    private static string Nobody(string face) => $"http://127.0.0.1:{FakePlatform.FreePort()}/{face}";

    /// <summary>The block <c>check sources</c> printed for one source.</summary>
    private static string Block(string output, string name)
    {
        var start = output.IndexOf($"Source '{name}' ", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no block for {name}:\n{output}");
        var end = output.IndexOf("  result:", start, StringComparison.Ordinal);
        var lineEnd = end < 0 ? output.Length : output.IndexOf('\n', end);
        return output[start..(lineEnd < 0 ? output.Length : lineEnd)];
    }

    private Dictionary<string, string> Zendesk(int i, string token, string email = "admin@simulator.test", string? baseUrl = null) => new()
    {
        [$"KPICOLLECTOR__SOURCES__{i}__NAME"] = "zd",
        [$"KPICOLLECTOR__SOURCES__{i}__PLATFORM"] = "zendesk",
        [$"KPICOLLECTOR__SOURCES__{i}__BASEURL"] = baseUrl ?? fixture.BaseUrl("zendesk"),
        [$"KPICOLLECTOR__SOURCES__{i}__EMAIL"] = email,
        [$"KPICOLLECTOR__SOURCES__{i}__APITOKEN"] = token,
        [$"KPICOLLECTOR__SOURCES__{i}__BACKFILL"] = "2h",
    };

    private Dictionary<string, string> Freshdesk(int i, string key, string? baseUrl = null) => new()
    {
        [$"KPICOLLECTOR__SOURCES__{i}__NAME"] = "fd",
        [$"KPICOLLECTOR__SOURCES__{i}__PLATFORM"] = "freshdesk",
        [$"KPICOLLECTOR__SOURCES__{i}__BASEURL"] = baseUrl ?? fixture.BaseUrl("freshdesk"),
        [$"KPICOLLECTOR__SOURCES__{i}__APITOKEN"] = key,
    };

    private Dictionary<string, string> Chatwoot(int i, string token) => new()
    {
        [$"KPICOLLECTOR__SOURCES__{i}__NAME"] = "cw",
        [$"KPICOLLECTOR__SOURCES__{i}__PLATFORM"] = "chatwoot",
        [$"KPICOLLECTOR__SOURCES__{i}__BASEURL"] = fixture.BaseUrl("chatwoot"),
        [$"KPICOLLECTOR__SOURCES__{i}__APITOKEN"] = token,
        [$"KPICOLLECTOR__SOURCES__{i}__CHATWOOT__ACCOUNTID"] = "1",
    };

    private Dictionary<string, string> WhatsApp(int i, string token) => new()
    {
        [$"KPICOLLECTOR__SOURCES__{i}__NAME"] = "wa",
        [$"KPICOLLECTOR__SOURCES__{i}__PLATFORM"] = "whatsapp",
        [$"KPICOLLECTOR__SOURCES__{i}__BASEURL"] = fixture.BaseUrl("whatsapp"),
        [$"KPICOLLECTOR__SOURCES__{i}__APITOKEN"] = token,
        [$"KPICOLLECTOR__SOURCES__{i}__WHATSAPP__WABAID"] = "102290129340398",
    };
}
