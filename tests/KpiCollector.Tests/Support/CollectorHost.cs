using KpiCollector.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace KpiCollector.Tests.Support;

/// <summary>The real collector, in process, listening on a free loopback port with its own store in a temp folder.</summary>
internal sealed class CollectorHost : IAsyncDisposable
{
    private readonly TempDirectory _dir;

    private CollectorHost(WebApplication app, TempDirectory dir, Uri address)
    {
        App = app;
        _dir = dir;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    public HttpClient Http { get; }

    public string StorePath => _dir.File("store.db");

    public static async Task<CollectorHost> StartAsync(IDictionary<string, string>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var dir = new TempDirectory();
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            $"--KpiCollector:Store:Path={dir.File("store.db")}",
            "--Logging:LogLevel:Default=Warning",
        };
        // In memory, not as arguments: the collector refuses secrets on its command line.
        var app = KpiCollectorApp.Build([.. args], configure, settings?.Select(kv => KeyValuePair.Create(kv.Key, (string?)kv.Value)));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new CollectorHost(app, dir, new Uri(address));
    }

    public Task<string> GetAsync(string path) => Http.GetStringAsync(path);

    /// <summary>One scrape of <c>/metrics</c>, parsed.</summary>
    public async Task<List<MetricsText.Sample>> ScrapeAsync() => MetricsText.Parse(await GetAsync("/metrics"));

    /// <summary>
    /// Scrapes until <paramref name="condition"/> holds (90 s unless told otherwise), failing with <paramref name="what"/>
    /// and, when given, what <paramref name="describe"/> says of the collector's state then.
    /// </summary>
    public Task WaitForMetricsAsync(Func<List<MetricsText.Sample>, bool> condition, string what, TimeSpan? timeout = null, Func<Task<string>>? describe = null) =>
        WaitUntilAsync(async () => condition(await ScrapeAsync()), timeout ?? TimeSpan.FromSeconds(90), what, describe);

    /// <summary>Polls until the condition holds; fails the test with <paramref name="what"/> (and <paramref name="describe"/>'s account) when it never does.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<Task<string>>? describe = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"Timed out after {timeout.TotalSeconds:F0} s waiting for {what}" + (describe is null ? "" : $"; {await describe()}"));
    }

    /// <summary>
    /// Waits for <c>/readyz</c> to answer 200: 120 s unless told otherwise, a bound for a machine loaded many times
    /// over (the wait ends as soon as it answers); a timeout says what <c>/readyz</c> answered last.
    /// </summary>
    public Task WaitReadyAsync(TimeSpan? timeout = null)
    {
        var last = "";
        return WaitUntilAsync(
            async () =>
            {
                using var response = await Http.GetAsync("/readyz");
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                return response.IsSuccessStatusCode;
            },
            timeout ?? TimeSpan.FromSeconds(120),
            "/readyz to answer 200",
            () => Task.FromResult($"it answered {last}"));
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Http.Dispose();
        _dir.Dispose();
    }
}

/// <summary>
/// In-process hosts run one at a time: Quartz logs through a process-wide provider that points at the newest host's
/// logger factory, so a host disposed while another runs would leave the survivor's scheduler logging into a
/// disposed factory. (One host per process, as in production, never meets this.)
/// </summary>
[CollectionDefinition(Name)]
public sealed class InProcessHostCollection
{
    public const string Name = "in-process collector hosts";
}
