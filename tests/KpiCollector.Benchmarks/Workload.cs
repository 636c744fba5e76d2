using KpiCollector.Core.Records;

namespace KpiCollector.Benchmarks;

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
}
