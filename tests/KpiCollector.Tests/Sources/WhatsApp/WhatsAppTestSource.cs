using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Sources.WhatsApp;
using KpiCollector.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiCollector.Tests.Sources.WhatsApp;

/// <summary>A webhook-only WhatsApp source on a store and a clock, as the restart tests build it, and its polls drained.</summary>
internal static class WhatsAppTestSource
{
    public static WhatsAppSource Create(SqliteStore store, TimeProvider clock) => new(new SourceOptions
    {
        Name = "wa",
        Platform = WhatsAppPlatform.Id,
        Settings = new WhatsAppSettings
        {
            WabaId = "102290129340398",
            Analytics = false,
            AppSecret = WebhookBodies.AppSecret,
            VerifyToken = WebhookBodies.VerifyToken,
        },
    }, 0, store, clock, NullLogger<WhatsAppSource>.Instance);

    public static async Task<List<SourceBatch>> DrainAsync(ISource source, string? cursor)
    {
        var batches = new List<SourceBatch>();
        await foreach (var b in source.PollAsync(cursor, CancellationToken.None))
        {
            batches.Add(b);
        }

        return batches;
    }
}
