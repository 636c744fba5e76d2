using KpiCollector.Configuration;
using KpiCollector.Hosting;

namespace KpiCollector.StackTests.Support;

/// <summary>The built collector (KpiCollector.dll) as a child process on a free loopback port, its store in a temp folder.</summary>
internal sealed class CollectorProcess : IDisposable
{
    private readonly ChildProcess _process;

    private CollectorProcess(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    public HttpClient Http { get; }

    public string Output => _process.Tail();

    /// <param name="args">
    /// Configuration as <c>--Key=value</c>. Secrets among them (<see cref="SecretKeys.IsSecret"/>), which the collector
    /// refuses on its command line, are passed in its environment instead, as a deployment would.
    /// </param>
    public static CollectorProcess Start(string workingDirectory, IEnumerable<string> args)
    {
        var port = Wait.FreePort();
        var dll = typeof(KpiCollectorApp).Assembly.Location;
        var given = args.ToList();
        var secrets = given.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal) && SecretKeys.IsSecret(a[2..a.IndexOf('=', StringComparison.Ordinal)])).ToList();
        var environment = secrets.ToDictionary(
            a => a[2..a.IndexOf('=', StringComparison.Ordinal)].Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant(),
            a => a[(a.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        var process = ChildProcess.Start("dotnet",
        [
            dll,
            $"--urls=http://127.0.0.1:{port}",
            $"--KpiCollector:Store:Path={Path.Combine(workingDirectory, "kpicollector.db")}",
            .. given.Except(secrets),
        ], workingDirectory, environment);
        return new CollectorProcess(process, port);
    }

    public Task WaitReadyAsync(TimeSpan timeout) => Wait.UntilAsync(async () =>
    {
        _process.AssertRunning();
        try
        {
            return (await Http.GetAsync("/readyz")).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }, timeout, "the collector to be ready", () => _process.Tail());

    /// <summary>SIGKILL: the collector dies with no shutdown (its leases are left to run out).</summary>
    public void Kill() => _process.Kill();

    public void Dispose()
    {
        _process.Dispose();
        Http.Dispose();
    }
}
