using KpiCollector.Core.Staffing;

namespace KpiCollector.Tests.Staffing;

public sealed class ErlangCTests
{
    /// <summary>The classic published case: 100 contacts in 30 minutes, AHT 180 s, 80 % answered within 20 s.</summary>
    [Fact]
    public void ClassicCase_NeedsFourteenAgents_AtAboutEightyNinePercent()
    {
        var arrivals = 100 / 1800.0;
        var aht = TimeSpan.FromSeconds(180);

        Assert.Equal(14, ErlangC.RequiredAgents(arrivals, aht, TimeSpan.FromSeconds(20), 0.80));
        Assert.Equal(0.888, Math.Round(ErlangC.ServiceLevel(14, 10, aht, TimeSpan.FromSeconds(20)), 3));
        Assert.True(ErlangC.ServiceLevel(13, 10, aht, TimeSpan.FromSeconds(20)) < 0.80);
    }

    [Fact]
    public void WaitProbability_MatchesTheTextbookValue()
    {
        // A = 10 Erlangs, 14 agents: P(wait) ≈ 0.1741.
        Assert.Equal(0.1741, Math.Round(ErlangC.WaitProbability(14, 10), 4));
        Assert.Equal(1, ErlangC.WaitProbability(10, 10));
    }

    [Fact]
    public void Concurrency_DividesTheSlotsNeeded()
    {
        var one = ErlangC.RequiredAgents(100 / 1800.0, TimeSpan.FromSeconds(180), TimeSpan.FromSeconds(20), 0.8);
        var three = ErlangC.RequiredAgents(100 / 1800.0, TimeSpan.FromSeconds(180), TimeSpan.FromSeconds(20), 0.8, concurrency: 3);

        Assert.Equal((int)Math.Ceiling(one / 3.0), three);
        Assert.Equal(0, ErlangC.RequiredAgents(0, TimeSpan.FromSeconds(180), TimeSpan.FromSeconds(20), 0.8));
    }
}
