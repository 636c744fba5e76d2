using KpiCollector.Tests.Support;
using static KpiCollector.Tests.Sources.Rest.RestTestProfiles;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>A stream's own <c>requests_per_minute</c> paces its requests below the profile's (account) budget.</summary>
public sealed class RestStreamBudgetTests : IDisposable
{
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly TimerWatchingClock _clock = new(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _platform.Dispose();

    [Fact]
    public async Task AStreamBudget_PacesThatStream_BelowTheAccountBudget()
    {
        _platform.Sequence("/api/tickets", FakePlatform.Json($$"""{"items":{{Tickets(1)}}}"""), FakePlatform.Json($$"""{"items":{{Tickets(2)}}}"""), FakePlatform.Json("""{"items":[]}"""));
        var profile = Conversations(paginator: "type: page_number\npage_size: 1")
            .Replace("    record: conversation", "    record: conversation\n    requests_per_minute: 2", StringComparison.Ordinal);
        using var source = Source(_platform, profile, _clock); // the account budget is 100 000 a minute

        var drain = Drain(source);
        var pacing = await _clock.WaitForTimerAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, _platform.Count("/api/tickets"));
        _clock.Advance(TimeSpan.FromSeconds(59.9));
        Assert.False(pacing.HasFired);
        Assert.Equal(2, _platform.Count("/api/tickets"));

        _clock.Advance(TimeSpan.FromSeconds(0.2));
        var batches = await drain.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(["1", "2"], Ids(batches));
        Assert.Equal(3, _platform.Count("/api/tickets"));
    }

    [Fact]
    public async Task WithoutAStreamBudget_OnlyTheAccountBudgetPaces()
    {
        _platform.Sequence("/api/tickets", FakePlatform.Json($$"""{"items":{{Tickets(1)}}}"""), FakePlatform.Json($$"""{"items":{{Tickets(2)}}}"""), FakePlatform.Json("""{"items":[]}"""));
        using var source = Source(_platform, Conversations(paginator: "type: page_number\npage_size: 1"), _clock);

        Assert.Equal(["1", "2"], Ids(await Drain(source).WaitAsync(TimeSpan.FromSeconds(60))));
        Assert.Equal(3, _platform.Count("/api/tickets"));
    }
}
