using System.Security.Cryptography;
using System.Text;
using KpiCollector.Storage;

namespace KpiCollector.Sources.WhatsApp;

/// <summary>
/// The receiving end of one WhatsApp source's webhook (docs/sources.md, "Webhook payload", "Webhook limits"): answers Meta's verification request,
/// checks each POST's <c>X-Hub-Signature-256</c> over the raw body with the app secret in constant time, reads the
/// body all or nothing, and appends the new events to the store's inbox before the 200 goes out. Nothing is stored for
/// a request it refuses. A delivery whose every event was received before is acknowledged as a duplicate.
/// </summary>
public sealed class WhatsAppWebhookReceiver
{
    private readonly byte[] _appSecret;
    private readonly byte[] _verifyToken;
    private readonly IWhatsAppInbox _store;
    private readonly SourceStatus _status;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly RejectionLog _rejections;
    private HashSet<ulong>? _seen;

    // The events whose delivery is queued for the inbox but not committed yet: a duplicate of one waits for it.
    private readonly Dictionary<ulong, Task> _inFlight = [];

    public WhatsAppWebhookReceiver(
        string source,
        string appSecret,
        string verifyToken,
        int maxBytes,
        IWhatsAppInbox store,
        SourceStatus status,
        TimeProvider time,
        ILogger logger,
        int maxConcurrent = 8,
        TimeSpan? bodyTimeout = null,
        WebhookDialect? dialect = null)
    {
        Dialect = dialect ?? WebhookDialect.WhatsApp;
        MaxConcurrent = maxConcurrent;
        Bodies = new SemaphoreSlim(maxConcurrent, maxConcurrent);
        BodyTimeout = bodyTimeout ?? TimeSpan.FromSeconds(10);
        Source = source;
        _appSecret = Encoding.UTF8.GetBytes(appSecret);
        _verifyToken = Encoding.UTF8.GetBytes(verifyToken);
        MaxBytes = maxBytes;
        _store = store;
        _status = status;
        _time = time;
        _logger = logger;
        _rejections = new RejectionLog(time);
    }

    public string Source { get; }

    /// <summary>How this platform's deliveries are signed and read (WhatsApp's unless the platform gives its own).</summary>
    public WebhookDialect Dialect { get; }

    public int MaxBytes { get; }

    /// <summary>Bodies read at once at most (<see cref="Bodies"/> holds a slot per body being read).</summary>
    public int MaxConcurrent { get; }

    /// <summary>The slots of the bodies being read: taken before the first byte is read, released after the answer.</summary>
    public SemaphoreSlim Bodies { get; }

    /// <summary>The whole body must have arrived this long after the request started.</summary>
    public TimeSpan BodyTimeout { get; }

    /// <summary>Meta's GET: the challenge to echo when the mode is subscribe and the token matches, else null (403).</summary>
    public string? Verify(string? mode, string? token, string? challenge)
    {
        if (mode != "subscribe" || string.IsNullOrEmpty(challenge))
        {
            Log.VerificationRefused(_logger, Source, $"hub.mode is '{mode}' or hub.challenge is empty");
            return null;
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token ?? ""), _verifyToken))
        {
            Log.VerificationRefused(_logger, Source, "hub.verify_token does not match KpiCollector:Sources:N:WhatsApp:VerifyToken");
            return null;
        }

        Log.Verified(_logger, Source);
        return challenge;
    }

    /// <summary>
    /// Handles one POST body (already known to fit <see cref="MaxBytes"/>); returns the outcome once the delivery is
    /// durably stored (blocking; the endpoint uses <see cref="ReceiveAsync"/>).
    /// </summary>
    public string Receive(ReadOnlySpan<byte> body, string? signature)
    {
        var outcome = Admit(body, signature, out var stored);
        return stored is null ? outcome : AcknowledgeAsync(outcome, stored).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Handles one POST body; the outcome comes once the delivery's events are committed to the inbox (a duplicate's
    /// once the delivery it repeats is): 200 is never sent for an event that is not durably stored. A failed write
    /// fails the task, and its events are not remembered, so Meta's retry is stored, not taken for a duplicate.
    /// </summary>
    public Task<string> ReceiveAsync(ReadOnlySpan<byte> body, string? signature)
    {
        var outcome = Admit(body, signature, out var stored);
        return stored is null ? Task.FromResult(outcome) : AcknowledgeAsync(outcome, stored);
    }

    private async Task<string> AcknowledgeAsync(string outcome, Task stored)
    {
        await stored.ConfigureAwait(false);
        _status.RecordWebhook(outcome);
        return outcome;
    }

    /// <summary>
    /// Checks and parses the body and queues its new events for the inbox; <paramref name="stored"/> is what to wait
    /// for before acknowledging (null for a refusal, already counted).
    /// </summary>
    private string Admit(ReadOnlySpan<byte> body, string? signature, out Task? stored)
    {
        stored = null;
        if (!SignatureMatches(body, signature))
        {
            return Reject(WebhookOutcomes.BadSignature, signature is null ? $"no {Dialect.SignatureHeader} header" : $"{Dialect.SignatureHeader} does not match the body signed with the {Dialect.SecretName}");
        }

        if (Dialect.Parse(body, _time.GetUtcNow(), out var problem) is not { } events)
        {
            return Reject(WebhookOutcomes.Malformed, problem ?? "malformed");
        }

        lock (_gate)
        {
            _seen ??= LoadSeen();
            var fresh = events.Where(e => !_seen.Contains(Hash(e.Key))).DistinctBy(e => e.Key).ToList();
            if (events.Count > 0 && fresh.Count == 0)
            {
                // Known events: acknowledged once the deliveries that brought them are stored, if they are not yet.
                var waits = events.Select(e => _inFlight.GetValueOrDefault(Hash(e.Key))).OfType<Task>().Distinct().ToList();
                stored = waits.Count == 0 ? Task.CompletedTask : Task.WhenAll(waits);
                return WebhookOutcomes.Duplicate;
            }

            if (fresh.Count == 0)
            {
                stored = Task.CompletedTask;
                return WebhookOutcomes.Accepted;
            }

            var keys = fresh.Select(e => Hash(e.Key)).ToArray();
            var write = _store.AppendToInboxAsync(Source, _time.GetUtcNow(), WhatsAppInbox.Serialize(fresh));
            foreach (var key in keys)
            {
                _seen.Add(key);
                _inFlight[key] = write;
            }

            stored = TrackAsync(write, keys);
            return WebhookOutcomes.Accepted;
        }
    }

    /// <summary>Waits for a delivery's write; forgets its events if it failed, and that they are in flight either way.</summary>
    private async Task TrackAsync(Task<long> write, ulong[] keys)
    {
        var failed = false;
        try
        {
            await write.ConfigureAwait(false);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            lock (_gate)
            {
                foreach (var key in keys)
                {
                    if (_inFlight.TryGetValue(key, out var pending) && pending == write)
                    {
                        _inFlight.Remove(key);
                    }

                    if (failed)
                    {
                        _seen?.Remove(key);
                    }
                }
            }
        }
    }

    /// <summary>Counts and logs a body over the size limit (the endpoint stops reading it).</summary>
    public string RejectTooLarge(long? length) =>
        Reject(WebhookOutcomes.TooLarge, $"body of {(length is { } l ? l.ToString(System.Globalization.CultureInfo.InvariantCulture) : "more than " + MaxBytes)} bytes exceeds KpiCollector:Sources:N:{Dialect.Section}:MaxWebhookBytes ({MaxBytes})");

    /// <summary>
    /// Refuses, before a byte of the body is read, a request whose signature header is missing or cannot be a
    /// signature (<c>sha256=</c> and 64 hex digits): no unauthenticated body is ever buffered. Null when the header is
    /// well formed (whether it matches is decided over the body).
    /// </summary>
    public string? RejectUnsignedEarly(string? header) => IsWellFormed(header)
        ? null
        : Reject(WebhookOutcomes.BadSignature, header is null ? $"no {Dialect.SignatureHeader} header" : $"{Dialect.SignatureHeader} is not sha256= and 64 hex digits");

    /// <summary>Counts and logs a body that came too slowly.</summary>
    public string RejectTooSlow(string why) => Reject(WebhookOutcomes.TooSlow, why);

    /// <summary>Counts and logs a request refused because too many bodies were being read.</summary>
    public string RejectOverloaded(int limit) =>
        Reject(WebhookOutcomes.Overloaded, $"{limit} webhook bodies were being read at once (KpiCollector:Sources:N:{Dialect.Section}:MaxConcurrentWebhooks); answered 503 with Retry-After");

    private string Reject(string outcome, string why)
    {
        _status.RecordWebhook(outcome);
        if (_rejections.Take(outcome, out var unlogged))
        {
            Log.WebhookRejected(_logger, Source, outcome, why, unlogged);
        }

        return outcome;
    }

    private static bool IsWellFormed([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? header)
    {
        const string Prefix = "sha256=";
        return header is not null && header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) && header.Length == Prefix.Length + 64
            && !header.AsSpan(Prefix.Length).ContainsAnyExcept("0123456789abcdefABCDEF");
    }

    private bool SignatureMatches(ReadOnlySpan<byte> body, string? header)
    {
        const string Prefix = "sha256=";
        if (!IsWellFormed(header))
        {
            return false;
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(header.AsSpan(Prefix.Length));
        }
        catch (FormatException)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(_appSecret, body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    /// <summary>The keys of every event still in the inbox, so a redelivery after a restart is known as one.</summary>
    private HashSet<ulong> LoadSeen()
    {
        var seen = new HashSet<ulong>();
        long after = 0;
        while (true)
        {
            var page = _store.ReadInbox(Source, after, 1000);
            if (page.Count == 0)
            {
                return seen;
            }

            foreach (var delivery in page)
            {
                foreach (var e in WhatsAppInbox.Events(delivery, out _))
                {
                    seen.Add(Hash(e.Key));
                }
            }

            after = page[^1].Seq;
        }
    }

    /// <summary>FNV-1a, 64 bits: millions of keys without a collision to speak of, at 8 bytes each.</summary>
    private static ulong Hash(string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}

/// <summary>Parses one webhook body into its events, all or nothing; null with <paramref name="problem"/> for a malformed one.</summary>
public delegate IReadOnlyList<WebhookEvent>? WebhookParser(ReadOnlySpan<byte> body, DateTimeOffset receivedAt, out string? problem);

/// <summary>
/// What differs between platforms whose webhooks this receiver takes (WhatsApp's Cloud API, and BSPs that relay the
/// same traffic): the header that carries the <c>sha256=</c> HMAC of the body, what the key is called, the settings
/// section that error messages name, and how a body reads into events.
/// </summary>
public sealed record WebhookDialect(string SignatureHeader, string SecretName, string Section, WebhookParser Parse)
{
    public static WebhookDialect WhatsApp { get; } = new("X-Hub-Signature-256", "app secret", "WhatsApp", WebhookPayload.Parse);
}

/// <summary>The form of a delivery's events in the store's inbox, both ways.</summary>
public static class WhatsAppInbox
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.General);

    public static string Serialize(IReadOnlyList<WebhookEvent> events) => System.Text.Json.JsonSerializer.Serialize(events, Json);

    /// <summary>
    /// A stored delivery's events, robust to any stored row: a row that does not read as events (damaged, or written
    /// by another version) gives none and <paramref name="skipped"/> says so; events whose timestamp is outside the
    /// plausible window around the delivery's arrival (stored before the receiver refused them) are left out and
    /// counted in <paramref name="skipped"/> too. The replay of the threads goes on with the rest.
    /// </summary>
    public static IReadOnlyList<WebhookEvent> Events(InboxDelivery delivery, out int skipped)
    {
        List<WebhookEvent>? events;
        try
        {
            events = System.Text.Json.JsonSerializer.Deserialize<List<WebhookEvent>>(delivery.Events, Json);
        }
        catch (System.Text.Json.JsonException)
        {
            events = null;
        }

        if (events is null || events.Any(e => e is null || e.Id is null || e.Kind is null || e.PhoneNumberId is null || e.Contact is null))
        {
            skipped = 1;
            return [];
        }

        var plausible = events.Where(e => WebhookPayload.IsPlausible(e.Timestamp, delivery.ReceivedAt)).ToList();
        skipped = events.Count - plausible.Count;
        return plausible;
    }
}
