using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Core.Time;
using KpiCollector.Sources.Http;
using KpiCollector.Sources.WhatsApp;
using KpiCollector.Storage;

namespace KpiCollector.Sources.Interakt;

/// <summary>
/// A WhatsApp number on Interakt (docs/sources.md, "Interakt"): webhook-only. Each poll processes the deliveries the
/// receiver stored since the last one into threads, with the WhatsApp thread builder (<see cref="WhatsAppThreads"/>):
/// conversations opened by customer messages, first responses from the messages the business sent through Interakt's
/// API, abandonment when the service window ends unanswered, and the delivery status of each sent message. The
/// watermark is the arrival time of the last delivery processed. No request is made to Interakt.
/// </summary>
public sealed class InteraktSource : ISourceWithStatus
{
    private const int DeliveriesPerBatch = 500;

    private readonly IWhatsAppInbox? _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _retention;
    private readonly WhatsAppThreads _threads;
    private bool _restored;

    public InteraktSource(SourceOptions options, int index, IWhatsAppInbox? store, TimeProvider time, ILogger<InteraktSource> logger)
    {
        Name = options.Name;
        _store = store;
        _time = time;
        _logger = logger;
        var key = SourceKeys.Of(index);
        var settings = options.SettingsOf<InteraktSettings>();
        _retention = Durations.Parse(settings.InboxRetention);
        _threads = new WhatsAppThreads(Name, Durations.Parse(settings.ServiceWindow));
        Status = new SourceStatus(Name, Platform) { ReceivesWebhooks = true };
        if (store is not null)
        {
            Receiver = new WhatsAppWebhookReceiver(
                Name,
                CredentialSource.Read(settings.SecretKey, settings.SecretKeyFile, $"{key}:Interakt:SecretKeyFile"),
                "",
                settings.MaxWebhookBytes,
                store,
                Status,
                time,
                logger,
                settings.MaxConcurrentWebhooks,
                Durations.Parse(settings.WebhookBodyTimeout),
                Dialect);
        }
    }

    /// <summary>Interakt's webhooks: <c>Interakt-Signature: sha256=</c> and the hex HMAC-SHA256 of the body, keyed with the secret key.</summary>
    public static WebhookDialect Dialect { get; } = new("Interakt-Signature", "secret key", "Interakt", InteraktPayload.Parse);

    public string Name { get; }

    public string Platform => InteraktPlatform.Id;

    /// <summary>
    /// Interakt does not say who sent a business message, and reports only the ones sent through its API: every first
    /// response counts as a human one; messages come from the webhooks.
    /// </summary>
    public SourceCapabilities Capabilities => new() { Responders = SourceCapabilities.HumanOnly, Messages = true };

    public SourceStatus Status { get; }

    /// <summary>The webhook receiver (none without a store: tools and tests that only build the source).</summary>
    public WhatsAppWebhookReceiver? Receiver { get; }

    public async IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        var state = cursor is null ? new InteraktCursor() : InteraktCursor.Parse(cursor);
        if (cursor is null)
        {
            Log.FirstPoll(_logger, Name);
        }

        if (_store is not null)
        {
            Restore(state.Inbox);
            while (!cancellationToken.IsCancellationRequested)
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

            var horizon = _time.GetUtcNow() - _retention;
            if (_store.PruneInbox(Name, horizon, state.Inbox) > 0)
            {
                _threads.Forget(horizon);
            }
        }

        if (cursor is null && state.Inbox == 0)
        {
            yield return new SourceBatch { Cursor = state.Format(), Watermark = state.WatermarkAt };
        }
    }

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
}

/// <summary>Where an Interakt source is in its inbox.</summary>
internal sealed record InteraktCursor
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [JsonPropertyName("v")]
    public int Version { get; init; } = 1;

    /// <summary>The last webhook delivery processed (inbox position).</summary>
    public long Inbox { get; init; }

    /// <summary>Received time of the last delivery processed (Unix ms): the source's watermark.</summary>
    public long? Watermark { get; init; }

    public DateTimeOffset? WatermarkAt => Watermark is { } w ? DateTimeOffset.FromUnixTimeMilliseconds(w) : null;

    public string Format() => JsonSerializer.Serialize(this, Json);

    public static InteraktCursor Parse(string cursor) =>
        JsonSerializer.Deserialize<InteraktCursor>(cursor, Json) ?? throw new FormatException("The Interakt cursor is JSON null.");
}
