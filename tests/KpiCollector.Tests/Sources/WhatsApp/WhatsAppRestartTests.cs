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
        using (var before = WhatsAppTestSource.Create(store, _clock))
        {
            Assert.Equal(WebhookOutcomes.Accepted, Receive(before, inbound));
            var batches = await WhatsAppTestSource.DrainAsync(before, null);
            cursor = batches[^1].Cursor;
            store.Apply("wa", batches[^1], T);
        }

        using var after = WhatsAppTestSource.Create(store, _clock); // a new process: same store, the saved cursor
        var reply = WebhookBodies.Status("4915112345678", "wamid.reply", "sent", T.AddMinutes(-1));
        Assert.Equal(WebhookOutcomes.Duplicate, Receive(after, inbound));
        Assert.Equal(WebhookOutcomes.Accepted, Receive(after, reply));
        var resumed = await WhatsAppTestSource.DrainAsync(after, cursor);

        var conversation = Assert.Single(resumed.SelectMany(b => b.Conversations));
        Assert.Equal(("wamid.before", T.AddMinutes(-5), T.AddMinutes(-1)), (conversation.ExternalId, conversation.CreatedAt, conversation.FirstResponseAt));
        var message = Assert.Single(resumed.SelectMany(b => b.Messages));
        Assert.Equal(("wamid.reply", T.AddMinutes(-5)), (message.ExternalId, message.RespondsToAt));
    }

    private static string Receive(WhatsAppSource source, string body) =>
        source.Receiver!.Receive(Encoding.UTF8.GetBytes(body), WebhookBodies.Sign(body));
}
