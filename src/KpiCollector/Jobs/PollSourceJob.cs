using KpiCollector.Pipeline;
using KpiCollector.Sources;
using Quartz;

namespace KpiCollector.Jobs;

/// <summary>
/// Polls one source (named in the job data). One job definition per source, so a slow source never delays another.
/// </summary>
/// <remarks>
/// <see cref="DisallowConcurrentExecutionAttribute"/>: a poll that outlasts its interval must not overlap the next
/// one, which would read the same cursor and fetch the same pages twice.
/// </remarks>
[DisallowConcurrentExecution]
public sealed class PollSourceJob(SourcePoller poller) : IJob
{
    public const string SourceKey = "source";

    public Task Execute(IJobExecutionContext context) =>
        poller.PollAsync(context.MergedJobDataMap.GetString(SourceKey)!, context.CancellationToken);
}
