namespace KpiCollector.Simulator.Faces;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "{Face}: injecting {Fault} into {Method} {Path}")]
    public static partial void FaultInjected(ILogger logger, string face, string fault, string method, string path);

    [LoggerMessage(LogLevel.Information, "{Face}: fault armed: {Fault} for {Count} request(s)")]
    public static partial void FaultArmed(ILogger logger, string face, string fault, int count);

    [LoggerMessage(LogLevel.Information, "{Face}: faults cleared")]
    public static partial void FaultsCleared(ILogger logger, string face);

    [LoggerMessage(LogLevel.Information, "KpiCollector simulator: traffic from {Epoch:u} (seed {Seed}); faces: {Faces}")]
    public static partial void Started(ILogger logger, DateTimeOffset epoch, int seed, string faces);
}
