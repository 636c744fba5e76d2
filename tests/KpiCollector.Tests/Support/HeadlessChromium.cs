using System.Diagnostics;

namespace KpiCollector.Tests.Support;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>, installed by scripts/test.sh) run headless on a page the tests serve
/// on loopback, with a fresh profile and every background connection off (this machine has no network): the rendered
/// DOM, after the page's own loading, and a screenshot.
/// </summary>
internal static class HeadlessChromium
{
    public const string Binary = "/usr/bin/chromium";

    /// <summary>The page's DOM as Chromium rendered it.</summary>
    public static async Task<string> DumpDomAsync(Uri page) => await RunAsync(["--dump-dom", page.ToString()]);

    /// <summary>Renders the page at 1280×900 into a PNG file.</summary>
    public static async Task ScreenshotAsync(Uri page, string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.Delete(file);
        await RunAsync([$"--screenshot={file}", "--window-size=1280,900", "--hide-scrollbars", page.ToString()]);
        Assert.True(File.Exists(file) && new FileInfo(file).Length > 1000, $"Chromium wrote no screenshot to {file}");
    }

    /// <summary>Where tests keep what they render (screenshots): <c>artifacts/tests/</c> under the repository, ignored by git.</summary>
    public static string ArtifactPath(string name) => Path.Combine(Hosting.DemoModeTests.RepoRoot(), "artifacts", "tests", name);

    private static async Task<string> RunAsync(IEnumerable<string> args)
    {
        Assert.True(File.Exists(Binary), $"{Binary} is missing: install Debian's chromium package (bash scripts/test.sh installs it)");
        using var profile = new TempDirectory();
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var flag in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile.Path}",
        })
        {
            start.ArgumentList.Add(flag);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"Chromium did not finish within 90 s: {await stderr}");
        }

        Assert.True(process.ExitCode == 0, $"Chromium exited with {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
