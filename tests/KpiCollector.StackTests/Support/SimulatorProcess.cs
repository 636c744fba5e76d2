using KpiCollector.Simulator;

namespace KpiCollector.StackTests.Support;

/// <summary>The built simulator (KpiCollector.Simulator.dll) as a child process on a free loopback port: the platforms' API faces.</summary>
internal sealed class SimulatorProcess : IDisposable
{
    private readonly ChildProcess _process;

    private SimulatorProcess(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    public HttpClient Http { get; }

    public string Output => _process.Tail();

    /// <summary>The root of one face, e.g. <c>http://127.0.0.1:PORT/whatsapp</c>.</summary>
    public string BaseUrl(string face) => $"http://127.0.0.1:{Port}/{face}";

    public static SimulatorProcess Start(string workingDirectory, IEnumerable<string> args)
    {
        var port = Wait.FreePort();
        var process = ChildProcess.Start("dotnet", [typeof(SimulatorApp).Assembly.Location, $"--urls=http://127.0.0.1:{port}", .. args], workingDirectory);
        return new SimulatorProcess(process, port);
    }

    public Task WaitReadyAsync(TimeSpan timeout) => Wait.UntilAsync(async () =>
    {
        _process.AssertRunning();
        try
        {
            return (await Http.GetAsync("healthz")).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }, timeout, "the simulator to answer /healthz", () => _process.Tail());

    public void Dispose()
    {
        _process.Dispose();
        Http.Dispose();
    }
}
