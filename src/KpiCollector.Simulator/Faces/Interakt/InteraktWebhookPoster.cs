using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using KpiCollector.Core.Records;
using KpiCollector.Core.Time;
using KpiCollector.Simulator.Faces.WhatsApp;

namespace KpiCollector.Simulator.Faces.Interakt;

/// <summary>
/// The simulator acting as Interakt: posts the simulation's WhatsApp traffic to a registered webhook as Interakt's
/// events (<see cref="InteraktEvents"/>), one event a body, signed with <c>Interakt-Signature: sha256=</c> and the hex
/// HMAC-SHA256 of the exact body bytes, keyed with the secret key. Registered at start from
/// <c>Simulator:Interakt:WebhookUrl</c> or at run time through <c>PUT /_sim/interakt/webhook</c>; <c>DELETE</c> stops it
/// (after the delivery being posted), <c>GET</c> reports it with what was acknowledged.
/// </summary>
/// <remarks>
/// <para>
/// From the registration on, each customer message is posted as <c>message_received</c> and each business reply as
/// its <c>message_api_*</c> statuses, each when the clock reaches its time. The simulation's bot and agent replies all
/// go out as API messages: the research found no webhook for replies typed in Interakt's own inbox.
/// </para>
/// <para>
/// Realism and faults (every kind a webhook source meets): <see cref="InteraktFaceOptions.DuplicateShare"/> of deliveries
/// are posted again, byte for byte, 1-20 s later; for <see cref="InteraktFaceOptions.ReorderShare"/> of sent messages
/// the last status is posted just before the one it follows; <c>POST /_sim/interakt/webhook/faults?kind=malformed&amp;count=N</c>
/// posts N signed bodies that are not JSON (once each: a 400 is their expected answer), and <c>kind=burst&amp;count=N</c>
/// holds deliveries back until N are due (at most 30 s), then posts them at once, one lane per customer so a
/// customer's events keep their order. A non-2xx answer or a timeout is retried with back-off (1 s doubling, at most
/// a minute) until acknowledged.
/// </para>
/// </remarks>
public sealed class InteraktWebhookPoster : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan BurstHold = TimeSpan.FromSeconds(30);
    private static readonly Dictionary<string, int> Rank = new() { ["sent"] = 1, ["delivered"] = 2, ["read"] = 3, ["failed"] = 4 };

    private readonly SimulatedWhatsApp _whatsApp;
    private readonly InteraktFaceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private readonly HttpClient _http;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _pumping = new(1, 1);
    private readonly PriorityQueue<Pending, (long Due, long Order)> _queue = new();
    private readonly HashSet<string> _inbound = [];
    private readonly Dictionary<string, (int Rank, string? Code)> _outbound = [];
    private Subscription? _subscription;
    private bool _configuredPending;
    private long _order;
    private long _posted;
    private long _acknowledged;
    private long _failedAttempts;
    private long _duplicates;
    private long _reordered;
    private long _malformedPosted;
    private long _malformedRefused;
    private long _bursts;
    private long _burstDeliveries;
    private int _malformedArmed;
    private (int Count, DateTimeOffset Since)? _burstArmed;
    private string? _lastError;

    public InteraktWebhookPoster(SimulatedWhatsApp whatsApp, InteraktFaceOptions options, TimeProvider time, ILogger<InteraktWebhookPoster> logger)
    {
        _whatsApp = whatsApp;
        _options = options;
        _time = time;
        _logger = logger;
        _interval = Durations.Parse(options.PostInterval);
        _configuredPending = !string.IsNullOrEmpty(options.WebhookUrl);
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) }) { Timeout = TimeSpan.FromSeconds(10) };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("Interakt-Webhook");
    }

    /// <summary>The control endpoints: <c>GET</c> the counters, <c>PUT {"url","secretKey"}</c> to register, <c>DELETE</c> to stop; <c>POST …/faults?kind=&amp;count=</c>.</summary>
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/_sim/interakt/webhook", () => Results.Json(Describe()));
        app.MapPut("/_sim/interakt/webhook", (Registration? registration) =>
        {
            if (registration?.Url is not { Length: > 0 } text || !Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                return Results.BadRequest(new { error = "url: an absolute http(s) URL is required, e.g. {\"url\":\"http://127.0.0.1:9470/webhooks/interakt/ik\"}" });
            }

            Register(url, registration.SecretKey ?? _options.SecretKey);
            return Results.Json(Describe());
        });
        app.MapDelete("/_sim/interakt/webhook", async (CancellationToken cancel) =>
        {
            await UnregisterAsync(cancel);
            return Results.Json(Describe());
        });
        app.MapPost("/_sim/interakt/webhook/faults", (string? kind, int? count) =>
        {
            var n = Math.Clamp(count ?? (kind == "burst" ? 20 : 1), 1, 1000);
            lock (_gate)
            {
                switch (kind)
                {
                    case "malformed":
                        _malformedArmed += n;
                        break;
                    case "burst":
                        _burstArmed = (n, _time.GetUtcNow());
                        break;
                    default:
                        return Results.BadRequest(new { error = "kind: malformed or burst (duplicates and reorders are always on, by DuplicateShare and ReorderShare)" });
                }
            }

            InteraktLog.FaultArmed(_logger, kind, n);
            return Results.Json(Describe());
        });
    }

    /// <summary>Posts there from now on (Interakt has no verification handshake).</summary>
    public void Register(Uri url, string secretKey)
    {
        _whatsApp.CatchUp();
        var subscription = new Subscription(url, Encoding.UTF8.GetBytes(secretKey), _time.GetUtcNow(), _whatsApp.NextSequence);
        lock (_gate)
        {
            _subscription?.Stop.Cancel();
            _subscription = subscription;
            _configuredPending = false;
            _queue.Clear();
            _inbound.Clear();
            _outbound.Clear();
            _lastError = null;
        }

        InteraktLog.WebhookRegistered(_logger, url, subscription.From);
    }

    /// <summary>Stops posting once the delivery being posted is answered: what was acknowledged is then final.</summary>
    public async Task UnregisterAsync(CancellationToken cancel)
    {
        Subscription? subscription;
        lock (_gate)
        {
            subscription = _subscription;
            _configuredPending = false;
            if (subscription is not null)
            {
                subscription.Stopping = true;
            }
        }

        await _pumping.WaitAsync(cancel);
        try
        {
            lock (_gate)
            {
                subscription?.Stop.Cancel();
                if (ReferenceEquals(_subscription, subscription))
                {
                    _subscription = null;
                }

                _queue.Clear();
            }
        }
        finally
        {
            _pumping.Release();
        }

        InteraktLog.WebhookUnregistered(_logger);
    }

    /// <summary>
    /// The registration and the counters, and what the receiver acknowledged: customer messages, and sent messages by
    /// the highest status acknowledged (failures by error code), which is what the collector's KPIs must show.
    /// </summary>
    public object Describe()
    {
        lock (_gate)
        {
            return new
            {
                registered = _subscription is not null,
                url = _subscription?.Url.ToString(),
                registeredAt = _subscription?.From,
                posted = Interlocked.Read(ref _posted),
                acknowledged = Interlocked.Read(ref _acknowledged),
                failedAttempts = Interlocked.Read(ref _failedAttempts),
                duplicates = Interlocked.Read(ref _duplicates),
                reordered = Interlocked.Read(ref _reordered),
                malformedPosted = Interlocked.Read(ref _malformedPosted),
                malformedRefused = Interlocked.Read(ref _malformedRefused),
                bursts = Interlocked.Read(ref _bursts),
                burstDeliveries = Interlocked.Read(ref _burstDeliveries),
                pending = _queue.Count,
                lastError = _lastError,
                inboundMessages = _inbound.Count,
                outboundByStatus = Rank.Keys.ToDictionary(s => s, s => _outbound.Values.Count(o => o.Rank == Rank[s])),
                failuresByCode = _outbound.Values.Where(o => o.Rank == 4).GroupBy(o => o.Code ?? "unknown").ToDictionary(g => g.Key, g => g.Count()),
            };
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _http.Dispose();
        _pumping.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            do
            {
                if (_configuredPending)
                {
                    Register(new Uri(_options.WebhookUrl!), _options.SecretKey);
                }

                Subscription? subscription;
                lock (_gate)
                {
                    subscription = _subscription;
                }

                if (subscription is null || subscription.Stopping)
                {
                    continue;
                }

                await _pumping.WaitAsync(stoppingToken);
                try
                {
                    using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, subscription.Stop.Token);
                    await PumpAsync(subscription, cancel.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // replaced while posting: the new registration starts afresh
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    InteraktLog.WebhookPumpFailed(_logger, ex);
                }
                finally
                {
                    _pumping.Release();
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    /// <summary>Takes in the new messages as events, posts the armed malformed bodies, then every delivery due, in order or as a burst.</summary>
    private async Task PumpAsync(Subscription subscription, CancellationToken cancel)
    {
        // The clock is read first: the pump then claims (pumpedTo) only a time whose messages it has taken in.
        var now = _time.GetUtcNow();
        _whatsApp.CatchUp();
        Ingest(subscription);
        int malformed;
        lock (_gate)
        {
            (malformed, _malformedArmed) = (_malformedArmed, 0);
        }

        for (var i = 0; i < malformed && !subscription.Stopping; i++)
        {
            await PostMalformedAsync(subscription, i, cancel);
        }

        int burst;
        lock (_gate)
        {
            var dueCount = _queue.UnorderedItems.Count(p => p.Element.Due <= now);
            if (_burstArmed is { } armed && dueCount < armed.Count && now - armed.Since < BurstHold)
            {
                return; // holding deliveries back until the burst is big enough
            }

            burst = _burstArmed is null ? 0 : dueCount;
            _burstArmed = null;
        }

        var due = Due(now);
        if (burst > 0)
        {
            Interlocked.Increment(ref _bursts);
            Interlocked.Add(ref _burstDeliveries, due.Count);
            await Parallel.ForEachAsync(due.GroupBy(d => d.Lane), new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancel }, async (lane, token) =>
            {
                foreach (var delivery in lane)
                {
                    await DeliverAsync(subscription, delivery, token);
                }
            });
            return;
        }

        foreach (var delivery in due)
        {
            if (subscription.Stopping)
            {
                return;
            }

            await DeliverAsync(subscription, delivery, cancel);
        }
    }

    private async Task DeliverAsync(Subscription subscription, Pending delivery, CancellationToken cancel)
    {
        if (!await PostAsync(subscription, delivery.Body, cancel))
        {
            return;
        }

        lock (_gate)
        {
            if (delivery.Status is null)
            {
                _inbound.Add(delivery.MessageId);
            }
            else
            {
                var rank = Rank[delivery.Status];
                var known = _outbound.GetValueOrDefault(delivery.MessageId);
                _outbound[delivery.MessageId] = (Math.Max(known.Rank, rank), rank == 4 ? delivery.ErrorCode : known.Code);
            }
        }

        if (delivery.Duplicate)
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        Interlocked.Add(ref _reordered, delivery.Reordered ? 1 : 0);
        if (StableHash.Unit(_whatsApp.Seed, delivery.Key, "interakt-duplicate") < _options.DuplicateShare)
        {
            var again = delivery.Due + StableHash.Between(_whatsApp.Seed, delivery.Key, "interakt-duplicate-delay", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
            Enqueue(delivery with { Due = again, Duplicate = true, Reordered = false });
        }
    }

    /// <summary>The events of the messages logged since the last call that happened at or after the registration.</summary>
    private void Ingest(Subscription subscription)
    {
        var seed = _whatsApp.Seed;
        while (_whatsApp.MessagesFrom(subscription.Next, 5_000) is { Count: > 0 } messages)
        {
            foreach (var logged in messages.Where(m => m.Message.At >= subscription.From))
            {
                var id = logged.Message.ExternalId;
                if (logged.Message.Direction == MessageDirection.Inbound)
                {
                    var inbound = InteraktEvents.Inbound(seed, logged);
                    Enqueue(new Pending(inbound.At, id, logged.CustomerId, id, null, null, Bytes(inbound), false, false, subscription));
                    continue;
                }

                var statuses = InteraktEvents.Statuses(seed, logged);
                var reorder = statuses.Count >= 2 && StableHash.Unit(seed, id, "interakt-reorder") < _options.ReorderShare;
                if (reorder)
                {
                    // The last status overtakes the one before it: both go when the earlier one is due, the last first.
                    var (before, last) = (statuses[^2], statuses[^1]);
                    statuses[^2] = last with { At = before.At };
                    statuses[^1] = before;
                }

                for (var i = 0; i < statuses.Count; i++)
                {
                    var s = statuses[i];
                    var status = s.Type["message_api_".Length..];
                    Enqueue(new Pending(s.At, $"{id}:{status}", logged.CustomerId, id, status, status == "failed" ? logged.Message.ErrorCode ?? "131026" : null,
                        Bytes(s), reorder && i == statuses.Count - 2, false, subscription));
                }
            }

            subscription.Next = messages[^1].Sequence + 1;
        }
    }

    private static byte[] Bytes(InteraktEvents.Event e) => Encoding.UTF8.GetBytes(e.Body.ToJsonString());

    private void Enqueue(Pending pending)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_subscription, pending.Subscription))
            {
                _queue.Enqueue(pending, (pending.Due.UtcTicks, ++_order));
            }
        }
    }

    private List<Pending> Due(DateTimeOffset now)
    {
        var due = new List<Pending>();
        lock (_gate)
        {
            while (_queue.TryPeek(out var next, out _) && next.Due <= now)
            {
                due.Add(_queue.Dequeue());
            }
        }

        return due;
    }

    /// <summary>A signed body cut short in the middle of an event: once, whatever the answer (400 is the right one).</summary>
    private async Task PostMalformedAsync(Subscription subscription, int n, CancellationToken cancel)
    {
        var body = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"version\":\"1.0\",\"timestamp\":\"{InteraktEvents.Iso(_time.GetUtcNow())}\",\"type\":\"message_received\",\"data\":{{\"customer\":{{\"id\":\"broken-{n}\""));
        Interlocked.Increment(ref _malformedPosted);
        try
        {
            using var response = await SendAsync(subscription, body, cancel);
            if ((int)response.StatusCode == 400)
            {
                Interlocked.Increment(ref _malformedRefused);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancel.IsCancellationRequested))
        {
            // a fault is posted once; its answer is only counted
        }
    }

    /// <summary>Posts one delivery until the receiver acknowledges it (2xx), backing off after each failure; false when stopped first.</summary>
    private async Task<bool> PostAsync(Subscription subscription, byte[] body, CancellationToken cancel)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (true)
        {
            Interlocked.Increment(ref _posted);
            string failure;
            try
            {
                using var response = await SendAsync(subscription, body, cancel);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _acknowledged);
                    return true;
                }

                failure = string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}");
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancel.IsCancellationRequested))
            {
                failure = ex is TaskCanceledException ? "timed out after 10 s" : ex.Message;
            }

            Interlocked.Increment(ref _failedAttempts);
            lock (_gate)
            {
                _lastError = failure;
            }

            if (subscription.Stopping)
            {
                return false;
            }

            InteraktLog.WebhookDeliveryFailed(_logger, subscription.Url, failure, backoff.TotalSeconds);
            await Task.Delay(backoff, cancel);
            backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Subscription subscription, byte[] body, CancellationToken cancel)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url) { Content = content };
        request.Headers.TryAddWithoutValidation("Interakt-Signature", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(subscription.Secret, body)));
        return await _http.SendAsync(request, cancel);
    }

    /// <summary>The body of <c>PUT /_sim/interakt/webhook</c>; the secret key defaults to the options.</summary>
    public sealed record Registration(string? Url, string? SecretKey);

    private sealed class Subscription(Uri url, byte[] secret, DateTimeOffset from, long next)
    {
        public Uri Url { get; } = url;

        public byte[] Secret { get; } = secret;

        public DateTimeOffset From { get; } = from;

        public long Next { get; set; } = next;

        /// <summary>Set by DELETE: no new delivery starts, no failed one is retried.</summary>
        public volatile bool Stopping;

        public CancellationTokenSource Stop { get; } = new();
    }

    /// <summary>One delivery: when, its dedup key, the customer (its burst lane), the simulated message and status it reports, and its exact bytes.</summary>
    private sealed record Pending(DateTimeOffset Due, string Key, string Lane, string MessageId, string? Status, string? ErrorCode, byte[] Body, bool Reordered, bool Duplicate, Subscription Subscription);
}
