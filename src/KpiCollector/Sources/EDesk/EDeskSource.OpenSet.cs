using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using KpiCollector.Core.Records;
using KpiCollector.Sources.Http;
using RestSharp;

namespace KpiCollector.Sources.EDesk;

/// <summary>
/// The open set of an eDesk account (docs/sources.md, "Open set"): the tickets list once per status that counts towards
/// the backlog (<c>filter_status_equals</c>, no date filter), in ascending id order, page by page. The tickets it lists
/// that the store does not hold as open are read in full with their messages (outside <c>EDesk:MessagesPerPoll</c>: a
/// reconciliation that stopped half-way would drop nothing and start again); those the store holds as open that it does
/// not list are read with <c>GET /v1/tickets/{id}</c>, a 404 meaning deleted.
/// </summary>
public sealed partial class EDeskSource
{
    private IAsyncEnumerable<OpenSetStep> ReconcileOpenSetAsync(CancellationToken cancellationToken) =>
        _openSet.RunAsync<EDeskTicket>(
            ListOpenAsync,
            t => t.Id.ToString(CultureInfo.InvariantCulture),
            async (tickets, ct) =>
            {
                var mapped = new List<Conversation>(tickets.Count);
                foreach (var t in tickets)
                {
                    mapped.Add(await MapInFullAsync(t, ct));
                }

                return mapped;
            },
            CurrentAsync,
            _settings.PageSize,
            cancellationToken);

    /// <summary>The statuses the account's tickets may have that do not end them (documented, and configured ones).</summary>
    private IEnumerable<string> OpenStatuses() =>
        new[] { "Unread", "Read", "Open", "Priority", "Unpriority", "Pending", "Scheduled" }
            .Concat(_statusOverrides.Keys)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(s => !EDeskMapping.Status(s, _statusOverrides).IsEnded());

    private async IAsyncEnumerable<IReadOnlyList<EDeskTicket>> ListOpenAsync(OpenListing listing, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var status in OpenStatuses())
        {
            for (var page = 1; ; page++)
            {
                var request = new RestRequest("v1/tickets");
                request.AddQueryParameter("filter_status_equals", status);
                request.AddQueryParameter("order_by", "id");
                request.AddQueryParameter("order_direction", "asc");
                request.AddQueryParameter("page", page.ToString(CultureInfo.InvariantCulture));
                request.AddQueryParameter("itemsPerPage", _settings.PageSize.ToString(CultureInfo.InvariantCulture));
                var parsed = await ParseTicketsAsync(request, "open tickets", cancellationToken);
                yield return parsed.Data;
                if (!IsFull(parsed, page))
                {
                    break;
                }
            }
        }
    }

    private async Task<IReadOnlyDictionary<string, Conversation>> CurrentAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, Conversation>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            var response = await _http.SendOrNotFoundAsync(new RestRequest($"v1/tickets/{Uri.EscapeDataString(id)}"), null, cancellationToken);
            if (response is null)
            {
                continue;
            }

            found[id] = await MapInFullAsync(ParseTicket(response.Content, $"ticket {id}"), cancellationToken);
        }

        return found;
    }

    /// <summary>A ticket with every message not in memory fetched, mapped as the pass maps it (its ratings were or will be read by the pass).</summary>
    private async Task<Conversation> MapInFullAsync(EDeskTicket ticket, CancellationToken cancellationToken)
    {
        var ids = ticket.MessagesIds ?? [];
        foreach (var messageId in ids.Where(m => !_messages.ContainsKey(m)).Distinct())
        {
            await FetchMessageAsync(messageId, cancellationToken);
        }

        var messages = ids.Select(m => _messages.GetValueOrDefault(m)).OfType<EDeskMessage>().ToList();
        return EDeskMapping.Map(Name, ticket, messages, Channel(ticket.ChannelId), _zone, _statusOverrides, _settings.RatingScaleMax, ratings: false).Conversation;
    }

    /// <summary>A single ticket, bare or in a <c>data</c> envelope.</summary>
    private EDeskTicket ParseTicket(string? body, string what)
    {
        EDeskTicket ticket;
        try
        {
            using var document = JsonDocument.Parse(body ?? "");
            var root = document.RootElement;
            var element = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object ? data : root;
            ticket = element.Deserialize<EDeskTicket>(SourceJson.Options) ?? throw new SourceException(ErrorReasons.Parse, $"{what}: the response body is JSON null");
        }
        catch (JsonException ex)
        {
            throw new SourceException(ErrorReasons.Parse, $"{what}: malformed response at {ex.Path ?? "$"}: not the documented ticket", ex);
        }

        _zone.Required(ticket.CreatedAt, what, "$.created_at");
        return ticket;
    }
}
