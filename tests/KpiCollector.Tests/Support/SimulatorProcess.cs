using System.Diagnostics;
using System.Text;
using KpiCollector.Simulator;

namespace KpiCollector.Tests.Support;

/// <summary>The built simulator (KpiCollector.Simulator.dll) run as a real child process, on a free loopback port.</summary>
internal sealed class SimulatorProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SimulatorProcess(Process process, int port)
    {
        _process = process;
        Address = new Uri($"http://127.0.0.1:{port}/");
        Http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(10) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Address { get; }

    public HttpClient Http { get; }

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    public static SimulatorProcess Start(params string[] args)
    {
        var port = FakePlatform.FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(SimulatorApp).Assembly.Location);
        start.ArgumentList.Add($"--urls=http://127.0.0.1:{port}");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new SimulatorProcess(Process.Start(start)!, port);
    }

    public Task WaitReadyAsync(TimeSpan timeout) => CollectorHost.WaitUntilAsync(async () =>
    {
        Assert.False(_process.HasExited, $"the simulator exited early:\n{Output}");
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
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
        Http.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
