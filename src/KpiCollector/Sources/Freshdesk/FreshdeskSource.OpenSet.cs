using System.Globalization;
using System.Runtime.CompilerServices;
using KpiCollector.Core.Records;
using KpiCollector.Sources.Http;
using RestSharp;

namespace KpiCollector.Sources.Freshdesk;

/// <summary>
/// The open set of a Freshdesk account (docs/sources.md, "Open set"), from the search API:
/// <c>GET /api/v2/search/tickets?query="(status:2 OR status:3 OR ...) AND created_at:&gt;'...' AND created_at:&lt;'...'"</c>,
/// every status the account counts as open. Search answers 30 tickets a page and at most 10 pages, so a query that
/// matches more than 300 tickets is split by creation day until each part fits; a single day with more than 300 open
/// tickets is the wall: that listing is incomplete and drops nothing. Search carries no <c>stats</c>, so each ticket
/// read in full (listed but not held as open, or held as open but not listed) is one <c>GET /api/v2/tickets/{id}?include=stats</c>;
/// a 404, or a ticket in the trash or marked as spam, is gone.
/// </summary>
/// <remarks>
/// Why not the tickets list: its <c>filter</c> values (new_and_my_open, watching, spam, deleted) do not cover every
/// open ticket, and reading it by <c>updated_since</c> from the beginning costs every ticket ever changed, not only the
/// open ones.
/// </remarks>
public sealed partial class FreshdeskSource
{
    /// <summary>Freshdesk's search: 30 results a page, pages 1 to 10.</summary>
    public const int SearchPageSize = 30;

    public const int SearchMaxPages = 10;

    private const int LookupsPerBatch = 25;

    /// <summary>No Freshdesk ticket was created before the product existed: the first day a split search starts from.</summary>
    private static readonly DateOnly SearchFloor = new(2010, 1, 1);

    private IAsyncEnumerable<OpenSetStep> ReconcileOpenSetAsync(CancellationToken cancellationToken) =>
        _openSet.RunAsync<FreshdeskTicket>(
            ListOpenAsync,
            t => t.Id.ToString(CultureInfo.InvariantCulture),
            async (tickets, ct) => [.. (await CurrentAsync([.. tickets.Select(t => t.Id.ToString(CultureInfo.InvariantCulture))], ct)).Values],
            CurrentAsync,
            LookupsPerBatch,
            cancellationToken);

    /// <summary>
    /// The open tickets: one query for all of them, or, past 300 matches, creation-day ranges halved until each fits.
    /// The date operators are inclusive (<c>:&gt;</c> on or after, <c>:&lt;</c> on or before), so the ranges
    /// <c>[from, middle]</c> and <c>[middle + 1, to]</c> split a range without a gap or an overlap, whichever time zone
    /// the account's search counts its days in; a ticket met twice anyway is read once.
    /// </summary>
    private async IAsyncEnumerable<IReadOnlyList<FreshdeskTicket>> ListOpenAsync(OpenListing listing, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var statuses = _fields!.OpenStatuses();
        var ranges = new Stack<(DateOnly From, DateOnly To)?>();
        ranges.Push(null);
        while (ranges.TryPop(out var range))
        {
            var first = await SearchAsync(statuses, range, 1, cancellationToken);
            if (first.Total > SearchPageSize * SearchMaxPages)
            {
                var (from, to) = range ?? (SearchFloor, DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime).AddDays(1));
                if (from >= to)
                {
                    listing.Incomplete = $"{first.Total} open tickets were created on {from:yyyy-MM-dd}; Freshdesk's search stops at {SearchMaxPages} pages of {SearchPageSize}";
                    yield return first.Results;
                    continue;
                }

                var middle = from.AddDays((to.DayNumber - from.DayNumber) / 2);
                ranges.Push((middle.AddDays(1), to));
                ranges.Push((from, middle));
                continue;
            }

            yield return first.Results;
            var pages = (first.Total + SearchPageSize - 1) / SearchPageSize;
            for (var page = 2; page <= pages; page++)
            {
                yield return (await SearchAsync(statuses, range, page, cancellationToken)).Results;
            }
        }
    }

    private async Task<FreshdeskSearchPage> SearchAsync(IReadOnlyList<int> statuses, (DateOnly From, DateOnly To)? range, int page, CancellationToken cancellationToken)
    {
        var query = "(" + string.Join(" OR ", statuses.Select(s => "status:" + s.ToString(CultureInfo.InvariantCulture))) + ")";
        if (range is var (from, to))
        {
            query += $" AND created_at:>'{from:yyyy-MM-dd}' AND created_at:<'{to:yyyy-MM-dd}'";
        }

        var request = new RestRequest("api/v2/search/tickets");
        request.AddQueryParameter("query", $"\"{query}\"");
        request.AddQueryParameter("page", page.ToString(CultureInfo.InvariantCulture));
        return SourceJson.Parse<FreshdeskSearchPage>(await _http.SendAsync(request, null, cancellationToken), "open tickets search");
    }

    /// <summary>The current version of each ticket, one request each; a ticket deleted (404, or in the trash) or marked as spam is left out.</summary>
    private async Task<IReadOnlyDictionary<string, Conversation>> CurrentAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, Conversation>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            var request = new RestRequest($"api/v2/tickets/{id}");
            request.AddQueryParameter("include", "stats");
            var response = await _http.SendOrNotFoundAsync(request, null, cancellationToken);
            if (response is null || SourceJson.Parse<FreshdeskTicket>(response, "ticket") is not { Deleted: not true, Spam: not true } ticket)
            {
                continue;
            }

            found[id] = Map(ticket);
        }

        return found;
    }
}
