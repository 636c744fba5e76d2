using System.Diagnostics;

namespace KpiCollector.Tests.Support;

/// <summary>Debian's chromium, headless (scripts/test.sh installs the package when it is missing).</summary>
internal static class Chromium
{
    public const string Binary = "/usr/bin/chromium";

    /// <summary>The DOM after the page's scripts ran (<c>--dump-dom</c>).</summary>
    public static string DumpDom(Uri url) => Run(["--dump-dom", url.ToString()], null).Stdout;

    /// <summary>Saves a 1280×900 screenshot of the page to <paramref name="file"/>.</summary>
    public static void Screenshot(Uri url, string file)
    {
        var (stdout, stderr) = Run([$"--screenshot={file}", "--window-size=1280,900", url.ToString()], file);
        Assert.True(File.Exists(file) && new FileInfo(file).Length > 0, $"chromium wrote no screenshot to {file}:\n{stdout}\n{stderr}");
    }

    private static (string Stdout, string Stderr) Run(IEnumerable<string> args, string? workingFile)
    {
        Assert.True(File.Exists(Binary), $"{Binary} is missing: run the suite through scripts/test.sh, which installs Debian's chromium package.");
        using var profile = new TempDirectory();
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingFile is null ? profile.Path : Path.GetDirectoryName(workingFile)!,
        };
        foreach (var arg in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={profile.Path}", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"chromium did not finish within 120 s:\n{stderr.Result}");
        }

        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}:\n{stderr.Result}");
        return (stdout.Result, stderr.Result);
    }
}
