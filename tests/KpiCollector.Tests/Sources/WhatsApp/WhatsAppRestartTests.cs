using System.Text;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Sources.WhatsApp;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Sources.WhatsApp;

/// <summary>After a restart, the threads' state comes back from the inbox: nothing lost, nothing twice.</summary>
public sealed class WhatsAppRestartTests : IDisposable
{
    private static readonly DateTimeOffset T = new(2026, 11, 20, 9, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new(T);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AReplyAfterARestart_AnswersTheWaitOpenedBeforeIt_AndARedeliveryIsStillADuplicate()
    {
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        var inbound = WebhookBodies.Inbound("4915112345678", "wamid.before", T.AddMinutes(-5));
        string cursor;
        using (var before = Source(store))
        {
            Assert.Equal(WebhookOutcomes.Accepted, Receive(before, inbound));
            var batches = await Drain(before, null);
            cursor = batches[^1].Cursor;
            store.Apply("wa", batches[^1], T);
        }

        using var after = Source(store); // a new process: same store, the saved cursor
        var reply = WebhookBodies.Status("4915112345678", "wamid.reply", "sent", T.AddMinutes(-1));
        Assert.Equal(WebhookOutcomes.Duplicate, Receive(after, inbound));
        Assert.Equal(WebhookOutcomes.Accepted, Receive(after, reply));
        var resumed = await Drain(after, cursor);

        var conversation = Assert.Single(resumed.SelectMany(b => b.Conversations));
        Assert.Equal(("wamid.before", T.AddMinutes(-5), T.AddMinutes(-1)), (conversation.ExternalId, conversation.CreatedAt, conversation.FirstResponseAt));
        var message = Assert.Single(resumed.SelectMany(b => b.Messages));
        Assert.Equal(("wamid.reply", T.AddMinutes(-5)), (message.ExternalId, message.RespondsToAt));
    }

    private static string Receive(WhatsAppSource source, string body) =>
        source.Receiver!.Receive(Encoding.UTF8.GetBytes(body), WebhookBodies.Sign(body));

    private WhatsAppSource Source(SqliteStore store) => new(new SourceOptions
    {
        Name = "wa",
        Platform = Platforms.WhatsApp,
        WhatsApp = new WhatsAppSettings
        {
            WabaId = "102290129340398",
            Analytics = false,
            AppSecret = WebhookBodies.AppSecret,
            VerifyToken = WebhookBodies.VerifyToken,
        },
    }, 0, store, _clock, NullLogger<WhatsAppSource>.Instance);

    private static async Task<List<SourceBatch>> Drain(ISource source, string? cursor)
    {
        var batches = new List<SourceBatch>();
        await foreach (var b in source.PollAsync(cursor, CancellationToken.None))
        {
            batches.Add(b);
        }

        return batches;
    }
}
