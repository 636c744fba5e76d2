namespace KpiCollector.Core.Staffing;

/// <summary>
/// Erlang C staffing: the fewest agents that answer the target share of contacts within the target time, given the
/// arrival rate and the average handle time. With concurrency (chat agents holding several conversations at once)
/// each agent is counted as that many servers: the slots Erlang C asks for, divided by the concurrency, rounded up.
/// </summary>
public static class ErlangC
{
    /// <summary>Probability that a contact has to wait, with <paramref name="agents"/> agents and traffic <paramref name="erlangs"/>.</summary>
    public static double WaitProbability(int agents, double erlangs)
    {
        if (agents <= erlangs)
        {
            return 1;
        }

        // Erlang B by the stable recursion, then C from B.
        var b = 1.0;
        for (var n = 1; n <= agents; n++)
        {
            b = erlangs * b / (n + (erlangs * b));
        }

        return agents * b / (agents - (erlangs * (1 - b)));
    }

    /// <summary>Share of contacts answered within <paramref name="target"/>.</summary>
    public static double ServiceLevel(int agents, double erlangs, TimeSpan handleTime, TimeSpan target) =>
        agents <= erlangs
            ? 0
            : 1 - (WaitProbability(agents, erlangs) * Math.Exp(-(agents - erlangs) * target.TotalSeconds / handleTime.TotalSeconds));

    /// <summary>
    /// Agents needed so that at least <paramref name="objective"/> of contacts are answered within <paramref name="target"/>.
    /// </summary>
    /// <param name="arrivalsPerSecond">Arrival rate.</param>
    /// <param name="handleTime">Average handle time of one contact.</param>
    /// <param name="concurrency">Contacts one agent handles at once (1 for calls, more for chat).</param>
    public static int RequiredAgents(double arrivalsPerSecond, TimeSpan handleTime, TimeSpan target, double objective, double concurrency = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(arrivalsPerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(concurrency, 0);
        if (arrivalsPerSecond == 0 || handleTime <= TimeSpan.Zero)
        {
            return 0;
        }

        var erlangs = arrivalsPerSecond * handleTime.TotalSeconds;
        for (var slots = Math.Max(1, (int)Math.Floor(erlangs) + 1); slots < 100_000; slots++)
        {
            if (ServiceLevel(slots, erlangs, handleTime, target) >= objective)
            {
                return (int)Math.Ceiling(slots / concurrency);
            }
        }

        throw new InvalidOperationException($"No staffing up to 100000 agents reaches {objective:P0} within {target}.");
    }
}
