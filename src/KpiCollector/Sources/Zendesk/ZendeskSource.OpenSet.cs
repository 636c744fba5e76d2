using System.Globalization;
using System.Runtime.CompilerServices;
using KpiCollector.Core.Records;
using KpiCollector.Sources.Http;
using RestSharp;

namespace KpiCollector.Sources.Zendesk;

/// <summary>
/// The open set of a Zendesk account (docs/sources.md, "Open set"): every unsolved ticket, whatever its age, from the
/// Export Search Results endpoint (<c>GET /api/v2/search/export?query=status&lt;solved&amp;filter[type]=ticket</c>: the
/// type goes in <c>filter[type]</c>, never in the query, which Zendesk rejects; cursor paging, 100 a page as Zendesk
/// recommends, no 1,000-result cap, 100 requests a minute); the tickets it lists that the store does not hold as open,
/// and those the store holds as open that it does not list, are read with <c>tickets/show_many</c> and the
/// <c>metric_sets</c> sideload (search cannot sideload metrics), 100 ids a request.
/// </summary>
public sealed partial class ZendeskSource
{
    /// <summary>Zendesk allows up to 1,000 but recommends 100: large pages can time out on accounts with archived tickets.</summary>
    private const int SearchPageSize = 100;
    private const string OpenQuery = "status<solved";

    private IAsyncEnumerable<OpenSetStep> ReconcileOpenSetAsync(CancellationToken cancellationToken) =>
        _openSet.RunAsync<ZendeskTicket>(
            ListOpenAsync,
            t => t.Id.ToString(CultureInfo.InvariantCulture),
            async (tickets, ct) => [.. (await CurrentAsync([.. tickets.Select(t => t.Id.ToString(CultureInfo.InvariantCulture))], ct)).Values],
            CurrentAsync,
            ShowManyLimit,
            cancellationToken);

    /// <summary>Every page of the open-ticket search export; the search cursor lives an hour, so a listing is never resumed across polls.</summary>
    private async IAsyncEnumerable<IReadOnlyList<ZendeskTicket>> ListOpenAsync(OpenListing listing, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? after = null;
        while (true)
        {
            var request = new RestRequest("api/v2/search/export");
            request.AddQueryParameter("query", OpenQuery);
            request.AddQueryParameter("filter[type]", "ticket");
            request.AddQueryParameter("page[size]", SearchPageSize.ToString(CultureInfo.InvariantCulture));
            if (after is not null)
            {
                request.AddQueryParameter("page[after]", after);
            }

            var page = SourceJson.Parse<SearchExportPage>(await _http.SendAsync(request, null, cancellationToken), "open tickets search export");
            var more = page.Meta is { HasMore: true, AfterCursor: not null };
            if (more && page.Meta!.AfterCursor == after)
            {
                throw SourceJson.Malformed("open tickets search export", "$.meta.after_cursor", "has_more is true but after_cursor does not move on");
            }

            yield return page.Results;
            if (!more)
            {
                yield break;
            }

            after = page.Meta!.AfterCursor;
        }
    }

    /// <summary>The current version of the given tickets, with their metrics; a ticket show_many does not return is gone.</summary>
    private async Task<IReadOnlyDictionary<string, Conversation>> CurrentAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, Conversation>(StringComparer.Ordinal);
        foreach (var chunk in ids.Chunk(ShowManyLimit))
        {
            var request = new RestRequest("api/v2/tickets/show_many.json");
            request.AddQueryParameter("ids", string.Join(',', chunk));
            request.AddQueryParameter("include", "metric_sets");
            var page = SourceJson.Parse<TicketsResponse>(await _http.SendAsync(request, null, cancellationToken), "tickets show_many");
            var metrics = (page.MetricSets ?? []).GroupBy(m => m.TicketId).ToDictionary(g => g.Key, g => g.Last());
            foreach (var ticket in page.Tickets)
            {
                var status = ZendeskMapping.Status(ticket.Status) ?? await CustomStatusAsync(ticket, cancellationToken);
                var conversation = ZendeskMapping.Conversation(Name, ticket, metrics.GetValueOrDefault(ticket.Id), status);
                Remember(ticket.Id, new TicketFacts(conversation.Channel, conversation.AssigneeId, conversation.Team));
                found[conversation.ExternalId] = conversation;
            }
        }

        return found;
    }
}
