using KpiCollector.Core.Engine;

namespace KpiCollector.Tests.Support;

/// <summary>A snapshot as text, to compare two engines (or one engine before and after) exactly.</summary>
internal static class SnapshotLines
{
    /// <summary>The snapshot as sorted lines, each starting with its source: what the exporter would turn into series.</summary>
    public static List<string> Of(KpiSnapshot s)
    {
        var lines = new List<string>();
        foreach (var series in s.Series)
        {
            foreach (var w in series.Windows)
            {
                lines.Add($"{series.Key.Source}|series|{series.Key}|{w.Window.Name}|{string.Join(',', w.Counters)}|{string.Join(',', w.Dists)}|{w.DistinctRequesters}|{string.Join(',', w.TicketTypes.OrderBy(t => t.Key))}");
            }

            lines.Add($"{series.Key.Source}|state|{series.Key}|{string.Join(',', series.BacklogByStatus)}|{series.Unanswered}|{series.OldestUnansweredCreatedAt}|{series.CreatedBaseline1h}");
        }

        lines.AddRange(s.Sla.Select(x => $"{x.Key.Source}|sla|{x}"));
        lines.AddRange(s.Costs.Select(x => $"{x.Source}|cost|{x}"));
        lines.AddRange(s.Sources.Select(x => $"{x.Source}|source|{x.AgentsOnline}|{x.ReportsAgents}|{x.RequiredAgents}|{string.Join(',', x.Customers)}|{string.Join(',', x.OffersReported.Order())}"));
        lines.AddRange(s.Rejections.Select(x => $"{x.Key.Source}|rejection|{x.Key.Reason}|{x.Value}"));
        lines.AddRange(s.WhatsApp.Messages.Concat(s.WhatsApp.Failures).Select(x => $"{x.Source}|wa|{x}"));
        lines.AddRange(s.WhatsApp.Conversations.Select(x => $"{x.Source}|wa-conv|{x}"));
        lines.AddRange(s.WhatsApp.Cost.Select(x => $"{x.Source}|wa-cost|{x}"));
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }
}
