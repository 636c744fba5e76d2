namespace KpiCollector.Simulator.Faces;

/// <summary>A face's advertised request budget: the limit per minute and what is left of the current minute, for the rate-limit headers.</summary>
public sealed class MinuteBudget(int limit, TimeProvider time)
{
    private readonly Lock _gate = new();
    private long _minute = -1;
    private int _used;

    public int Limit { get; } = limit;

    /// <summary>Counts a request and returns the budget left in this minute (never below 0).</summary>
    public int Spend()
    {
        lock (_gate)
        {
            var minute = time.GetUtcNow().ToUnixTimeSeconds() / 60;
            if (minute != _minute)
            {
                (_minute, _used) = (minute, 0);
            }

            _used++;
            return Math.Max(0, Limit - _used);
        }
    }

    /// <summary>Seconds until the current minute ends.</summary>
    public int SecondsToReset() => 60 - (int)(time.GetUtcNow().ToUnixTimeSeconds() % 60);
}
