using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace KpiCollector.Benchmarks;

/// <summary>
/// <c>webhook-attack [unsigned|forged] [connections] [seconds]</c>: the memory goal of the webhook hardening
/// (docs/performance.md, "Webhooks under attack"). The real collector with one WhatsApp source on a loopback port, and
/// <c>connections</c> raw TCP connections each posting a 4 MB body slowly (64 KiB every 100 ms, above Kestrel's
/// minimum data rate), reconnecting whenever the collector answers or closes, for <c>seconds</c>. <c>unsigned</c>
/// sends no signature header; <c>forged</c> sends a well-formed one that does not match (the body must be read to tell).
/// Reports the process's resident memory idle and at its peak during the attack, and the answers the senders got.
/// </summary>
public static class WebhookAttack
{
    private const int BodyBytes = 4_000_000;
    private const int ChunkBytes = 64 * 1024;

    /// <summary><c>webhook-host</c>: the same collector alone, its address on the first line, until stdin closes.</summary>
    public static async Task HostAsync()
    {
        var dir = Directory.CreateTempSubdirectory("kpi-bench-attack-host").FullName;
        try
        {
            await using var app = await WebhookLoad.StartAsync(dir, 8);
            var address = WebhookLoad.Address(app);
            await WebhookLoad.WarmUpAsync(address);
            Console.WriteLine($"{address} {Environment.ProcessId}");
            using var done = new CancellationTokenSource();
            var stats = Task.Run(async () =>
            {
                while (!done.IsCancellationRequested)
                {
                    // The managed heap as the collector sees it: live and not yet collected, and what the GC has committed.
                    Console.WriteLine($"heap {GC.GetTotalMemory(false) / 1_048_576.0:F0} {GC.GetGCMemoryInfo().TotalCommittedBytes / 1_048_576.0:F0}");
                    await Task.Delay(200);
                }
            });
            await Console.In.ReadToEndAsync();
            await done.CancelAsync();
            await stats;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static async Task RunAsync(string[] args)
    {
        var forged = args.Length > 0 && args[0] == "forged";
        var connections = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 128;
        var seconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20;
        Console.WriteLine($"load average at start: {WebhookLoad.LoadAverage()}; {connections} connections, {(forged ? "forged" : "unsigned")} bodies of {BodyBytes:N0} bytes, {seconds} s");

        // The collector in a process of its own (webhook-host), so that its resident memory is its own alone, with the
        // collector's garbage collector (src/KpiCollector is a web project: server GC).
        var start = new ProcessStartInfo("dotnet", [typeof(WebhookAttack).Assembly.Location, "webhook-host"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        start.Environment["DOTNET_gcServer"] = "1";
        using var host = Process.Start(start)!;
        try
        {
            var ready = (await host.StandardOutput.ReadLineAsync())?.Split(' ')
                ?? throw new InvalidOperationException("webhook-host ended before it listened.");
            var address = new Uri(ready[0]);
            var pid = int.Parse(ready[1], CultureInfo.InvariantCulture);
            double heapIdle = double.NaN, heapPeak = 0, committedPeak = 0;
            var measuring = false;
            _ = Task.Run(async () =>
            {
                while (await host.StandardOutput.ReadLineAsync() is { } line)
                {
                    if (line.StartsWith("heap ", StringComparison.Ordinal) && line.Split(' ') is [_, var heap, var committed])
                    {
                        var (h, c) = (double.Parse(heap, CultureInfo.InvariantCulture), double.Parse(committed, CultureInfo.InvariantCulture));
                        if (!measuring)
                        {
                            heapIdle = h;
                        }
                        else
                        {
                            (heapPeak, committedPeak) = (Math.Max(heapPeak, h), Math.Max(committedPeak, c));
                        }
                    }
                }
            });

            await Task.Delay(3000); // settled after the warm-up
            var idle = ResidentMiB(pid);
            measuring = true;

            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            var answers = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
            var peak = idle;
            var sampler = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    peak = Math.Max(peak, ResidentMiB(pid));
                    await Task.Delay(100);
                }
            });
            var senders = Enumerable.Range(0, connections).Select(_ => Task.Run(() => SendAsync(address, forged, answers, stop.Token))).ToArray();
            await Task.WhenAll(senders);
            await sampler;
            await Task.Delay(3000);
            var after = ResidentMiB(pid);

            Console.WriteLine($"collector resident MiB: idle {idle:F0}, peak during the attack {peak:F0} (peak - idle {peak - idle:F0}), 3 s after it {after:F0}");
            Console.WriteLine($"collector managed heap MiB: idle {heapIdle:F0}, peak {heapPeak:F0} (GC committed at most {committedPeak:F0})");
            Console.WriteLine("answers: " + string.Join(", ", answers.OrderByDescending(a => a.Value).Select(a => $"{a.Key} {a.Value:N0}")));
            Console.WriteLine($"load average at end: {WebhookLoad.LoadAverage()}");
        }
        finally
        {
            host.StandardInput.Close();
            if (!host.WaitForExit(10_000))
            {
                host.Kill();
            }
        }
    }

    private static async Task SendAsync(Uri address, bool forged, System.Collections.Concurrent.ConcurrentDictionary<string, int> answers, CancellationToken stop)
    {
        var chunk = new byte[ChunkBytes];
        Array.Fill(chunk, (byte)' ');
        var head = Encoding.ASCII.GetBytes(
            $"POST /webhooks/whatsapp/wa HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\nContent-Length: {BodyBytes}\r\n"
            + (forged ? $"X-Hub-Signature-256: sha256={new string('0', 64)}\r\n" : "") + "\r\n");
        while (!stop.IsCancellationRequested)
        {
            using var client = new TcpClient();
            string answer;
            try
            {
                await client.ConnectAsync(address.Host, address.Port, stop);
                var stream = client.GetStream();
                await stream.WriteAsync(head, stop);
                var reply = ReadStatusAsync(stream);
                for (var sent = 0; sent < BodyBytes && !reply.IsCompleted; sent += ChunkBytes)
                {
                    await stream.WriteAsync(chunk.AsMemory(0, Math.Min(ChunkBytes, BodyBytes - sent)), stop);
                    await Task.WhenAny(reply, Task.Delay(100, stop));
                }

                answer = await reply.WaitAsync(TimeSpan.FromSeconds(15), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or SocketException or TimeoutException)
            {
                answer = "closed";
            }

            answers.AddOrUpdate(answer, 1, (_, n) => n + 1);
        }
    }

    /// <summary>The status code of the answer, or <c>closed</c> if the connection ended first.</summary>
    private static async Task<string> ReadStatusAsync(NetworkStream stream)
    {
        var buffer = new byte[256];
        try
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                return "closed";
            }

            var line = Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0].Split(' ');
            return line.Length > 1 ? line[1] : "closed";
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            return "closed";
        }
    }

    private static double ResidentMiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
            }
        }

        return double.NaN;
    }
}
