using KpiCollector.Sources;
using KpiCollector.Sources.WhatsApp;
using Microsoft.AspNetCore.Http.Features;

namespace KpiCollector.Endpoints;

/// <summary>
/// <c>/webhooks/whatsapp/{source}</c>: Meta's verification GET and the signed POSTs of a <c>whatsapp</c> source with an
/// app secret. 200 once the delivery is stored (or known); 401 without a valid signature, 413 over the size limit,
/// 400 for a body that is not the documented JSON, 404 for a source that does not receive webhooks. Nothing is stored
/// for a refused request.
/// </summary>
internal static class WebhookEndpoints
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

            var request = context.Request;
            if (request.ContentLength > receiver.MaxBytes)
            {
                receiver.RejectTooLarge(request.ContentLength);
                return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = receiver.MaxBytes + 1L;
            }

            var body = await ReadAsync(request.Body, receiver.MaxBytes, context.RequestAborted);
            if (body is null)
            {
                receiver.RejectTooLarge(null);
                return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
            }

            return receiver.Receive(body, request.Headers["X-Hub-Signature-256"].FirstOrDefault()) switch
            {
                WebhookOutcomes.BadSignature => Results.StatusCode(StatusCodes.Status401Unauthorized),
                WebhookOutcomes.Malformed => Results.StatusCode(StatusCodes.Status400BadRequest),
                _ => Results.Ok(),
            };
        });
    }

    private static WhatsAppWebhookReceiver? ReceiverOf(SourceRegistry sources, string name) =>
        sources.Sources.OfType<WhatsAppSource>().FirstOrDefault(s => s.Name == name)?.Receiver;

    /// <summary>The body's bytes, or null when it is longer than <paramref name="max"/>.</summary>
    private static async Task<byte[]?> ReadAsync(Stream body, int max, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
