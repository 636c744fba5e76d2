using KpiCollector.Sources;

namespace KpiCollector.Tests.Sources;

/// <summary>The backfill tracker on explicit instants: when a backfill runs, its ratio, and an honest estimate.</summary>
public sealed class BackfillProgressTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public void AFirstStart_Backfills_FromZero_AndTheReadPositionMovesTheRatio()
    {
        var p = new BackfillProgress();
        p.Begin(Start, 10 * Day, watermark: null, Minute, requestsPerMinute: null, requestsSent: 0);

        var at0 = p.Read(Start, 0);
        Assert.Equal(BackfillPhase.Running, at0.Phase);
        Assert.Equal(0, at0.Ratio);
        Assert.Null(at0.Eta);
        Assert.Equal("unknown", at0.EtaText);

        // Half the span read, one second later: the span grew by a second, so the share is a hair under a half.
        p.RecordPage(Start.AddSeconds(1), 500, readUpTo: Start - 5 * Day, readBackTo: null, watermark: null);
        var at1 = p.Read(Start.AddSeconds(1), 3);
        Assert.Equal(0.5, at1.Ratio, 5);
        Assert.True(at1.Ratio < 0.5);
        Assert.Equal(Start - 5 * Day, at1.ReachedAt);
        Assert.Equal(500, at1.Records);
        Assert.Equal(3, at1.Requests);
        Assert.Equal("50.0 %", at1.Percent);
    }

    [Fact]
    public void ARestartOfACaughtUpSource_IsNoBackfill_AndAnOldWatermarkIsACatchUpFromWhereTheDataWas()
    {
        var caughtUp = new BackfillProgress();
        caughtUp.Begin(Start, 30 * Day, watermark: Start - TimeSpan.FromMinutes(3), Minute, null, 0);
        var read = caughtUp.Read(Start, 0);
        Assert.Equal(BackfillPhase.Done, read.Phase);
        Assert.Equal(1, read.Ratio);
        Assert.Equal(TimeSpan.Zero, read.Elapsed);

        // Three poll intervals of an hourly source are recent enough too.
        var hourly = new BackfillProgress();
        hourly.Begin(Start, 30 * Day, watermark: Start - TimeSpan.FromMinutes(150), TimeSpan.FromHours(1), null, 0);
        Assert.Equal(BackfillPhase.Done, hourly.Read(Start, 0).Phase);

        var behind = new BackfillProgress();
        behind.Begin(Start, 10 * Day, watermark: Start - 2 * Day, Minute, null, 0);
        var catchUp = behind.Read(Start, 0);
        Assert.Equal(BackfillPhase.Running, catchUp.Phase);
        Assert.Equal(0.8, catchUp.Ratio, 6);
    }

    [Fact]
    public void ASourceWithoutHistory_NeverBackfills()
    {
        var p = new BackfillProgress();
        p.Begin(Start, span: null, watermark: null, Minute, null, 0);
        Assert.Equal(BackfillPhase.Done, p.Read(Start, 0).Phase);
        Assert.False(p.TakeLogTurn(Start.AddHours(1)));
    }

    [Fact]
    public void ANewestFirstRead_CountsTheSpanCoveredBackFromNow()
    {
        var p = new BackfillProgress();
        p.Begin(Start, 10 * Day, null, Minute, null, 0);
        p.RecordPage(Start, 25, readUpTo: null, readBackTo: Start - 4 * Day, watermark: null);
        p.RecordPage(Start, 25, readUpTo: null, readBackTo: Start - 3 * Day, watermark: null); // an older page stays the reach
        var read = p.Read(Start, 2);
        Assert.Equal(0.4, read.Ratio, 6);
        Assert.Null(read.ReachedAt); // no "read up to" instant for a read going backwards
    }

    [Fact]
    public void TheEstimate_IsUnknownUntilTenSecondsOfProgress_ThenTheRemainingShareAtTheRecentRate()
    {
        var p = new BackfillProgress();
        p.Begin(Start, 10 * Day, null, Minute, requestsPerMinute: null, requestsSent: 0);

        p.RecordPage(Start.AddSeconds(5), 100, Start - 9 * Day, null, null);
        Assert.Null(p.Read(Start.AddSeconds(5), 1).Eta); // 5 s of progress: no rate yet

        // 20 s from the start the read is at 2 of 10 days: 20 % in 20 s, so 80 % takes about 80 s more.
        var at20 = Start.AddSeconds(20);
        p.RecordPage(at20, 100, Start - 8 * Day, null, null);
        var read = p.Read(at20, 2);
        Assert.NotNull(read.Eta);
        Assert.InRange(read.Eta!.Value.TotalSeconds, 79, 81);
        Assert.Equal("about 1 min", read.EtaText);
    }

    [Fact]
    public void TheEstimate_AccountsForTheBudget_WhenTheReadOpenedWithABurst()
    {
        // 10 requests at once (a budget of 10 a minute allows them) read 20 % in 10 s; at 10 requests a minute, the
        // remaining 80 % (40 requests) take 4 minutes, not the 40 s the burst's rate promises.
        var p = new BackfillProgress();
        p.Begin(Start, 10 * Day, null, Minute, requestsPerMinute: 10, requestsSent: 0);
        var at10 = Start.AddSeconds(10);
        p.RecordPage(at10, 1000, Start - 8 * Day, null, null);
        var read = p.Read(at10, 10);
        Assert.InRange(read.Eta!.Value.TotalSeconds, 239, 241);
    }

    [Fact]
    public void TheRate_IsThatOfTheLastMinutes_NotOfTheWholeRead()
    {
        var p = new BackfillProgress();
        p.Begin(Start, 10 * Day, null, Minute, null, 0);
        // A stall of ten minutes first, then 10 % in the next 60 s: the estimate follows the recent rate.
        p.RecordPage(Start.AddMinutes(10), 0, Start - 10 * Day, null, null);
        p.RecordPage(Start.AddMinutes(10).AddSeconds(30), 0, Start - 9.5 * Day, null, null);
        var now = Start.AddMinutes(11);
        p.RecordPage(now, 0, Start - 9 * Day, null, null);
        var eta = p.Read(now, 0).Eta!.Value;
        Assert.InRange(eta.TotalSeconds, 500, 560); // 90 % left at about 10 % a minute
    }

    [Fact]
    public void Completion_IsReportedOnce_WithTheDuration_AndThenTheRatioIsOneAndTheEstimateGone()
    {
        var p = new BackfillProgress();
        p.Begin(Start, 10 * Day, null, Minute, null, requestsSent: 2);
        p.RecordPage(Start.AddSeconds(30), 700, Start - 1 * Day, null, null);

        Assert.True(p.Complete(Start.AddMinutes(9)));
        Assert.False(p.Complete(Start.AddMinutes(10)));
        var done = p.Read(Start.AddMinutes(10), 40);
        Assert.Equal(BackfillPhase.Done, done.Phase);
        Assert.Equal(1, done.Ratio);
        Assert.Null(done.Eta);
        Assert.Equal(TimeSpan.FromMinutes(9), done.Elapsed);
        Assert.Equal(700, done.Records);
        Assert.Equal(38, done.Requests);

        // Pages of later polls move nothing.
        p.RecordPage(Start.AddMinutes(11), 5, Start, null, null);
        Assert.Equal(700, p.Read(Start.AddMinutes(11), 41).Records);
    }

    [Fact]
    public void ALogLine_IsDueAtMostEveryThirtySeconds_WhileTheBackfillRuns()
    {
        var p = new BackfillProgress();
        p.Begin(Start, Day, null, Minute, null, 0);
        Assert.False(p.TakeLogTurn(Start.AddSeconds(10)));
        Assert.True(p.TakeLogTurn(Start.AddSeconds(30)));
        Assert.False(p.TakeLogTurn(Start.AddSeconds(59)));
        Assert.True(p.TakeLogTurn(Start.AddSeconds(61)));
        p.Complete(Start.AddSeconds(70));
        Assert.False(p.TakeLogTurn(Start.AddMinutes(5)));
    }

    [Theory]
    [InlineData(0.4, "1 s")]
    [InlineData(42, "42 s")]
    [InlineData(400, "7 min")]
    [InlineData(4_800, "1 h 20 min")]
    [InlineData(200_000, "2 d 7 h")]
    public void Durations_ReadAsAPersonWouldSayThem(double seconds, string text) =>
        Assert.Equal(text, BackfillSnapshot.Human(TimeSpan.FromSeconds(seconds)));
}
