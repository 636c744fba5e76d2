using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;
using KpiCollector.Core.Time;

namespace KpiCollector.Simulator.Faces.WhatsApp;

/// <summary>
/// The simulator acting as Meta: posts the simulation's WhatsApp events to a registered webhook, signed with
/// <c>X-Hub-Signature-256</c> (HMAC-SHA256 of the exact body bytes, keyed with the app secret), after Meta's
/// verification handshake. Registered at start from <c>Simulator:WhatsApp:WebhookUrl</c> (the handshake retried until
/// it succeeds) or at run time through <c>PUT /_sim/whatsapp/webhook</c>; <c>DELETE</c> stops it, <c>GET</c> reports it.
/// </summary>
/// <remarks>
/// <para>
/// From the registration on (no history), each inbound customer message is posted as a <c>messages</c> value with its
/// contact, and each outbound reply's statuses (<see cref="WebhookEvents"/>) as <c>statuses</c> values, each when the
/// clock reaches its timestamp; sometimes (<see cref="BatchShare"/>) a few statuses due together share one delivery.
/// Realism: <see cref="WhatsAppFaceOptions.DuplicateShare"/> of deliveries are posted again, byte for byte, 1-20 s
/// later; for <see cref="WhatsAppFaceOptions.ReorderShare"/> of outbound messages the last status is posted just
/// before the one it follows. Which ones is a deterministic function of the seed.
/// </para>
/// <para>
/// Deliveries go one at a time in due order. A non-2xx answer or a timeout (10 s) is retried with exponential
/// back-off (1 s doubling, at most a minute) until acknowledged, holding back the later ones, so nothing is lost and
/// the statuses of a message stay in order except the deliberate reorders. The poster checks for due events every
/// <see cref="WhatsAppFaceOptions.PostInterval"/> of wall-clock time; what is due is decided by the simulator's clock.
/// </para>
/// </remarks>
public sealed class WhatsAppWebhookPoster : BackgroundService
{
    /// <summary>Share of status deliveries that carry the statuses due right after them too (up to three).</summary>
    public const double BatchShare = 0.10;

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(1);
    private readonly SimulatedWhatsApp _whatsApp;
    private readonly WhatsAppFaceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private readonly HttpClient _http;
    private readonly Lock _gate = new();
    private readonly PriorityQueue<Pending, (long Due, long Order)> _queue = new();
    private Subscription? _subscription;
    private bool _configuredPending;
    private long _order;
    private long _posted;
    private long _acknowledged;
    private long _failedAttempts;
    private long _duplicates;
    private long _reordered;
    private long _events;
    private DateTimeOffset? _pumpedTo;
    private int _posting; // taken from the queue as due and not posted yet: still due for Describe
    private string? _lastError;

    public WhatsAppWebhookPoster(SimulatedWhatsApp whatsApp, WhatsAppFaceOptions options, TimeProvider time, ILogger<WhatsAppWebhookPoster> logger)
    {
        _whatsApp = whatsApp;
        _options = options;
        _time = time;
        _logger = logger;
        _interval = Durations.Parse(options.PostInterval);
        _configuredPending = !string.IsNullOrEmpty(options.WebhookUrl);
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) }) { Timeout = TimeSpan.FromSeconds(10) };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("facebookexternalua");
    }

    /// <summary>The control endpoint: <c>GET</c> the counters, <c>PUT {"url","appSecret","verifyToken"}</c> to register (after the handshake), <c>DELETE</c> to stop.</summary>
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/_sim/whatsapp/webhook", () => Results.Json(Describe()));
        app.MapPut("/_sim/whatsapp/webhook", async (WebhookRegistration? registration, CancellationToken cancel) =>
        {
            if (registration?.Url is not { Length: > 0 } text || !Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                return Results.BadRequest(new { error = "url: an absolute http(s) URL is required, e.g. {\"url\":\"http://127.0.0.1:9470/webhooks/whatsapp\"}" });
            }

            var failure = await RegisterAsync(url, registration.AppSecret ?? _options.AppSecret, registration.VerifyToken ?? _options.VerifyToken, cancel);
            return failure is null
                ? Results.Json(Describe())
                : Results.Json(new { error = "webhook verification failed: " + failure }, statusCode: StatusCodes.Status502BadGateway);
        });
        app.MapDelete("/_sim/whatsapp/webhook", () =>
        {
            Unregister();
            return Results.Json(Describe());
        });
    }

    /// <summary>Meta's handshake against <paramref name="url"/>, then posting there from now on; the reason when the handshake fails.</summary>
    public async Task<string?> RegisterAsync(Uri url, string appSecret, string verifyToken, CancellationToken cancel)
    {
        var failure = await VerifyAsync(url, verifyToken, cancel);
        if (failure is not null)
        {
            _lastError = failure;
            Log.WebhookVerificationFailed(_logger, url, failure);
            return failure;
        }

        _whatsApp.CatchUp();
        var subscription = new Subscription(url, Encoding.UTF8.GetBytes(appSecret), _time.GetUtcNow(), _whatsApp.NextSequence);
        lock (_gate)
        {
            _subscription?.Stop.Cancel();
            _subscription = subscription;
            _configuredPending = false;
            _queue.Clear();
            _lastError = null;
        }

        Log.WebhookRegistered(_logger, url, subscription.From);
        return null;
    }

    public void Unregister()
    {
        lock (_gate)
        {
            _configuredPending = false;
            _subscription?.Stop.Cancel();
            _subscription = null;
            _queue.Clear();
        }

        Log.WebhookUnregistered(_logger);
    }

    /// <summary>The registration and the counters: POST attempts, acknowledged deliveries, failed attempts, duplicates and reorders sent, events acknowledged.</summary>
    public object Describe()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
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
                events = Interlocked.Read(ref _events),
                pending = _queue.Count,
                due = _queue.UnorderedItems.Count(i => i.Element.Due <= now) + _posting,
                pumpedTo = _pumpedTo,
                lastError = _lastError,
            };
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _http.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var handshakeBackoff = TimeSpan.FromSeconds(2);
        var nextHandshake = 0L;
        using var timer = new PeriodicTimer(_interval);
        try
        {
            do
            {
                if (_configuredPending && Stopwatch.GetTimestamp() >= nextHandshake)
                {
                    if (await RegisterAsync(new Uri(_options.WebhookUrl!), _options.AppSecret, _options.VerifyToken, stoppingToken) is not null)
                    {
                        nextHandshake = Stopwatch.GetTimestamp() + (long)(handshakeBackoff.TotalSeconds * Stopwatch.Frequency);
                        handshakeBackoff = Min(handshakeBackoff * 2, MaxBackoff);
                    }
                }

                Subscription? subscription;
                lock (_gate)
                {
                    subscription = _subscription;
                }

                if (subscription is not null)
                {
                    using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, subscription.Stop.Token);
                    try
                    {
                        await PumpAsync(subscription, cancel.Token);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        // unregistered or replaced while posting: the new registration starts afresh
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.WebhookPumpFailed(_logger, ex);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Takes in the new messages as events, then posts every delivery due by the clock, in order.</summary>
    private async Task PumpAsync(Subscription subscription, CancellationToken cancel)
    {
        // The clock is read first: the pump then claims (pumpedTo) only a time whose messages it has taken in. Read
        // after the catch-up, a clock advanced in between was claimed with its messages still to come.
        var now = _time.GetUtcNow();
        _whatsApp.CatchUp();
        Ingest(subscription);
        try
        {
            foreach (var delivery in Due(now))
            {
                await PostAsync(subscription, delivery.Body, cancel);
                Interlocked.Add(ref _events, delivery.Events);
                if (delivery.Duplicate)
                {
                    Interlocked.Increment(ref _duplicates);
                }
                else
                {
                    Interlocked.Add(ref _reordered, delivery.Reordered);
                    if (StableHash.Unit(_whatsApp.Seed, delivery.Key, "duplicate") < _options.DuplicateShare)
                    {
                        var again = delivery.Due + StableHash.Between(_whatsApp.Seed, delivery.Key, "duplicate-delay", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
                        Enqueue(new Pending(again, delivery.Key, null, null, null, delivery.Body, false, subscription));
                    }
                }

                // Counted, and its duplicate queued, before it stops being due: Describe never shows a moment with
                // nothing due while a delivery taken from the queue is still to be posted.
                lock (_gate)
                {
                    _posting--;
                }
            }

            lock (_gate)
            {
                _pumpedTo = now;
            }
        }
        finally
        {
            lock (_gate)
            {
                _posting = 0; // a cancelled or failed pump's deliveries go with its registration
            }
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
                var key = logged.Message.ExternalId;
                if (logged.Message.Direction == MessageDirection.Inbound)
                {
                    var (contact, message) = WebhookEvents.Inbound(seed, logged);
                    Enqueue(new Pending(logged.Message.At, key, contact, message, null, null, false, subscription));
                    continue;
                }

                var statuses = WebhookEvents.Statuses(seed, logged);
                if (statuses.Count >= 2 && StableHash.Unit(seed, key, "reorder") < _options.ReorderShare)
                {
                    // The last status overtakes the one before it: both go when the earlier one is due, the last first.
                    var (before, last) = (statuses[^2], statuses[^1]);
                    statuses[^2] = last with { At = before.At };
                    statuses[^1] = before;
                    for (var i = 0; i < statuses.Count; i++)
                    {
                        var s = statuses[i];
                        Enqueue(new Pending(s.At, $"{key}:{s.Name}", null, null, s.Body, null, i == statuses.Count - 2, subscription));
                    }

                    continue;
                }

                foreach (var s in statuses)
                {
                    Enqueue(new Pending(s.At, $"{key}:{s.Name}", null, null, s.Body, null, false, subscription));
                }
            }

            subscription.Next = messages[^1].Sequence + 1;
        }
    }

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

    /// <summary>The deliveries due by <paramref name="now"/>, in order, each body built once (a duplicate reuses its bytes).</summary>
    private List<Delivery> Due(DateTimeOffset now)
    {
        var due = new List<Pending>();
        lock (_gate)
        {
            while (_queue.TryPeek(out var next, out _) && next.Due <= now)
            {
                due.Add(_queue.Dequeue());
            }

            _posting = due.Count;
        }

        var deliveries = new List<Delivery>();
        for (var i = 0; i < due.Count; i++)
        {
            var p = due[i];
            if (p.Raw is not null)
            {
                deliveries.Add(new Delivery(p.Key, p.Due, p.Raw, Events(p.Raw), true, 0));
            }
            else if (p.Message is not null)
            {
                deliveries.Add(new Delivery(p.Key, p.Due, Envelope(new JsonObject { ["contacts"] = new JsonArray(p.Contact), ["messages"] = new JsonArray(p.Message) }), 1, false, 0));
            }
            else
            {
                var statuses = new JsonArray(p.Status!.DeepClone());
                var reordered = p.Reordered ? 1 : 0;
                if (StableHash.Unit(_whatsApp.Seed, p.Key, "batch") < BatchShare)
                {
                    while (statuses.Count < 3 && i + 1 < due.Count && due[i + 1].Status is { } more)
                    {
                        statuses.Add(more.DeepClone());
                        reordered += due[++i].Reordered ? 1 : 0;
                    }
                }

                deliveries.Add(new Delivery(p.Key, p.Due, Envelope(new JsonObject { ["statuses"] = statuses }), statuses.Count, false, reordered));
            }
        }

        return deliveries;
    }

    private static int Events(byte[] body)
    {
        var value = JsonNode.Parse(body)!["entry"]![0]!["changes"]![0]!["value"]!;
        return (value["messages"]?.AsArray().Count ?? 0) + (value["statuses"]?.AsArray().Count ?? 0);
    }

    /// <summary>The <c>whatsapp_business_account</c> envelope around one <c>messages</c> change value, as UTF-8 bytes.</summary>
    private byte[] Envelope(JsonObject value)
    {
        var full = new JsonObject
        {
            ["messaging_product"] = "whatsapp",
            ["metadata"] = new JsonObject { ["display_phone_number"] = _options.DisplayPhoneNumber, ["phone_number_id"] = _options.PhoneNumberId },
        };
        foreach (var (name, node) in value.ToList())
        {
            value.Remove(name);
            full[name] = node;
        }

        return Encoding.UTF8.GetBytes(new JsonObject
        {
            ["object"] = "whatsapp_business_account",
            ["entry"] = new JsonArray(new JsonObject
            {
                ["id"] = _options.WabaId,
                ["changes"] = new JsonArray(new JsonObject { ["value"] = full, ["field"] = "messages" }),
            }),
        }.ToJsonString());
    }

    /// <summary>Posts one delivery until the receiver acknowledges it (2xx), backing off after each failure.</summary>
    private async Task PostAsync(Subscription subscription, byte[] body, CancellationToken cancel)
    {
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(subscription.Secret, body));
        var backoff = TimeSpan.FromSeconds(1);
        while (true)
        {
            Interlocked.Increment(ref _posted);
            string failure;
            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url) { Content = content };
                request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", signature);
                using var response = await _http.SendAsync(request, cancel);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _acknowledged);
                    return;
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

            Log.WebhookDeliveryFailed(_logger, subscription.Url, failure, backoff.TotalSeconds);
            await Task.Delay(backoff, cancel);
            backoff = Min(backoff * 2, MaxBackoff);
        }
    }

    /// <summary>Meta's verification: <c>GET ?hub.mode=subscribe&amp;hub.verify_token=…&amp;hub.challenge=…</c>, answered 200 with exactly the challenge.</summary>
    private async Task<string?> VerifyAsync(Uri url, string verifyToken, CancellationToken cancel)
    {
        var challenge = string.Concat(Enumerable.Range(0, 10).Select(i => (char)('0' + RandomNumberGenerator.GetInt32(i == 0 ? 1 : 0, 10))));
        var query = $"hub.mode=subscribe&hub.verify_token={Uri.EscapeDataString(verifyToken)}&hub.challenge={challenge}";
        var target = new UriBuilder(url) { Query = url.Query.Length > 1 ? url.Query[1..] + "&" + query : query }.Uri;
        try
        {
            using var response = await _http.GetAsync(target, cancel);
            var body = await response.Content.ReadAsStringAsync(cancel);
            if (!response.IsSuccessStatusCode)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{url} answered HTTP {(int)response.StatusCode} to the verification request (expected 200 with the challenge)");
            }

            return body == challenge ? null : $"{url} answered '{(body.Length > 40 ? body[..40] + "…" : body)}' instead of the challenge '{challenge}'";
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancel.IsCancellationRequested))
        {
            return $"{url} could not be reached for the verification request: {(ex is TaskCanceledException ? "timed out after 10 s" : ex.Message)}";
        }
    }

    /// <summary>The body of <c>PUT /_sim/whatsapp/webhook</c>; the secret and token default to the options.</summary>
    public sealed record WebhookRegistration(string? Url, string? AppSecret, string? VerifyToken);

    /// <summary>A registration: where, the signing key, from when, and the next logged message to take in.</summary>
    private sealed class Subscription(Uri url, byte[] secret, DateTimeOffset from, long next)
    {
        public Uri Url { get; } = url;

        public byte[] Secret { get; } = secret;

        public DateTimeOffset From { get; } = from;

        public long Next { get; set; } = next;

        public CancellationTokenSource Stop { get; } = new();
    }

    /// <summary>A queued event (an inbound message with its contact, or a status) or a duplicate's exact bytes.</summary>
    private sealed record Pending(DateTimeOffset Due, string Key, JsonObject? Contact, JsonObject? Message, JsonObject? Status, byte[]? Raw, bool Reordered, Subscription Subscription);

    private sealed record Delivery(string Key, DateTimeOffset Due, byte[] Body, int Events, bool Duplicate, int Reordered);
}
