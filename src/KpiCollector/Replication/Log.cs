namespace KpiCollector.Replication;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "Replica {Replica} shares the sources through leases on PostgreSQL: lease {Seconds} s, renewed every third of it; {Sources} sources configured")]
    public static partial void ReplicaStarted(ILogger logger, string replica, double seconds, int sources);

    [LoggerMessage(LogLevel.Information, "Replica {Replica} took {Source} over (fencing token {Token}): {Conversations} conversations and {Others} other records loaded in {Milliseconds:F0} ms")]
    private static partial void TookOverCore(ILogger logger, string source, string replica, long token, long conversations, long others, double milliseconds);

    public static void TookOver(ILogger logger, string source, string replica, long token, long conversations, long others, double milliseconds) =>
        TookOverCore(logger, source, replica, token, conversations, others, milliseconds);

    [LoggerMessage(LogLevel.Information, "Replica {Replica} handed {Source} over ({Why})")]
    private static partial void HandedOverCore(ILogger logger, string replica, string source, string why);

    public static void HandedOver(ILogger logger, string source, string replica, string why) => HandedOverCore(logger, replica, source, why);

    [LoggerMessage(LogLevel.Information, "Replica {Replica} hands {Source} over to {Owner}, to which the balance assigns it")]
    private static partial void RebalancingCore(ILogger logger, string replica, string source, string owner);

    public static void Rebalancing(ILogger logger, string source, string replica, string owner) => RebalancingCore(logger, replica, source, owner);

    [LoggerMessage(LogLevel.Warning, "Replica {Replica} lost its lease on {Source} (it ran out and another replica took the source over); it stops polling it")]
    private static partial void LeaseLostCore(ILogger logger, string replica, string source);

    public static void LeaseLost(ILogger logger, string source, string replica) => LeaseLostCore(logger, replica, source);

    [LoggerMessage(LogLevel.Warning, "Replica {Replica} could not renew or take leases: {Message}; it retries every round, and its leases run out if this lasts")]
    public static partial void LeaseRoundFailed(ILogger logger, string replica, string message);

    [LoggerMessage(LogLevel.Error, "Replica {Replica} could not load {Source} after taking its lease; the lease is left to run out")]
    private static partial void TakeOverFailedCore(ILogger logger, string replica, string source, Exception exception);

    public static void TakeOverFailed(ILogger logger, string source, string replica, Exception exception) => TakeOverFailedCore(logger, replica, source, exception);
}
