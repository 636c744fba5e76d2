using KpiCollector.Checks;
using KpiCollector.Configuration;
using KpiCollector.Sources;
using KpiCollector.Sources.Bitrix24;
using KpiCollector.Tests.Support;

namespace KpiCollector.Tests.Sources.Bitrix24;

/// <summary><c>check sources</c> for Bitrix24 against the simulator's face: the webhook's scopes, a missing scope, a wrong code.</summary>
public sealed class Bitrix24CheckTests
{
    [Fact]
    public async Task TheCheck_ReportsTheWebhooksScopes_AMissingOne_AndARefusedCode()
    {
        await using var full = await SimulatorHost.StartAsync(null, "Simulator:Backfill=1h");
        await using var crmOnly = await SimulatorHost.StartAsync(null, "Simulator:Backfill=1h", "Simulator:Bitrix24:Scopes=crm,user");

        var granted = await CheckAsync(full, "simulator-bitrix24-webhook-code");
        var missing = await CheckAsync(crmOnly, "simulator-bitrix24-webhook-code");
        var refused = await CheckAsync(full, "not-the-code");

        Assert.True(granted.Pollable, string.Join("; ", granted.Permissions.Select(p => p.Detail)));
        Assert.Contains("imopenlines", granted.Identity, StringComparison.Ordinal);
        Assert.False(missing.Pollable);
        Assert.Contains(missing.Permissions, p => p.Needed == "scope imopenlines" && p.Granted == false);
        Assert.False(refused.Authenticated);
        Assert.DoesNotContain("not-the-code", refused.Request + refused.Identity + string.Join(' ', refused.Notes), StringComparison.Ordinal);
    }

    private static async Task<SourceCheck> CheckAsync(SimulatorHost simulator, string code)
    {
        var options = new SourceOptions
        {
            Name = "bx",
            Platform = Bitrix24Platform.Id,
            BaseUrl = simulator.BaseUrl("bitrix24"),
            ApiToken = code,
            Settings = new Bitrix24Settings { UserId = 1 },
        };
        var check = new SourceCheck { Name = "bx", Platform = Bitrix24Platform.Id, Key = SourceKeys.Of(0) };
        await new Bitrix24Platform().CheckAsync(new SourceContext(options, 0, new KpiCollectorOptions()), check, CancellationToken.None);
        return check;
    }
}
