using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Tests.Support;

namespace KpiCollector.Tests.Simulator;

/// <summary>Stranded emails: open, unanswered and unchanged for days, the tickets an incremental read alone never sees again.</summary>
public sealed class StrandedEmailTests
{
    private static readonly DateTimeOffset Epoch = Records.T0.AddDays(-20);

    [Fact]
    public void StrandedEmails_WaitUnchangedForADayAtLeast_ThenAreHandled()
    {
        var options = new SimulatorOptions { ArrivalsPerHour = 10, StrandedShare = 1, StrandedFor = TimeSpan.FromDays(5) };
        var simulation = new TrafficSimulation(options, "sim", Epoch);
        var firstDay = simulation.AdvanceTo(Epoch.AddHours(1)).Conversations.Where(c => c.Channel == Channels.Email).ToList();
        Assert.NotEmpty(firstDay);

        var later = simulation.AdvanceTo(Epoch.AddDays(1)).Conversations.Where(c => c.Channel == Channels.Email).Select(c => c.ExternalId).ToHashSet();
        Assert.DoesNotContain(firstDay, c => later.Contains(c.ExternalId)); // nobody touched them for a day
        Assert.All(firstDay, c => Assert.Null(c.FirstHumanResponseAt));

        var handled = simulation.AdvanceTo(Epoch.AddDays(7)).Conversations.ToDictionary(c => c.ExternalId);
        Assert.All(firstDay, c => Assert.NotNull(handled[c.ExternalId].FirstHumanResponseAt)); // within StrandedFor, then handled
    }

    [Fact]
    public void WithoutStrandedShare_NoEmailWaitsADay()
    {
        var simulation = new TrafficSimulation(new SimulatorOptions { ArrivalsPerHour = 10 }, "sim", Epoch);
        var all = simulation.AdvanceTo(Epoch.AddDays(5)).Conversations;

        Assert.DoesNotContain(all, c => c.Channel == Channels.Email && (c.FirstHumanResponseAt ?? c.UpdatedAt) - c.CreatedAt > TimeSpan.FromDays(1) && c.CreatedAt < Epoch.AddDays(3));
    }

    [Theory]
    [InlineData(-0.1, 21)]
    [InlineData(1.5, 21)]
    [InlineData(0.1, 1)]
    public void InvalidStrandedKnobs_AreRejected(double share, int days)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrafficSimulation(new SimulatorOptions { StrandedShare = share, StrandedFor = TimeSpan.FromDays(days) }, "sim", Epoch));
        var app = new SimulatorAppOptions { StrandedShare = share, StrandedFor = $"{days}d" };
        Assert.Contains(app.Validate(), f => f.StartsWith("Simulator:Stranded", StringComparison.Ordinal));
    }
}
