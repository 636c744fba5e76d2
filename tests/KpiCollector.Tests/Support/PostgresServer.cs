using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KpiCollector.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL cluster for the test run, from Debian's <c>postgresql</c> package (scripts/test.sh installs
/// it): created in a temp folder, listening on 127.0.0.1 on a free port, started once per test process and stopped
/// and deleted when it exits. PostgreSQL refuses to run as root, so as root it runs as the package's unprivileged
/// <c>postgres</c> user. Durability is off (fsync, synchronous commit, full page writes): the data dies with the
/// run anyway. Each test takes a database of its own (<see cref="CreateDatabase"/>). Also compiled into the stack tests.
/// </summary>
internal sealed class PostgresServer
{
    private static readonly Lazy<PostgresServer> Instance = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly string _bin;
    private readonly string _dir;
    private readonly string? _runAs;
    private int _databases;

    private PostgresServer(string bin, string dir, string? runAs, int port)
    {
        _bin = bin;
        _dir = dir;
        _runAs = runAs;
        Port = port;
    }

    /// <summary>The run's cluster, started on first use.</summary>
    public static PostgresServer Shared => Instance.Value;

    public int Port { get; }

    /// <summary>The connection string of <paramref name="database"/> (trust authentication on loopback: no password).</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username=postgres;Pooling=true;Maximum Pool Size=20;Timeout=30;Command Timeout=60";

    /// <summary>Creates an empty database and returns its connection string; the name is made unique.</summary>
    public string CreateDatabase(string? name = null)
    {
        var database = $"{name ?? "test"}_{Interlocked.Increment(ref _databases)}_{Environment.ProcessId}";
        Run("psql", ["-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1",
            "-c", $"CREATE DATABASE \"{database}\";"], psql: true);
        return ConnectionString(database);
    }

    private static PostgresServer Start()
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL's initdb and pg_ctl were not found (on PATH or under /usr/lib/postgresql/*/bin): install Debian's postgresql package; scripts/test.sh does it.");
        var dir = Path.Combine(Path.GetTempPath(), "kpicollector-postgres", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var runAs = Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || IsRoot() ? "postgres" : null;
        if (runAs is not null)
        {
            Chown(dir, runAs);
        }

        var port = FreePort();
        var server = new PostgresServer(bin, dir, runAs, port);
        server.Run(Path.Combine(bin, "initdb"), ["-D", Path.Combine(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]);
        server.Run(Path.Combine(bin, "pg_ctl"),
        [
            "-D", Path.Combine(dir, "data"), "-l", Path.Combine(dir, "server.log"), "-w", "-t", "60",
            "-o", $"-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
            "start",
        ]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
        return server;
    }

    private void Stop()
    {
        try
        {
            Run(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop"]);
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // the OS cleans the temp folder
        }
    }

    private void Run(string file, IEnumerable<string> args, bool psql = false)
    {
        var start = new ProcessStartInfo(_runAs is null || psql ? file : "runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _dir,
        };
        if (_runAs is not null && !psql)
        {
            foreach (var a in new[] { "-u", _runAs, "--", file })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(file)} did not finish within 120 s");
        }

        if (process.ExitCode != 0)
        {
            var log = Path.Combine(_dir, "server.log");
            throw new InvalidOperationException($"{Path.GetFileName(file)} exited with {process.ExitCode}: {output.Result}{error.Result}"
                + (File.Exists(log) ? $"\n--- server.log\n{File.ReadAllText(log)}" : ""));
        }
    }

    private static string? FindBinaries()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return dir;
            }
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.EnumerateDirectories("/usr/lib/postgresql")
                .Select(v => Path.Combine(v, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb")))
                .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
    }

    private static bool IsRoot()
    {
        try
        {
            return File.ReadAllLines("/proc/self/status").Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0");
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static void Chown(string dir, string user)
    {
        using var chown = Process.Start("chown", ["-R", user, dir]);
        chown.WaitForExit();
        if (chown.ExitCode != 0)
        {
            throw new InvalidOperationException($"chown {user} {dir} failed: is Debian's postgresql package (and its postgres user) installed?");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
