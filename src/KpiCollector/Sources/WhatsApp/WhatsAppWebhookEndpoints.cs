using KpiCollector.Sources;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace KpiCollector.Sources.WhatsApp;

/// <summary>
/// <c>/webhooks/whatsapp/{source}</c>: Meta's verification GET and the signed POSTs of a <c>whatsapp</c> source with an
/// app secret. 200 once the delivery is committed to the store (or known, and its original committed); 401 without a valid signature, 413 over the size limit,
/// 400 for a body that is not the documented JSON, 404 for a source that does not receive webhooks. Nothing is stored
/// for a refused request.
/// </summary>
/// <remarks>
/// Hostile senders are turned away before they cost memory (docs/sources.md, "Webhook limits"): a missing or
/// malformed signature header, or a declared length over the limit, is refused before a byte of the body is read;
/// at most <c>MaxConcurrentWebhooks</c> bodies per source are read at once (a request beyond waits a second, then gets
/// 503 with Retry-After); a body must come at 8 KiB/s at least after a 2 s grace, and whole within
/// <c>WebhookBodyTimeout</c>, whatever its pace (408). Every refusal is counted by outcome.
/// </remarks>
internal static class WhatsAppWebhookEndpoints
{
    public const string Prefix = "/webhooks/whatsapp";

    public static void MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(Prefix + "/{source}", (string source, HttpRequest request, SourceRegistry sources) =>
        {
            if (ReceiverOf(sources, source) is not { } receiver)
            {
                return Results.NotFound();
            }

            var q = request.Query;
            return receiver.Verify(q["hub.mode"], q["hub.verify_token"], q["hub.challenge"]) is { } challenge
                ? Results.Text(challenge, "text/plain")
                : Results.StatusCode(StatusCodes.Status403Forbidden);
        });

        app.MapPost(Prefix + "/{source}", async (string source, HttpContext context, SourceRegistry sources) =>
        {
            if (ReceiverOf(sources, source) is not { } receiver)
            {
                return Results.NotFound();
            }

            return await ReceiveAsync(context, receiver);
        });
    }

    /// <summary>
    /// Once the request is known to belong to a source, and the deadline it is read under. Shared with the platforms
    /// whose receivers speak another <see cref="WebhookDialect"/> (the signature header is the receiver's).
    /// </summary>
    internal static async Task<IResult> ReceiveAsync(HttpContext context, WhatsAppWebhookReceiver receiver)
    {
        var request = context.Request;
        var signature = request.Headers[receiver.Dialect.SignatureHeader].FirstOrDefault();

        // Refusals before the body is read close the connection: the unread body is never drained into memory.
        if (receiver.RejectUnsignedEarly(signature) is not null)
        {
            return Refuse(context, StatusCodes.Status401Unauthorized);
        }

        if (request.ContentLength > receiver.MaxBytes)
        {
            receiver.RejectTooLarge(request.ContentLength);
            return Refuse(context, StatusCodes.Status413PayloadTooLarge);
        }

        if (!await receiver.Bodies.WaitAsync(SlotWait, context.RequestAborted))
        {
            receiver.RejectOverloaded(receiver.MaxConcurrent);
            context.Response.Headers.RetryAfter = "5";
            return Refuse(context, StatusCodes.Status503ServiceUnavailable);
        }

        try
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = receiver.MaxBytes + 1L;
            }

            if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
            {
                rate.MinDataRate = MinDataRate;
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            deadline.CancelAfter(receiver.BodyTimeout);
            PooledBody? body;
            try
            {
                body = await ReadAsync(request.Body, receiver.MaxBytes, request.ContentLength, deadline.Token);
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                body = null; // a chunked body past MaxRequestBodySize: Kestrel stops it before our own count does
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status408RequestTimeout)
            {
                receiver.RejectTooSlow($"the body came slower than {MinDataRate.BytesPerSecond:F0} bytes a second after a grace of {MinDataRate.GracePeriod.TotalSeconds:F0} s");
                return Refuse(context, StatusCodes.Status408RequestTimeout);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
            {
                receiver.RejectTooSlow($"the body had not arrived {receiver.BodyTimeout.TotalSeconds:F0} s after the request started (KpiCollector:Sources:N:{receiver.Dialect.Section}:WebhookBodyTimeout)");
                return Refuse(context, StatusCodes.Status408RequestTimeout);
            }

            if (body is null)
            {
                receiver.RejectTooLarge(null);
                return Refuse(context, StatusCodes.Status413PayloadTooLarge);
            }

            Task<string> outcome;
            using (body)
            {
                outcome = receiver.ReceiveAsync(body.Bytes, signature); // the body is checked and parsed before this returns
            }

            return await outcome switch
            {
                WebhookOutcomes.BadSignature => Results.StatusCode(StatusCodes.Status401Unauthorized),
                WebhookOutcomes.Malformed => Results.StatusCode(StatusCodes.Status400BadRequest),
                _ => Results.Ok(),
            };
        }
        finally
        {
            receiver.Bodies.Release();
        }
    }

    /// <summary>How long a request waits for one of its source's body slots before it is refused with 503.</summary>
    private static readonly TimeSpan SlotWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The pace below which Kestrel ends a body read (after the grace period): far under what Meta sends, far over
    /// what a sender stalling on purpose would. The body deadline (<c>WebhookBodyTimeout</c>) bounds the rest.
    /// </summary>
    private static readonly MinDataRate MinDataRate = new(bytesPerSecond: 8 * 1024, gracePeriod: TimeSpan.FromSeconds(2));

    /// <summary>Answers a request whose body is not read (or not wholly) and closes the connection after.</summary>
    private static IResult Refuse(HttpContext context, int status)
    {
        context.Response.Headers.Connection = "close";
        return Results.StatusCode(status);
    }

    private static WhatsAppWebhookReceiver? ReceiverOf(SourceRegistry sources, string name) =>
        sources.Sources.OfType<WhatsAppSource>().FirstOrDefault(s => s.Name == name)?.Receiver;

    /// <summary>The body's bytes, or null when it is longer than <paramref name="max"/>.</summary>
    /// <remarks>
    /// The bytes are read into an array rented from the shared pool, sized once by a declared length (a chunked body
    /// grows it as it comes), and returned when the request is done with them: a flood of large bodies reuses a few
    /// arrays instead of leaving megabytes of garbage on the large-object heap until the next full collection
    /// (docs/performance.md, "Webhooks under attack").
    /// </remarks>
    private static async Task<PooledBody?> ReadAsync(Stream body, int max, long? declared, CancellationToken cancellationToken)
    {
        // A byte more than declared: the read that finds the body's end then needs no larger array.
        var buffer = new PooledBody(declared is > 0 and var d && d <= max ? (int)d + 1 : 16 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer.Free(max), cancellationToken)) > 0)
            {
                if (buffer.Length + read > max)
                {
                    buffer.Dispose();
                    return null;
                }

                buffer.Advance(read);
            }

            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>A body in a pooled array: its bytes until <see cref="Dispose"/> gives the array back.</summary>
    private sealed class PooledBody(int capacity) : IDisposable
    {
        private byte[]? _array = System.Buffers.ArrayPool<byte>.Shared.Rent(capacity);

        public int Length { get; private set; }

        public ReadOnlySpan<byte> Bytes => _array.AsSpan(0, Length);

        /// <summary>Room for the next read: what is left of the array, grown (doubled) when full; one byte past
        /// <paramref name="max"/> at most, so that a body over it is seen.</summary>
        public Memory<byte> Free(int max)
        {
            if (Length == _array!.Length && Length <= max)
            {
                var grown = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Min(max + 1, _array.Length * 2));
                _array.AsSpan(0, Length).CopyTo(grown);
                System.Buffers.ArrayPool<byte>.Shared.Return(_array);
                _array = grown;
            }

            return _array.AsMemory(Length);
        }

        public void Advance(int read) => Length += read;

        public void Dispose()
        {
            if (_array is { } array)
            {
                _array = null;
                System.Buffers.ArrayPool<byte>.Shared.Return(array);
            }
        }
    }
}
