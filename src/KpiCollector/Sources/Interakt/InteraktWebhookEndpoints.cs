using KpiCollector.Sources.WhatsApp;

namespace KpiCollector.Sources.Interakt;

/// <summary>
/// <c>POST /webhooks/interakt/{source}</c>: Interakt's signed deliveries, received with the WhatsApp receiver's
/// hardening (docs/sources.md, "Webhook limits"): a missing or malformed <c>Interakt-Signature</c> or an oversized
/// declared length refused before the body is read, a bound on bodies read at once, a body deadline, and 200 only
/// once the delivery is committed. Interakt has no verification handshake, so there is no GET.
/// </summary>
internal static class InteraktWebhookEndpoints
{
    public const string Prefix = "/webhooks/interakt";

    public static void MapInteraktEndpoints(this IEndpointRouteBuilder app) =>
        app.MapPost(Prefix + "/{source}", async (string source, HttpContext context, SourceRegistry sources) =>
            sources.Sources.OfType<InteraktSource>().FirstOrDefault(s => s.Name == source)?.Receiver is { } receiver
                ? await WhatsAppWebhookEndpoints.ReceiveAsync(context, receiver)
                : Results.NotFound());
}
