using System.Runtime.CompilerServices;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Core.Time;
using KpiCollector.Sources.Http;
using KpiCollector.Storage;
using RestSharp;

namespace KpiCollector.Sources.WhatsApp;

/// <summary>
/// A WhatsApp Business Account on the Cloud API (docs/sources.md, "WhatsApp Business Platform"). Each poll first processes the webhook
/// deliveries the receiver stored since the last one (conversations, first responses, abandonment, message statuses),
/// then, every <c>AnalyticsInterval</c>, reads <c>pricing_analytics</c> (messages and cost by pricing category) and
/// <c>conversation_analytics</c> (conversations by category and direction) at daily granularity, re-reading the last
/// two days, which Meta still revises. The watermark is the arrival time of the last delivery processed.
/// </summary>
/// <remarks>
/// Cost per analytics read: 2 requests (1 without conversation analytics), against the Business Management budget of
/// 200 calls an hour per app and WABA; every 15 minutes that is 8 an hour. Processing webhooks costs no request.
/// </remarks>
public sealed class WhatsAppSource : ISourceWithStatus, IDisposable
{
    /// <summary>Analytics reach one year back (since 2025-12-01); a day of margin keeps the start inside it.</summary>
    public static readonly TimeSpan Lookback = TimeSpan.FromDays(364);

    private const int DeliveriesPerBatch = 500;
    private static readonly TimeSpan Revision = TimeSpan.FromDays(2);

    private readonly SourceHttpClient? _http;
    private readonly IWhatsAppInbox? _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _key;
    private readonly WhatsAppSettings _settings;
    private readonly TimeSpan _backfill;
    private readonly TimeSpan _analyticsInterval;
    private readonly TimeSpan _retention;
    private readonly WhatsAppThreads _threads;
    private bool _restored;
    private bool _pricingAvailable = true;
    private bool _conversationsAvailable;
    private bool _noCostLogged;
    private DateTimeOffset _deferredUntil;

    public WhatsAppSource(SourceOptions options, int index, IWhatsAppInbox? store, TimeProvider time, ILogger<WhatsAppSource> logger, Random? jitter = null)
    {
        Name = options.Name;
        _store = store;
        _time = time;
        _logger = logger;
        _key = SourceKeys.Of(index);
        _settings = options.SettingsOf<WhatsAppSettings>();
        _backfill = Durations.Parse(options.Backfill);
        _analyticsInterval = Durations.Parse(_settings.AnalyticsInterval);
        _retention = Durations.Parse(_settings.InboxRetention);
        _conversationsAvailable = _settings.ConversationAnalytics;
        _threads = new WhatsAppThreads(Name, Durations.Parse(_settings.ServiceWindow));
        Status = new SourceStatus(Name, Platform) { ReceivesWebhooks = _settings.WebhookEnabled };
        if (_settings.WebhookEnabled && store is not null)
        {
            Receiver = new WhatsAppWebhookReceiver(
                Name,
                CredentialSource.Read(_settings.AppSecret, _settings.AppSecretFile, $"{_key}:WhatsApp:AppSecretFile"),
                CredentialSource.Read(_settings.VerifyToken, _settings.VerifyTokenFile, $"{_key}:WhatsApp:VerifyTokenFile"),
                _settings.MaxWebhookBytes,
                store,
                Status,
                time,
                logger,
                _settings.MaxConcurrentWebhooks,
                Durations.Parse(_settings.WebhookBodyTimeout));
        }

        if (_settings.Analytics)
        {
            var connection = new HttpConnection(options, Platform, HttpSettings(options, index), time, logger, jitter, Status);
            _http = connection.Http;
            connection.WarnIfOverBudget(_conversationsAvailable ? 2 : 1, pollsPerMinute: Math.Min(connection.PollsPerMinute, 1 / _analyticsInterval.TotalMinutes));
        }
    }

    /// <summary>Where, as whom and how this source's analytics requests go: shared by the poll and <c>check sources</c>, so both ask the same way.</summary>
    public static HttpSourceSettings HttpSettings(SourceOptions options, int index)
    {
        var (secret, hint) = CredentialSource.Read(options, index);
        return HttpSourceSettings.From(
            options,
            index,
            WhatsAppPlatform.RequestsPerMinute,
            SourceCredential.Bearer(secret, $"{hint}, a system-user access token of the business that owns WABA {options.SettingsOf<WhatsAppSettings>().WabaId}"),
            "The system user needs the whatsapp_business_management permission and an asset assignment on the WhatsApp account.",
            WhatsAppSettings.DefaultBaseUrl) with { IsRateLimitedBody = GraphErrors.IsRateLimited };
    }

    public string Name { get; }

    public string Platform => WhatsAppPlatform.Id;

    public TimeSpan? BackfillSpan => _backfill;

    public double? BackfillRequestsPerMinute => _http?.Account.RequestsPerMinute;

    /// <summary>
    /// WhatsApp does not say who sent a business message, so every first response counts as a human one and bots are
    /// not told apart; messages come from the webhooks, when they are received.
    /// </summary>
    public SourceCapabilities Capabilities => new() { Responders = SourceCapabilities.HumanOnly, Messages = _settings.WebhookEnabled };

    public SourceStatus Status { get; }

    /// <summary>The webhook receiver, when an app secret is configured.</summary>
    public WhatsAppWebhookReceiver? Receiver { get; }

    public async IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        WhatsAppCursor state;
        if (cursor is null)
        {
            var start = now - _backfill;
            if (now - start > Lookback)
            {
                start = now - Lookback;
                Log.LookbackClamped(_logger, Name, _key, start);
            }

            state = new WhatsAppCursor { AnalyticsFrom = Day(start).ToUnixTimeSeconds() };
            Log.FirstPoll(_logger, Name, DateTimeOffset.FromUnixTimeSeconds(state.AnalyticsFrom), _key);
        }
        else
        {
            state = WhatsAppCursor.Parse(cursor);
        }

        if (_store is not null)
        {
            Restore(state.Inbox);
            while (true)
            {
                var deliveries = _store.ReadInbox(Name, state.Inbox, DeliveriesPerBatch);
                if (deliveries.Count == 0)
                {
                    break;
                }

                foreach (var delivery in deliveries)
                {
                    _threads.Apply(ReadEvents(delivery));
                }

                var watermark = Math.Max(state.Watermark ?? long.MinValue, deliveries.Max(d => d.ReceivedAt).ToUnixTimeMilliseconds());
                state = state with { Inbox = deliveries[^1].Seq, Watermark = watermark };
                _threads.Expire(state.WatermarkAt!.Value);
                var (conversations, messages) = _threads.TakeChanges();
                yield return new SourceBatch { Conversations = conversations, Messages = messages, Cursor = state.Format(), Watermark = state.WatermarkAt };
            }

            var horizon = now - _retention;
            if (_store.PruneInbox(Name, horizon, state.Inbox) > 0)
            {
                _threads.Forget(horizon); // only when deliveries left the inbox: the state then drops what they built
            }
        }

        var analyticsDue = _http is not null && now - DateTimeOffset.FromUnixTimeSeconds(state.AnalyticsAt) >= _analyticsInterval;
        if (analyticsDue && _http!.Account.PausedUntil is var pausedUntil && pausedUntil > now)
        {
            // Meta paused this WABA's calls (its hourly budget is used up, or it said when access returns): the
            // analytics are read at the first poll after the pause. Waiting here would hold the next polls, and with
            // them the webhook deliveries, behind it; failing would show a source down whose webhooks are flowing.
            analyticsDue = false;
            if (_deferredUntil != pausedUntil)
            {
                _deferredUntil = pausedUntil;
                Log.AnalyticsDeferred(_logger, Name, pausedUntil);
            }
        }

        if (analyticsDue)
        {
            var from = DateTimeOffset.FromUnixTimeSeconds(Math.Max(state.AnalyticsFrom, Day(now - Lookback).ToUnixTimeSeconds()));
            var (usage, costs) = await AnalyticsAsync(from, now, cancellationToken);
            state = state with { AnalyticsAt = now.ToUnixTimeSeconds(), AnalyticsFrom = Day(now - Revision).ToUnixTimeSeconds() };
            yield return new SourceBatch { Usage = usage, Costs = costs, Cursor = state.Format(), Watermark = state.WatermarkAt };
        }
        else if (cursor is null)
        {
            yield return new SourceBatch { Cursor = state.Format(), Watermark = state.WatermarkAt };
        }
    }

    public void Dispose() => _http?.Dispose();

    /// <summary>A stored delivery's events; what cannot be read or is implausible is left out, with a log line.</summary>
    private IReadOnlyList<WebhookEvent> ReadEvents(InboxDelivery delivery)
    {
        var events = WhatsAppInbox.Events(delivery, out var skipped);
        if (skipped > 0)
        {
            Log.InboxEventsSkipped(_logger, Name, delivery.Seq, skipped);
        }

        return events;
    }

    /// <summary>At the first poll of the process, replays the processed deliveries still in the inbox into the threads' state.</summary>
    private void Restore(long upTo)
    {
        if (_restored)
        {
            return;
        }

        _restored = true;
        long after = 0;
        var deliveries = 0;
        while (after < upTo)
        {
            var page = _store!.ReadInbox(Name, after, DeliveriesPerBatch).Where(d => d.Seq <= upTo).ToList();
            if (page.Count == 0)
            {
                break;
            }

            foreach (var delivery in page)
            {
                _threads.Apply(ReadEvents(delivery));
            }

            deliveries += page.Count;
            after = page[^1].Seq;
            _threads.Expire(page[^1].ReceivedAt);
        }

        _threads.TakeChanges(); // already stored: the replay only rebuilds the state
        if (deliveries > 0)
        {
            Log.Restored(_logger, Name, _threads.Threads, _threads.OutboundMessages, deliveries);
        }
    }

    private async Task<(List<MessagingUsage> Usage, List<CostEntry> Costs)> AnalyticsAsync(DateTimeOffset from, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var usage = new Dictionary<string, MessagingUsage>();
        var range = $".start({from.ToUnixTimeSeconds()}).end({now.ToUnixTimeSeconds()}).granularity(DAILY)";
        string? currency = null;
        if (_pricingAvailable)
        {
            var pricing = await ReadAsync($"currency,pricing_analytics{range}.dimensions([\"PRICING_CATEGORY\",\"PRICING_TYPE\"])", "pricing_analytics", cancellationToken);
            if (pricing is null)
            {
                _pricingAvailable = false;
            }
            else
            {
                currency = pricing.Currency;
                var points = Points(pricing.PricingAnalytics, "pricing_analytics");
                foreach (var p in points)
                {
                    var category = Lower(p.PricingCategory);
                    Add(usage, new MessagingUsage
                    {
                        Source = Name,
                        ExternalId = $"pricing:{p.Start}:{category}:{Lower(p.PricingType)}:{p.PhoneNumber}:{p.Country}:{p.Tier}",
                        From = DateTimeOffset.FromUnixTimeSeconds(p.Start),
                        To = End(p, now),
                        Category = category,
                        Messages = p.Volume ?? 0,
                        Cost = p.Cost,
                        Currency = p.Cost is null ? null : currency,
                    });
                }

                Log.Analytics(_logger, Name, points.Count, "pricing_analytics", from);
            }
        }

        if (_conversationsAvailable)
        {
            var fields = $"{(currency is null ? "currency," : "")}conversation_analytics{range}.dimensions([\"CONVERSATION_CATEGORY\",\"CONVERSATION_DIRECTION\"])";
            var conversations = await ReadAsync(fields, "conversation_analytics", cancellationToken);
            if (conversations is null)
            {
                _conversationsAvailable = false;
            }
            else
            {
                currency ??= conversations.Currency;
                var points = Points(conversations.ConversationAnalytics, "conversation_analytics");
                foreach (var p in points)
                {
                    var category = Lower(p.ConversationCategory);
                    var cost = _pricingAvailable ? null : p.Cost; // cost comes from pricing analytics when the account has them
                    Add(usage, new MessagingUsage
                    {
                        Source = Name,
                        ExternalId = $"conversation:{p.Start}:{category}:{Lower(p.ConversationDirection)}:{Lower(p.ConversationType)}:{p.PhoneNumber}:{p.Country}",
                        From = DateTimeOffset.FromUnixTimeSeconds(p.Start),
                        To = End(p, now),
                        Category = category,
                        Direction = p.ConversationDirection is null ? null : Lower(p.ConversationDirection),
                        Conversations = p.Conversation ?? 0,
                        Cost = cost,
                        Currency = cost is null ? null : currency,
                    });
                }

                Log.Analytics(_logger, Name, points.Count, "conversation_analytics", from);
            }
        }

        if (usage.Count > 0 && usage.Values.All(u => u.Cost is null) && !_noCostLogged)
        {
            _noCostLogged = true;
            Log.NoCost(_logger, Name);
        }

        var costs = usage.Values
            .Where(u => u is { Cost: not null, Currency: not null })
            .Select(u => new CostEntry { Source = Name, ExternalId = u.ExternalId, From = u.From, To = u.To, Amount = u.Cost!.Value, Currency = u.Currency!, Category = CostCategories.Platform })
            .ToList();
        return (usage.Values.ToList(), costs);
    }

    /// <summary>GET the WABA node with <paramref name="fields"/>; null when the account does not offer the field (a 400 that is not rate limiting).</summary>
    private async Task<WabaAnalytics?> ReadAsync(string fields, string field, CancellationToken cancellationToken)
    {
        var request = new RestRequest($"{_settings.ApiVersion}/{_settings.WabaId}");
        request.AddQueryParameter("fields", fields);
        var response = await _http!.SendOrBadRequestAsync(request, null, cancellationToken);
        if ((int)response.StatusCode == 400)
        {
            Log.FieldUnavailable(_logger, Name, field, GraphErrors.Code(response.Content),
                field == "pricing_analytics" ? "cost comes from conversation_analytics where it reports cost" : "whatsapp_conversations stays absent");
            return null;
        }

        return SourceJson.Parse<WabaAnalytics>(response, field);
    }

    private static List<AnalyticsPoint> Points(AnalyticsField? field, string what)
    {
        var points = field?.Data.SelectMany(d => d.DataPoints).ToList() ?? [];
        for (var i = 0; i < points.Count; i++)
        {
            if (points[i].Start <= 0 || points[i].End < points[i].Start)
            {
                throw SourceJson.Malformed(what, $"$.{what}.data[].data_points[{i}]", "start and end are not a period");
            }

            if (points[i].Volume < 0 || points[i].Conversation < 0 || points[i].Cost < 0)
            {
                throw SourceJson.Malformed(what, $"$.{what}.data[].data_points[{i}]", "a negative count or cost");
            }
        }

        return points;
    }

    /// <summary>Two points with the same id (dimensions the request did not ask for) are one.</summary>
    private static void Add(Dictionary<string, MessagingUsage> usage, MessagingUsage u)
    {
        if (usage.TryGetValue(u.ExternalId, out var existing))
        {
            u = existing with
            {
                Messages = existing.Messages + u.Messages,
                Conversations = existing.Conversations + u.Conversations,
                Cost = existing.Cost is null && u.Cost is null ? null : (existing.Cost ?? 0) + (u.Cost ?? 0),
                Currency = existing.Currency ?? u.Currency,
            };
        }

        usage[u.ExternalId] = u;
    }

    /// <summary>A period still running counts up to now.</summary>
    private static DateTimeOffset End(AnalyticsPoint p, DateTimeOffset now)
    {
        var start = DateTimeOffset.FromUnixTimeSeconds(p.Start);
        var end = DateTimeOffset.FromUnixTimeSeconds(p.End);
        return end <= now ? end : now > start ? now : start;
    }

    private static string Lower(string? value) => string.IsNullOrWhiteSpace(value) ? "unknown" : value.Trim().ToLowerInvariant();

    private static DateTimeOffset Day(DateTimeOffset t) => new(t.UtcDateTime.Date, TimeSpan.Zero);
}
