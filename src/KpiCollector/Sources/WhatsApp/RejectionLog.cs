namespace KpiCollector.Sources.WhatsApp;

/// <summary>
/// Decides which rejected webhook requests get a log line: the first of each outcome at once, then at most one line
/// per outcome every <see cref="Every"/>, carrying how many were rejected for that outcome since the last line. A
/// flood of forged requests (thousands a second) then writes a line a minute, while the counter
/// <c>kpicollector_webhook_requests_total</c> still counts every one. Thread-safe.
/// </summary>
public sealed class RejectionLog(TimeProvider time)
{
    public static readonly TimeSpan Every = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (DateTimeOffset LastLine, long Since)> _byOutcome = new(StringComparer.Ordinal);

    /// <summary>True when this rejection gets a line; <paramref name="unlogged"/> is then the number rejected since the last line, this one excluded.</summary>
    public bool Take(string outcome, out long unlogged)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_byOutcome.TryGetValue(outcome, out var entry) && now - entry.LastLine < Every)
            {
                _byOutcome[outcome] = entry with { Since = entry.Since + 1 };
                unlogged = 0;
                return false;
            }

            unlogged = entry.Since;
            _byOutcome[outcome] = (now, 0);
            return true;
        }
    }
}
