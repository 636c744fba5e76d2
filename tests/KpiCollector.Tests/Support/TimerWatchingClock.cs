using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that knows the timers registered with it (a <c>Task.Delay(wait, clock)</c> is one)
/// and which of them fired. Code often logs a wait before it registers the delay: advancing the clock as soon as the
/// line appears can pass before the timer exists and so miss it. <see cref="WaitForTimerAsync"/> waits for the timer
/// itself, and <see cref="HasFired"/> tells, without a sleep, whether a wait has ended.
/// </summary>
internal sealed class TimerWatchingClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly List<Watched> _timers = [];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var watched = new Watched(dueTime);
        lock (_timers)
        {
            _timers.Add(watched);
        }

        return base.CreateTimer(s =>
        {
            watched.MarkFired();
            callback(s);
        }, state, dueTime, period);
    }

    /// <summary>Waits (real time, bounded) until a timer due <paramref name="due"/> (to 0.1 s) is registered, and returns it.</summary>
    public async Task<Watched> WaitForTimerAsync(TimeSpan due, TimeSpan? timeout = null)
    {
        Watched? found = null;
        await CollectorHost.WaitUntilAsync(() =>
        {
            lock (_timers)
            {
                found = _timers.LastOrDefault(t => !t.HasFired && (t.Due - due).Duration() <= TimeSpan.FromMilliseconds(100));
            }

            return Task.FromResult(found is not null);
        }, timeout ?? TimeSpan.FromSeconds(20), $"a timer due in {due}");
        return found!;
    }

    /// <summary>A registered timer: its due time and whether it fired.</summary>
    public sealed class Watched(TimeSpan due)
    {
        public TimeSpan Due { get; } = due;

        private volatile bool _fired;

        public bool HasFired => _fired;

        internal void MarkFired() => _fired = true;
    }
}
