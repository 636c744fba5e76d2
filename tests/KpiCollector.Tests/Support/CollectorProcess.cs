using System.Diagnostics;
using KpiCollector.Hosting;

namespace KpiCollector.Tests.Support;

/// <summary>The built collector (KpiCollector.dll) run as a real child process, on a free loopback port.</summary>
internal sealed class CollectorProcess : IDisposable
{
    private readonly DotnetChildProcess _child;

    private CollectorProcess(DotnetChildProcess child)
    {
        _child = child;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{child.Port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port => _child.Port;

    public HttpClient Http { get; }

    public string Output => _child.Output;

    public static CollectorProcess Start(string workingDirectory, IEnumerable<string>? args = null, IDictionary<string, string>? environment = null) =>
        new(DotnetChildProcess.Start(typeof(KpiCollectorApp).Assembly.Location, args ?? [], workingDirectory, environment));

    /// <summary>Runs <c>KpiCollector check {subcommand} args…</c> as a user would, and returns its exit code and output once it ended.</summary>
    public static (int ExitCode, string Output) Check(string workingDirectory, string subcommand, IEnumerable<string>? args = null, IDictionary<string, string>? environment = null)
    {
        using var check = new CollectorProcess(DotnetChildProcess.Start(typeof(KpiCollectorApp).Assembly.Location, args ?? [], workingDirectory, environment, ["check", subcommand]));
        var exitCode = check.WaitForExit(TimeSpan.FromSeconds(90));
        return (exitCode, check.Output);
    }

    public async Task WaitReadyAsync(TimeSpan timeout) => await CollectorHost.WaitUntilAsync(async () =>
    {
        Assert.False(_child.Process.HasExited, $"the collector exited early with code {(_child.Process.HasExited ? _child.Process.ExitCode : 0)}:\n{Output}");
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
        using (var kill = Process.Start("kill", ["-TERM", _child.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
            Assert.Equal(0, kill.ExitCode);
        }

        return WaitForExit(timeout);
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        _child.Process.Kill();
        _child.Process.WaitForExit();
    }

    public int WaitForExit(TimeSpan timeout)
    {
        Assert.True(_child.Process.WaitForExit(timeout), $"the collector did not exit within {timeout.TotalSeconds:F0} s:\n{Output}");
        _child.Process.WaitForExit(); // drains the output readers
        return _child.Process.ExitCode;
    }

    public void Dispose()
    {
        _child.Dispose();
        Http.Dispose();
    }
}
