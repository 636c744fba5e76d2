using System.ComponentModel;
using System.Diagnostics;

namespace KpiCollector.StackTests.Support;

/// <summary>Runs a command-line tool to completion (promtool, amtool, docker-compose, bash), bounded in time.</summary>
internal static class Cli
{
    public sealed record Result(int ExitCode, string Output)
    {
        public override string ToString() => $"exit code {ExitCode}:\n{Output}";
    }

    public static Result Run(string file, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Repo.Root,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception)
        {
            Assert.Fail($"{file} is not installed: run the suite through scripts/test.sh, which installs the Debian packages it needs.");
            throw;
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            var limit = timeout ?? TimeSpan.FromSeconds(120);
            if (!process.WaitForExit(limit))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"{file} {string.Join(' ', args)} did not finish within {limit.TotalSeconds:F0} s");
            }

            process.WaitForExit();
            return new Result(process.ExitCode, stdout.Result + stderr.Result);
        }
    }
}
