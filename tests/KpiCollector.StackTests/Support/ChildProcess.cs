using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace KpiCollector.StackTests.Support;

/// <summary>
/// A long-running program the test started (the collector, Prometheus, Alertmanager), with its output kept for
/// failure messages. Disposing it kills that process (and only it, with its children) if it is still running.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private const int MaxOutput = 200_000;
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<LineWaiter> _waiters = [];

    private ChildProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    public static ChildProcess Start(string file, IEnumerable<string> args, string workingDirectory, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        try
        {
            return new ChildProcess(Process.Start(start)!, Path.GetFileName(file));
        }
        catch (Win32Exception)
        {
            Assert.Fail($"{file} is not installed: run the suite through scripts/test.sh, which installs the Debian packages it needs.");
            throw;
        }
    }

    /// <summary>Fails the test, with the program's output, when it has exited.</summary>
    public void AssertRunning()
    {
        if (_process.HasExited)
        {
            Assert.Fail($"{Name} exited early with code {_process.ExitCode}:\n{Tail()}");
        }
    }

    /// <summary>SIGKILL, as <c>kill -9</c>: no shutdown code of the program runs.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public string Tail(int chars = 6000)
    {
        var text = Output;
        return text.Length <= chars ? text : "...\n" + text[^chars..];
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length > MaxOutput)
            {
                _output.Remove(0, _output.Length - (MaxOutput / 2));
            }

            _output.AppendLine(line);
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                if (--waiter.Remaining == 0)
                {
                    _waiters.Remove(waiter);
                    waiter.Seen.TrySetResult();
                }
            }
        }
    }

    /// <summary>
    /// Waits until <paramref name="count"/> output lines that <paramref name="match"/> accepts have been written after
    /// this call: the program's own word that something happened (or was decided not to happen). Call it before the
    /// action whose effect it waits for.
    /// </summary>
    public Func<TimeSpan, Task> WatchFor(Func<string, bool> match, int count, string what)
    {
        var waiter = new LineWaiter(match, count);
        lock (_output)
        {
            _waiters.Add(waiter);
        }

        return async timeout =>
        {
            try
            {
                await waiter.Seen.Task.WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:F0} s waiting for {Name} to log {what} ({count - waiter.Remaining} of {count} lines seen):\n{Tail()}");
            }
        };
    }

    private sealed class LineWaiter(Func<string, bool> match, int count)
    {
        public Func<string, bool> Match { get; } = match;

        public int Remaining { get; set; } = count;

        public TaskCompletionSource Seen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
