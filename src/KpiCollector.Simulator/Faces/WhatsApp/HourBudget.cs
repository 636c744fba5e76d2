namespace KpiCollector.Simulator.Faces.WhatsApp;

/// <summary>
/// The Business Management API budget of a WABA: calls in the last hour (a sliding window, like Meta's) as a percent of
/// the hourly limit, for <c>x-business-use-case-usage</c>. The counterpart of <see cref="MinuteBudget"/>.
/// </summary>
public sealed class HourBudget(int callsPerHour, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Queue<DateTimeOffset> _calls = new();

    public int Limit { get; } = callsPerHour;

    /// <summary>Counts a call and returns the percent of the budget used in the last hour (it can exceed 100).</summary>
    public int Spend()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            while (_calls.TryPeek(out var oldest) && oldest <= now - TimeSpan.FromHours(1))
            {
                _calls.Dequeue();
            }

            _calls.Enqueue(now);
            return (int)Math.Ceiling(100.0 * _calls.Count / Limit);
        }
    }
}
