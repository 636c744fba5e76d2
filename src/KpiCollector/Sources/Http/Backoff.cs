namespace KpiCollector.Sources.Http;

/// <summary>Bounded exponential back-off with jitter, for retries the platform gave no wait for.</summary>
public static class Backoff
{
    /// <summary>
    /// The delay before retry number <paramref name="retry"/> (0 for the first): the cap is
    /// <paramref name="first"/> × 2^retry, at most <paramref name="max"/>, and the delay is drawn uniformly from
    /// [cap/2, cap] ("equal jitter"), so collectors that failed together do not retry in lock-step, yet every retry
    /// still waits at least half its cap.
    /// </summary>
    public static TimeSpan Delay(int retry, TimeSpan first, TimeSpan max, double random)
    {
        var cap = Math.Min(max.Ticks, first.Ticks * Math.Pow(2, Math.Clamp(retry, 0, 30)));
        return TimeSpan.FromTicks((long)(cap / 2 + cap / 2 * Math.Clamp(random, 0, 1)));
    }
}
