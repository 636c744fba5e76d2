namespace KpiCollector.Sources.Http;

/// <summary>
/// A budget of requests per minute, kept as a sliding window: never more than <see cref="RequestsPerMinute"/> requests
/// in any 60 seconds, whatever the alignment of the platform's own minute. It also carries a pause the platform
/// imposed (Retry-After, an exhausted budget header), until which no request of this budget is sent.
/// </summary>
/// <remarks>
/// A sliding window rather than fixed spacing: a poll that needs two requests sends them at once instead of waiting
/// 60/N seconds between them, and a long backfill still settles at exactly N a minute.
/// </remarks>
public sealed class RequestBudget
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Lock _gate = new();
    private readonly Queue<DateTimeOffset> _sent = new();
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;

    public RequestBudget(string name, int requestsPerMinute, string configurationKey)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(requestsPerMinute, 1);
        Name = name;
        RequestsPerMinute = requestsPerMinute;
        ConfigurationKey = configurationKey;
    }

    /// <summary>What the budget covers, for log lines: <c>account</c>, <c>incremental export</c>, ...</summary>
    public string Name { get; }

    public int RequestsPerMinute { get; }

    /// <summary>The key that configures it, for log lines.</summary>
    public string ConfigurationKey { get; }

    public DateTimeOffset PausedUntil
    {
        get { lock (_gate) { return _pausedUntil; } }
    }

    /// <summary>The earliest instant at or after <paramref name="now"/> when one more request fits the budget.</summary>
    public DateTimeOffset NextSlot(DateTimeOffset now)
    {
        lock (_gate)
        {
            while (_sent.TryPeek(out var oldest) && oldest + Window <= now)
            {
                _sent.Dequeue();
            }

            var slot = _sent.Count < RequestsPerMinute ? now : _sent.ElementAt(_sent.Count - RequestsPerMinute) + Window;
            return slot > _pausedUntil ? slot : _pausedUntil;
        }
    }

    public void RecordSent(DateTimeOffset at)
    {
        lock (_gate)
        {
            _sent.Enqueue(at);
        }
    }

    /// <summary>No request of this budget before <paramref name="until"/> (a pause already longer stays).</summary>
    public void PauseUntil(DateTimeOffset until)
    {
        lock (_gate)
        {
            if (until > _pausedUntil)
            {
                _pausedUntil = until;
            }
        }
    }
}
