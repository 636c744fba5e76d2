using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using KpiCollector.Hosting;

namespace KpiCollector.Tests.Support;

/// <summary>The built collector (KpiCollector.dll) run as a real child process, on a free loopback port.</summary>
internal sealed class CollectorProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private CollectorProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    public HttpClient Http { get; }

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    public static CollectorProcess Start(string workingDirectory, IEnumerable<string>? args = null, IDictionary<string, string>? environment = null)
    {
        var port = FreePort();
        var dll = typeof(KpiCollectorApp).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add($"--urls=http://127.0.0.1:{port}");
        foreach (var arg in args ?? [])
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return new CollectorProcess(Process.Start(start)!, port);
    }

    public async Task WaitReadyAsync(TimeSpan timeout) => await CollectorHost.WaitUntilAsync(async () =>
    {
        Assert.False(_process.HasExited, $"the collector exited early with code {(_process.HasExited ? _process.ExitCode : 0)}:\n{Output}");
        try
        {
            return (await Http.GetAsync("/readyz")).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }, timeout, "the collector process to become ready");

    /// <summary>Sends SIGTERM, as `docker stop` and systemd do, and waits for the exit code.</summary>
    public int Terminate(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
            Assert.Equal(0, kill.ExitCode);
        }

        return WaitForExit(timeout);
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public int WaitForExit(TimeSpan timeout)
    {
        Assert.True(_process.WaitForExit(timeout), $"the collector did not exit within {timeout.TotalSeconds:F0} s:\n{Output}");
        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
