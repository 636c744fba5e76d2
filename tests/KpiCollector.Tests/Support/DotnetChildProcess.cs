using System.Diagnostics;
using System.Text;

namespace KpiCollector.Tests.Support;

/// <summary>
/// A built .NET app (its dll) run with <c>dotnet</c> as a child process listening on a free loopback port, its
/// stdout and stderr collected; killed with its children when disposed. What <see cref="CollectorProcess"/> and
/// <see cref="SimulatorProcess"/> share.
/// </summary>
internal sealed class DotnetChildProcess : IDisposable
{
    private readonly StringBuilder _output = new();

    private DotnetChildProcess(Process process, int port)
    {
        Process = process;
        Port = port;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public int Port { get; }

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    /// <param name="command">Arguments that go first, before the listen address (a subcommand such as <c>check config</c>).</param>
    public static DotnetChildProcess Start(string dll, IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string>? environment = null, IEnumerable<string>? command = null)
    {
        var port = FakePlatform.FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        start.ArgumentList.Add(dll);
        foreach (var arg in command ?? [])
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add($"--urls=http://127.0.0.1:{port}");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return new DotnetChildProcess(Process.Start(start)!, port);
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit();
        }

        Process.Dispose();
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
