using System.Text;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Sources.Interakt;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Sources.Interakt;

/// <summary>An Interakt source after a restart: it resumes from its saved cursor, the threads come back from the inbox, nothing twice.</summary>
public sealed class InteraktRestartTests : IDisposable
{
    private const string Asha = "917003705584";
    private static readonly DateTimeOffset T = new(2026, 11, 20, 9, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new(T);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AReplyAfterARestart_AnswersTheWaitOpenedBeforeIt_AndARedeliveryIsStillADuplicate()
    {
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        var inbound = InteraktBodies.Inbound(Asha, "in-before", T.AddMinutes(-5));
        var before = Create(store);
        Assert.Equal(WebhookOutcomes.Accepted, Receive(before, inbound));
        var first = await DrainAsync(before, null);
        var cursor = first[^1].Cursor;
        Assert.Equal("in-before", Assert.Single(first.SelectMany(b => b.Conversations)).ExternalId);
        store.Apply("ik", first[^1], T);

        var after = Create(store); // a new process: same store, the saved cursor
        var reply = InteraktBodies.Status(Asha, "out-reply", "delivered", T.AddMinutes(-1));
        Assert.Equal(WebhookOutcomes.Duplicate, Receive(after, inbound));
        Assert.Equal(WebhookOutcomes.Accepted, Receive(after, reply));
        var resumed = await DrainAsync(after, cursor);

        var conversation = Assert.Single(resumed.SelectMany(b => b.Conversations));
        Assert.Equal(("in-before", T.AddMinutes(-5), T.AddMinutes(-1).AddSeconds(2)), (conversation.ExternalId, conversation.CreatedAt, conversation.FirstResponseAt));
        var message = Assert.Single(resumed.SelectMany(b => b.Messages));
        Assert.Equal(("out-reply", T.AddMinutes(-5), "delivered"), (message.ExternalId, message.RespondsToAt, message.DeliveryStatus));
    }

    private static InteraktSource Create(SqliteStore store) => new(new SourceOptions
    {
        Name = "ik",
        Platform = InteraktPlatform.Id,
        Settings = new InteraktSettings { SecretKey = InteraktBodies.SecretKey },
    }, 0, store, new FakeTimeProvider(T), NullLogger<InteraktSource>.Instance);

    private static string Receive(InteraktSource source, string body) =>
        source.Receiver!.Receive(Encoding.UTF8.GetBytes(body), InteraktBodies.Sign(body));

    private static async Task<List<SourceBatch>> DrainAsync(ISource source, string? cursor)
    {
        var batches = new List<SourceBatch>();
        await foreach (var b in source.PollAsync(cursor, CancellationToken.None))
        {
            batches.Add(b);
        }

        return batches;
    }
}
