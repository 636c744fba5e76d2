namespace KpiCollector.Simulator;

/// <summary>
/// The clock the simulated traffic runs on: the simulator's clock, until <c>POST /_sim/clock/pause</c> stops it (the
/// faces keep serving the state of that instant, so collectors polling them converge on the same numbers; a test
/// compares them then); <c>POST /_sim/clock/resume</c> goes back to the simulator's clock, catching up at once. The
/// faces' own clocks (rate-limit budgets, export end times) keep running.
/// </summary>
public sealed class SimulationClock(TimeProvider inner) : TimeProvider
{
    private readonly Lock _gate = new();
    private DateTimeOffset? _pausedAt;

    public DateTimeOffset? PausedAt
    {
        get { lock (_gate) { return _pausedAt; } }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _pausedAt ?? inner.GetUtcNow();
        }
    }

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);

    public DateTimeOffset Pause()
    {
        lock (_gate)
        {
            _pausedAt ??= inner.GetUtcNow();
            return _pausedAt.Value;
        }
    }

    public void Resume()
    {
        lock (_gate)
        {
            _pausedAt = null;
        }
    }
}
