using KpiCollector.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace KpiCollector.Tests.Support;

/// <summary>
/// The fault drill every end-to-end test of a polled platform runs against its simulator face: each fault kind
/// (a burst of 5xx, a rate limit, a response slower than the timeout, an expired credential, a malformed body) makes a
/// poll fail with its reason, counted in <c>kpicollector_source_errors_total</c> and in the requests by code, and the
/// next polls recover (the source up again, its last success newer than before the fault).
/// </summary>
internal static class FaultDrill
{
    /// <summary>The fault kinds of every face, with the error reason and the request code each must produce.</summary>
    public static readonly (string Fault, string Reason, string Code)[] EveryKind =
    [
        ("kind=server_error&status=503", "http_5xx", "503"),
        ("kind=rate_limit&retryAfter=1", "rate_limited", "429"),
        ("kind=slow&delay=8", "timeout", "timeout"),
        ("kind=expired_token", "auth", "401"),
        ("kind=malformed", "parse", "200"),
    ];

    /// <summary>Runs the drill on <paramref name="face"/> for the source named <paramref name="source"/>.</summary>
    public static async Task RunAsync(
        CollectorHost collector, SimulatorHost simulator, string face, string source, IEnumerable<(string Fault, string Reason, string Code)>? cases = null)
    {
        foreach (var (fault, reason, code) in cases ?? EveryKind)
        {
            var before = await collector.ScrapeAsync();
            var failures = before.Value("kpicollector_source_errors_total", ("source", source), ("reason", reason)) ?? 0;
            var lastSuccess = before.Value("kpicollector_source_last_success_timestamp_seconds", ("source", source))!.Value;
            (await simulator.Http.PostAsync($"_sim/faults/{face}?{fault}", null)).EnsureSuccessStatusCode();

            await collector.WaitForMetricsAsync(m => m.Value("kpicollector_source_errors_total", ("source", source), ("reason", reason)) > failures,
                $"a poll failed with reason {reason}", describe: () => Describe(collector, simulator, face, source));
            await collector.WaitForMetricsAsync(m => m.Value("kpicollector_source_up", ("source", source)) == 1
                && m.Value("kpicollector_source_last_success_timestamp_seconds", ("source", source)) > lastSuccess,
                $"recovery after {reason}", describe: () => Describe(collector, simulator, face, source));
            Assert.True((await collector.ScrapeAsync()).Value("kpicollector_source_requests_total", ("source", source), ("code", code)) >= 1, $"requests with code {code}");
        }
    }

    /// <summary>What a timed-out drill step reports: whether polls still ran, how the last one ended, and the face's fault queue.</summary>
    private static async Task<string> Describe(CollectorHost collector, SimulatorHost simulator, string face, string source)
    {
        var status = collector.App.Services.GetRequiredService<SourceRegistry>().StatusOf(source);
        var faults = await simulator.Http.GetStringAsync($"_sim/faults/{face}");
        return $"now {DateTimeOffset.UtcNow:O}; source {source}: up {status.Up}, last attempt {status.LastAttempt:O}, last success {status.LastSuccess:O}, "
            + $"last poll took {status.LastDuration?.TotalMilliseconds:F0} ms, last error {status.LastErrorReason}: {status.LastErrorMessage}; faults of {face}: {faults}";
    }
}
