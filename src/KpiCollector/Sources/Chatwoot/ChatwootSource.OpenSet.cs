using System.Runtime.CompilerServices;
using KpiCollector.Core.Records;
using KpiCollector.Sources.Http;
using RestSharp;

namespace KpiCollector.Sources.Chatwoot;

/// <summary>
/// The open set of a Chatwoot account (docs/sources.md, "Open set"): the conversations list once per status that
/// counts towards the backlog (<c>status=open</c>, <c>pending</c>, <c>snoozed</c>; <c>assignee_type=all</c>), oldest
/// first (<c>sort_by=created_at_asc</c>, so a conversation that gets new activity during the listing does not move
/// between pages), 25 a page up to <c>meta.all_count</c>. The conversations it lists that the store does not hold as
/// open are mapped as the incremental read maps them (their messages included); those the store holds as open that it
/// does not list are read with <c>GET /conversations/{id}</c>, a 404 meaning deleted.
/// </summary>
public sealed partial class ChatwootSource
{
    private static readonly string[] OpenStatuses = ["open", "pending", "snoozed"];

    private IAsyncEnumerable<OpenSetStep> ReconcileOpenSetAsync(CancellationToken cancellationToken) =>
        _openSet.RunAsync<ChatwootConversation>(
            ListOpenAsync,
            c => Number(c.Id),
            async (conversations, ct) => await MapAllAsync([.. conversations], ct),
            CurrentAsync,
            ConversationsPerPage,
            cancellationToken);

    private async IAsyncEnumerable<IReadOnlyList<ChatwootConversation>> ListOpenAsync(OpenListing listing, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var status in OpenStatuses)
        {
            var seen = 0;
            for (var page = 1; ; page++)
            {
                var request = new RestRequest($"{_account}/conversations");
                request.AddQueryParameter("status", status);
                request.AddQueryParameter("assignee_type", "all");
                request.AddQueryParameter("sort_by", "created_at_asc");
                request.AddQueryParameter("page", Number(page));
                var data = SourceJson.Parse<ConversationsResponse>(await _http.SendAsync(request, null, cancellationToken), "conversations").Data;
                seen += data.Payload.Count;
                yield return data.Payload;
                if (data.Payload.Count < ConversationsPerPage || data.Meta?.AllCount is { } all && seen >= all)
                {
                    break;
                }
            }
        }
    }

    /// <summary>The current version of each conversation, one request each (plus its messages); a 404 is a deleted conversation, left out.</summary>
    private async Task<IReadOnlyDictionary<string, Conversation>> CurrentAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, Conversation>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            var response = await _http.SendOrNotFoundAsync(new RestRequest($"{_account}/conversations/{id}"), null, cancellationToken);
            if (response is null)
            {
                continue;
            }

            var conversation = SourceJson.Parse<ChatwootConversation>(response, "conversation");
            found[id] = (await MapAllAsync([conversation], cancellationToken))[0];
        }

        return found;
    }
}
