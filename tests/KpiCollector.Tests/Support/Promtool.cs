using System.Diagnostics;

namespace KpiCollector.Tests.Support;

/// <summary>Runs Debian's promtool (package prometheus; scripts/test.sh installs it when missing).</summary>
internal static class Promtool
{
    public static (int ExitCode, string Output) CheckMetrics(string exposition)
    {
        var start = new ProcessStartInfo("promtool", "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Fail("promtool is not installed: run the suite through scripts/test.sh, which installs Debian's prometheus package.");
            throw;
        }

        using (process)
        {
            process.StandardInput.Write(exposition);
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(60_000), "promtool did not finish within 60 s");
            return (process.ExitCode, stdout.Result + stderr.Result);
        }
    }
}
