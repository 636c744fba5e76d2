using System.Globalization;
using KpiCollector.Core.Records;

namespace KpiCollector.Benchmarks;

/// <summary>How the apply benchmarks order the versions they page.</summary>
public enum PageOrder
{
    /// <summary>
    /// As a platform's incremental export delivers them: every version in updated-time order, ids numbered in creation
    /// order (ticket ids grow with time), each page's watermark its last updated time (as the sources set it).
    /// </summary>
    Export,

    /// <summary>
    /// The worst case for the store's B-trees: ids unrelated to creation time, every creation first and every final
    /// version after, each page's watermark the end of the workload (what ApplyBenchmark measured before 2026-12-03).
    /// </summary>
    Shuffled,
}

/// <summary>
/// Synthetic conversations spread evenly over the last 30 days, across two sources and every channel (20 series
/// keys with channel="all"), each with a first reply, most resolved and surveyed: the shape the goals are stated for.
/// </summary>
public static class Workload
{
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] Sources = ["north", "south"];

    public static IEnumerable<Conversation> Conversations(int count, int seed = 1)
    {
        var random = new Random(seed);
        var span = TimeSpan.FromDays(30).TotalMilliseconds - 3_600_000;
        for (var i = 0; i < count; i++)
        {
            var created = Now.AddMilliseconds(-3_600_000 - (random.NextDouble() * span));
            var bot = random.Next(3) == 0;
            var first = created.AddSeconds(bot ? random.Next(2, 15) : random.Next(20, 3600));
            var resolved = random.Next(10) < 8 ? first.AddSeconds(random.Next(60, 20_000)) : (DateTimeOffset?)null;
            if (resolved > Now)
            {
                resolved = null;
            }

            yield return new Conversation
            {
                Source = Sources[i % 2],
                ExternalId = $"t{i}",
                Channel = Channels.Known[random.Next(Channels.Known.Count)],
                Status = resolved is null ? ConversationStatus.Open : ConversationStatus.Solved,
                CreatedAt = created,
                FirstResponseAt = first,
                FirstResponderKind = bot ? ResponderKind.Bot : ResponderKind.Human,
                FirstHumanResponseAt = bot ? null : first,
                ResolvedAt = resolved,
                FirstResolvedAt = resolved,
                AgentPublicReplies = random.Next(0, 4),
                Reopens = random.Next(20) == 0 ? 1 : 0,
                HandleTime = TimeSpan.FromSeconds(random.Next(60, 1200)),
                RequesterId = $"c{random.Next(200_000)}",
                TicketType = random.Next(4) switch { 0 => "question", 1 => "incident", 2 => "problem", _ => "task" },
                UpdatedAt = resolved ?? first,
            };
        }
    }

    /// <summary>
    /// Pages of two versions of every conversation (created, then replied and resolved), in <paramref name="order"/>:
    /// the pages ApplyBenchmark, apply-profile and the webhook load apply. In <see cref="PageOrder.Export"/> a page
    /// holds versions of both sources; the pipeline is given the first one's, as the store files every record of a
    /// page under the source it is given.
    /// </summary>
    public static List<SourceBatch> UpdatePages(int conversations, PageOrder order, int pageSize = 1000)
    {
        var finals = Conversations(conversations).ToList();
        if (order == PageOrder.Export)
        {
            finals = finals.OrderBy(c => c.CreatedAt).Select((c, i) => c with { ExternalId = $"t{i}" }).ToList();
        }

        var created = finals.Select(c => c with { Status = ConversationStatus.New, FirstResponseAt = null, FirstHumanResponseAt = null, FirstResponderKind = null, ResolvedAt = null, FirstResolvedAt = null, UpdatedAt = c.CreatedAt });
        var versions = order == PageOrder.Export
            ? created.Concat(finals).OrderBy(c => c.UpdatedAt).ToList()
            : created.Concat(finals).ToList();
        return versions.Chunk(pageSize).Select((page, i) => new SourceBatch
        {
            Conversations = page,
            Cursor = i.ToString(CultureInfo.InvariantCulture),
            Watermark = order == PageOrder.Export ? page.Max(c => c.UpdatedAt) : Now,
        }).ToList();
    }
}
