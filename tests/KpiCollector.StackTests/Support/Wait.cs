using System.Net;
using System.Net.Sockets;

namespace KpiCollector.StackTests.Support;

internal static class Wait
{
    /// <summary>Polls until the condition holds; fails the test naming <paramref name="what"/> when it never does.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"Timed out after {timeout.TotalSeconds:F0} s waiting for {what}.{(diagnostics is null ? "" : "\n" + diagnostics())}");
    }

    /// <summary>A TCP port free on the loopback interface right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
