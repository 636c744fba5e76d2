using KpiCollector.Simulator;

namespace KpiCollector.Tests.Support;

/// <summary>The built simulator (KpiCollector.Simulator.dll) run as a real child process, on a free loopback port.</summary>
internal sealed class SimulatorProcess : IDisposable
{
    private readonly DotnetChildProcess _child;

    private SimulatorProcess(DotnetChildProcess child)
    {
        _child = child;
        Address = new Uri($"http://127.0.0.1:{child.Port}/");
        Http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Address { get; }

    public HttpClient Http { get; }

    public string Output => _child.Output;

    public static SimulatorProcess Start(params string[] args) =>
        new(DotnetChildProcess.Start(typeof(SimulatorApp).Assembly.Location, args));

    public Task WaitReadyAsync(TimeSpan timeout) => CollectorHost.WaitUntilAsync(async () =>
    {
        Assert.False(_child.Process.HasExited, $"the simulator exited early:\n{Output}");
        try
        {
            return (await Http.GetAsync("healthz")).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }, timeout, "the simulator process to answer /healthz");

    public void Dispose()
    {
        _child.Dispose();
        Http.Dispose();
    }
}
