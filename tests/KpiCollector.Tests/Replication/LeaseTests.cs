using KpiCollector.Tests.Support;

namespace KpiCollector.Tests.Replication;

/// <summary>
/// Two collectors in this process on one PostgreSQL database, sharing six simulated sources through leases: each owns
/// three and exports only those; when one stops, the other takes its sources over, loads them from the store and
/// exports them with the same numbers.
/// </summary>
[Collection(InProcessHostCollection.Name)]
[Trait("Category", "Integration")] // PostgreSQL and two real-time collectors: not the quick loop
public sealed class LeaseTests
{
    private static readonly string[] Sources = ["s1", "s2", "s3", "s4", "s5", "s6"];

    [Fact]
    public async Task TwoReplicas_OwnThreeSourcesEach_AndWhenOneStops_TheOtherTakesItsSourcesOverWithTheirNumbers()
    {
        var database = PostgresServer.Shared.CreateDatabase("leases");
        await using var a = await CollectorHost.StartAsync(Settings(database, "replica-a"));
        await a.WaitReadyAsync();
        var b = await CollectorHost.StartAsync(Settings(database, "replica-b"));
        var bStopped = false;
        try
        {
            Dictionary<string, string> owners = [];
            await CollectorHost.WaitUntilAsync(async () =>
            {
                owners = await OwnersAsync(("replica-a", a), ("replica-b", b));
                return owners.Count == 6 && owners.Values.Count(o => o == "replica-a") == 3;
            }, TimeSpan.FromSeconds(90), "three sources owned by each replica");

            await CollectorHost.WaitUntilAsync(async () => (await b.ScrapeAsync()).Find("kpicollector_source_up").Count(s => s.Value == 1) == 3,
                TimeSpan.FromSeconds(90), "replica-b's three sources polled");
            Assert.Equal(owners, await OwnersAsync(("replica-a", a), ("replica-b", b))); // no move once balanced

            // Each exports the series of its own sources only.
            var fromB = await b.ScrapeAsync();
            foreach (var source in Sources)
            {
                var created = fromB.Value("helpdesk_tickets_created", ("source", source), ("channel", "all"), ("window", "24h"));
                Assert.True((owners[source] == "replica-b") == (created is not null), $"{source} owned by {owners[source]}, replica-b exports {created}");
                Assert.Equal(owners[source] == "replica-b" ? 1 : 0, fromB.Value("kpicollector_source_owner", ("source", source)));
                Assert.Equal(owners[source] == "replica-b", fromB.Value("kpicollector_source_up", ("source", source)) is not null);
            }

            var movedSources = owners.Where(o => o.Value == "replica-b").Select(o => o.Key).ToList();
            var before = await b.ScrapeAsync();
            var createdBefore = movedSources.ToDictionary(s => s, s => before.Value("helpdesk_tickets_created", ("source", s), ("channel", "all"), ("window", "7d"))!.Value);

            // A clean stop hands the sources over at once; the other replica takes them on its next round.
            bStopped = true;
            await b.DisposeAsync();
            await CollectorHost.WaitUntilAsync(async () =>
            {
                var m = await a.ScrapeAsync();
                return Sources.All(s => m.Value("kpicollector_source_owner", ("source", s)) == 1)
                    && movedSources.All(s => m.Value("helpdesk_tickets_created", ("source", s), ("channel", "all"), ("window", "7d")) >= createdBefore[s]);
            }, TimeSpan.FromSeconds(60), "replica-a owning all six sources, with the moved ones' history");
            var ready = await a.Http.GetAsync("/readyz");
            Assert.True(ready.IsSuccessStatusCode, "a replica that was ready stays ready while it takes sources over");
            Assert.Contains("\"owned\":[\"s1\",\"s2\",\"s3\",\"s4\",\"s5\",\"s6\"]", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            if (!bStopped)
            {
                await b.DisposeAsync();
            }
        }
    }

    private static async Task<Dictionary<string, string>> OwnersAsync(params (string Name, CollectorHost Host)[] replicas)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, host) in replicas)
        {
            foreach (var owned in (await host.ScrapeAsync()).Find("kpicollector_source_owner").Where(s => s.Value == 1))
            {
                Assert.False(owners.ContainsKey(owned.Labels["source"]), $"{owned.Labels["source"]} owned by {owners.GetValueOrDefault(owned.Labels["source"])} and {name} at once");
                owners[owned.Labels["source"]] = name;
            }
        }

        return owners;
    }

    private static Dictionary<string, string> Settings(string database, string replica)
    {
        var settings = new Dictionary<string, string>
        {
            ["KpiCollector:Store:Provider"] = "postgres",
            ["KpiCollector:Store:ConnectionString"] = database,
            ["KpiCollector:Leases:Duration"] = "9s", // a renewal every 3 s: a loaded machine does not lose leases
            ["KpiCollector:Leases:ReplicaId"] = replica,
            ["KpiCollector:RefreshInterval"] = "1s",
            ["KpiCollector:Simulator:ArrivalsPerHour"] = "60",
        };
        for (var i = 0; i < Sources.Length; i++)
        {
            settings[$"KpiCollector:Sources:{i}:Name"] = Sources[i];
            settings[$"KpiCollector:Sources:{i}:Platform"] = "simulator";
            settings[$"KpiCollector:Sources:{i}:Interval"] = "1s";
            settings[$"KpiCollector:Sources:{i}:Backfill"] = "2h";
        }

        return settings;
    }
}
