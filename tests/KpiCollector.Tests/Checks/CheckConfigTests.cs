using KpiCollector.Checks;
using KpiCollector.Configuration;
using KpiCollector.Tests.Configuration;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Options;

namespace KpiCollector.Tests.Checks;

/// <summary>
/// <c>check config</c>: every invalid configuration the validation tests cover fails it with exit code 2 and exactly
/// the validator's messages; a valid one prints each value with its origin and every secret as <c>***</c>. The cases
/// run through the command's entry method; the start's and the container's path, a real child process, is covered by
/// the process tests at the end.
/// </summary>
public sealed class CheckConfigTests : IDisposable
{
    private const string Secret = "s3cr3t-token-value";

    private static readonly Dictionary<string, string?> Zendesk = new()
    {
        ["KpiCollector:Sources:0:Name"] = "acme",
        ["KpiCollector:Sources:0:Platform"] = "zendesk",
        ["KpiCollector:Sources:0:BaseUrl"] = "https://acme.zendesk.com",
        ["KpiCollector:Sources:0:ApiToken"] = "t0ken-value",
        ["KpiCollector:Sources:0:Email"] = "ops@acme.com",
    };

    private static readonly Dictionary<string, string?> Freshdesk = new()
    {
        ["KpiCollector:Sources:0:Name"] = "fd",
        ["KpiCollector:Sources:0:Platform"] = "freshdesk",
        ["KpiCollector:Sources:0:BaseUrl"] = "https://acme.freshdesk.com",
        ["KpiCollector:Sources:0:ApiToken"] = "key-value",
    };

    private static readonly Dictionary<string, string?> Simulator = new()
    {
        ["KpiCollector:Sources:0:Name"] = "sim",
        ["KpiCollector:Sources:0:Platform"] = "simulator",
    };

    private readonly TempDirectory _dir = new();

    /// <summary>The invalid configurations of OptionsValidationTests and SourceOptionsValidationTests, by the test's name.</summary>
    public static TheoryData<string, Dictionary<string, string?>> InvalidConfigurations()
    {
        var data = new TheoryData<string, Dictionary<string, string?>>
        {
            { "UnknownPlatform", new() { ["KpiCollector:Sources:0:Name"] = "acme", ["KpiCollector:Sources:0:Platform"] = "zendeskk" } },
            { "RealSourceWithoutBaseUrlOrCredentials", new() { ["KpiCollector:Sources:0:Name"] = "acme", ["KpiCollector:Sources:0:Platform"] = "freshdesk" } },
            { "CredentialsAreNeverEchoed", new() { ["KpiCollector:Sources:0:Name"] = "acme", ["KpiCollector:Sources:0:Platform"] = "zendesk", ["KpiCollector:Sources:0:BaseUrl"] = "not a url", ["KpiCollector:Sources:0:ApiToken"] = Secret } },
            { "InvalidCron", new(Simulator) { ["KpiCollector:Sources:0:Cron"] = "every minute" } },
            { "DuplicateSourceNames", new(Simulator) { ["KpiCollector:Sources:1:Name"] = "other", ["KpiCollector:Sources:1:Platform"] = "simulator", ["KpiCollector:Sources:2:Name"] = "sim", ["KpiCollector:Sources:2:Platform"] = "simulator" } },
            { "EmptyWindowList", new() { ["KpiCollector:Windows"] = "" } },
            { "MalformedWindow", new() { ["KpiCollector:Windows:0"] = "1h", ["KpiCollector:Windows:1"] = "7x" } },
            { "WindowNotMultipleOfBucketWidth", new() { ["KpiCollector:Windows"] = "90s" } },
            {
                "InvalidSlaPolicy", new()
                {
                    ["KpiCollector:Sla:Policies:0:Name"] = "frt", ["KpiCollector:Sla:Policies:0:Metric"] = "first_reply", ["KpiCollector:Sla:Policies:0:Threshold"] = "0s",
                    ["KpiCollector:Sla:Policies:0:Objective"] = "95", ["KpiCollector:Sla:Policies:0:Channels:0"] = "telegram", ["KpiCollector:Sla:Policies:0:Calendar:TimeZone"] = "Mars/Olympus",
                }
            },
            {
                "MalformedBusinessHours", new()
                {
                    ["KpiCollector:Sla:Policies:0:Name"] = "frt", ["KpiCollector:Sla:Policies:0:Metric"] = "first_response", ["KpiCollector:Sla:Policies:0:Threshold"] = "1h",
                    ["KpiCollector:Sla:Policies:0:Objective"] = "0.9", ["KpiCollector:Sla:Policies:0:Calendar:TimeZone"] = "Europe/Rome", ["KpiCollector:Sla:Policies:0:Calendar:Hours:Monday"] = "9-18",
                }
            },
            { "CustomersFeedWithoutLocation", new() { ["KpiCollector:Sources:0:Name"] = "crm", ["KpiCollector:Sources:0:Platform"] = "customers" } },
            { "ZendeskTokenAuthWithoutEmail", new(Zendesk) { ["KpiCollector:Sources:0:Email"] = null } },
            { "AuthModeOnAPlatformWithOneWayToAuthenticate", new(Freshdesk) { ["KpiCollector:Sources:0:AuthMode"] = "oauth" } },
            { "ChatwootWithoutAccountId", new() { ["KpiCollector:Sources:0:Name"] = "cw", ["KpiCollector:Sources:0:Platform"] = "chatwoot", ["KpiCollector:Sources:0:BaseUrl"] = "https://chat.acme.com", ["KpiCollector:Sources:0:ApiToken"] = "token-value" } },
            { "NoFailureEchoesTheCredential", new(Zendesk) { ["KpiCollector:Sources:0:Timeout"] = "x", ["KpiCollector:Sources:0:Email"] = null } },
        };
        foreach (var interval in (string[])["0s", "0m", "-5m", "-1", "", "five minutes"])
        {
            data.Add($"ZeroNegativeOrMalformedInterval({interval})", new(Simulator) { ["KpiCollector:Sources:0:Interval"] = interval });
        }

        foreach (var (key, value) in (ValueTuple<string, string>[])[("KpiCollector:RefreshInterval", "0s"), ("KpiCollector:BucketWidth", "-1m"), ("KpiCollector:Simulator:Backfill", "0d")])
        {
            data.Add($"ZeroOrNegativeGlobalDurations({key})", new() { [key] = value });
        }

        foreach (var (key, value) in (ValueTuple<string, string>[])
        [
            ("Timeout", "0s"), ("Timeout", "1h"), ("RequestsPerMinute", "0"), ("MaxRetries", "11"), ("Backfill", "soon"), ("Backfill", "2m"), ("AuthMode", "password"),
            ("Zendesk:ExportRequestsPerMinute", "0"), ("Zendesk:PerPage", "5000"), ("Zendesk:Csat", "surveys"), ("Zendesk:CsatOverlap", "-1h"),
        ])
        {
            data.Add($"InvalidZendeskKey({key}={value})", new(Zendesk) { [$"KpiCollector:Sources:0:{key}"] = value });
        }

        foreach (var (key, value) in (ValueTuple<string, string>[])
        [
            ("Freshdesk:TicketsRequestsPerMinute", "0"), ("Freshdesk:PerPage", "101"), ("Freshdesk:SourceChannels:13", "telepathy"), ("Freshdesk:SourceChannels:sms", "sms"), ("Freshdesk:Statuses:6", "waiting"),
        ])
        {
            data.Add($"InvalidFreshdeskKey({key}={value})", new(Freshdesk) { [$"KpiCollector:Sources:0:{key}"] = value });
        }

        return data;
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [MemberData(nameof(InvalidConfigurations))]
    public async Task InvalidConfiguration_ExitsWith2_AndPrintsExactlyTheValidatorsMessages(string validationTest, Dictionary<string, string?> values)
    {
        var expected = Assert.Throws<OptionsValidationException>(() => OptionsValidationTests.Bind(values)).Failures.ToList();

        var (exitCode, output, error) = await RunAsync("config", values);

        Assert.True(exitCode == 2, $"{validationTest}: exit code {exitCode}\n{output}{error}");
        Assert.StartsWith("Invalid configuration, the collector would not start:", error, StringComparison.Ordinal);
        Assert.Equal(expected, Failures(error));
        Assert.Equal("", output); // nothing half-printed: no effective configuration of an invalid one
        Assert.DoesNotContain(Secret, error, StringComparison.Ordinal);
        Assert.DoesNotContain("t0ken-value", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidConfiguration_ExitsWith0_AndPrintsEachValueWithItsOrigin()
    {
        var (exitCode, output, error) = await RunAsync("config", new(Zendesk)
        {
            ["KpiCollector:Sources:0:ApiToken"] = Secret,
            ["KpiCollector:Sources:0:Zendesk:PerPage"] = "500",
            ["KpiCollector:Windows"] = "1h,1d",
        });

        Assert.True(exitCode == 0, output + error);
        Assert.Equal("", error);
        Assert.Contains("Configuration is valid: 1 source.", output, StringComparison.Ordinal);
        AssertEntry(output, "KpiCollector:Sources:0:ApiToken", "***", "in memory");
        AssertEntry(output, "KpiCollector:Sources:0:Zendesk:PerPage", "500", "command line");
        AssertEntry(output, "KpiCollector:Windows:1", "1d", "command line"); // from the comma-separated list
        AssertEntry(output, "KpiCollector:Sources:0:Zendesk:ExportRequestsPerMinute", "10", "default");
        AssertEntry(output, "KpiCollector:Sla:Policies:0:Name", "first_response", "default");
        AssertEntry(output, "KpiCollector:Sources:0:ApiTokenFile", "(not set)", "default");
        Assert.DoesNotContain("Sources:0:Freshdesk:", output, StringComparison.Ordinal); // another platform's defaults have no effect
        Assert.DoesNotContain(Secret, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASecretOnTheCommandLine_ExitsWith2_NamingTheKeyAndWhereItBelongs()
    {
        var (exitCode, output, error) = await RunAsync("config", new(Zendesk) { ["KpiCollector:Sources:0:ApiToken"] = Secret }, secretsOnTheCommandLine: true);

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Contains("  - KpiCollector:Sources:0:ApiToken: a secret is not accepted from the command line; set the environment variable KPICOLLECTOR__SOURCES__0__APITOKEN, or write it to a file and name the file in KpiCollector:Sources:0:ApiTokenFile, and remove it from there.", error, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecretsAndSecretFiles_AreRedactedOrShownByPath_AndAFileIsNeverRead()
    {
        var tokenFile = Path.Combine(_dir.Path, "zendesk.token");
        await File.WriteAllTextAsync(tokenFile, "file-secret-value\n");
        var (exitCode, output, _) = await RunAsync("config", new()
        {
            ["KpiCollector:Sources:0:Name"] = "wa",
            ["KpiCollector:Sources:0:Platform"] = "whatsapp",
            ["KpiCollector:Sources:0:ApiTokenFile"] = tokenFile,
            ["KpiCollector:Sources:0:WhatsApp:WabaId"] = "102290129340398",
            ["KpiCollector:Sources:0:WhatsApp:AppSecret"] = "app-secret-value",
            ["KpiCollector:Sources:0:WhatsApp:VerifyToken"] = "verify-token-value",
            ["KpiCollector:Sources:1:Name"] = "crm",
            ["KpiCollector:Sources:1:Platform"] = "customers",
            ["KpiCollector:Sources:1:BaseUrl"] = "https://feed:url-password-value@crm.example.com/customers.json",
        });

        Assert.True(exitCode == 0, output);
        AssertEntry(output, "KpiCollector:Sources:0:ApiTokenFile", tokenFile, "command line");
        AssertEntry(output, "KpiCollector:Sources:0:WhatsApp:AppSecret", "***", "in memory");
        AssertEntry(output, "KpiCollector:Sources:0:WhatsApp:VerifyToken", "***", "in memory");
        AssertEntry(output, "KpiCollector:Sources:1:BaseUrl", "https://***@crm.example.com/customers.json", "command line");
        foreach (var secret in (string[])["file-secret-value", "app-secret-value", "verify-token-value", "url-password-value"])
        {
            Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task NoSource_IsValid_WithADemoModeWarning_AndAnUnknownKeyIsNamed()
    {
        var (exitCode, output, error) = await RunAsync("config", new() { ["KpiCollector:RefreshIntervall"] = "5s" });

        Assert.Equal(0, exitCode);
        Assert.Contains("Configuration is valid: 0 sources.", output, StringComparison.Ordinal);
        Assert.Contains("warning: no source is configured (KpiCollector:Sources is empty): the collector would run in DEMO MODE", error, StringComparison.Ordinal);
        Assert.Contains("warning: KpiCollector:RefreshIntervall is set but is not a configuration key", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("sourcez")]
    public async Task UnknownSubcommand_PrintsTheUsage_AndExitsWith2(string subcommand)
    {
        var (exitCode, output, error) = await RunAsync(subcommand, []);

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Contains("Usage: KpiCollector check config", error, StringComparison.Ordinal);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public void ChildProcess_ValidConfiguration_TokenFromTheEnvironmentIsRedacted_AndNothingIsCreated()
    {
        var (exitCode, output) = CollectorProcess.Check(_dir.Path, "config", ["--KpiCollector:Sources:0:Email=ops@acme.com"], new Dictionary<string, string>
        {
            ["KPICOLLECTOR__SOURCES__0__NAME"] = "acme",
            ["KPICOLLECTOR__SOURCES__0__PLATFORM"] = "zendesk",
            ["KPICOLLECTOR__SOURCES__0__BASEURL"] = "https://acme.zendesk.com",
            ["KPICOLLECTOR__SOURCES__0__APITOKEN"] = Secret,
        });

        Assert.True(exitCode == 0, output);
        AssertEntry(output, "KpiCollector:Sources:0:ApiToken", "***", "environment (KPICOLLECTOR__SOURCES__0__APITOKEN)");
        AssertEntry(output, "KpiCollector:Sources:0:Email", "ops@acme.com", "command line");
        AssertEntry(output, "KpiCollector:BucketWidth", "1m", "file " + Path.Combine(Path.GetDirectoryName(typeof(KpiCollectorOptions).Assembly.Location)!, "appsettings.json"));
        AssertEntry(output, "KpiCollector:Sources:0:Timeout", "30s", "default");
        Assert.DoesNotContain(Secret, output, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.Path)); // no store opened, no data directory
    }

    [Trait("Category", "Integration")]
    [Fact]
    public void ChildProcess_InvalidConfiguration_ExitsWith2_WithTheMessagesTheStartLogs()
    {
        var environment = new Dictionary<string, string>
        {
            ["KPICOLLECTOR__WINDOWS"] = "1h,7x",
            ["KPICOLLECTOR__SOURCES__0__NAME"] = "acme",
            ["KPICOLLECTOR__SOURCES__0__PLATFORM"] = "zendesk",
            ["KPICOLLECTOR__SOURCES__0__APITOKEN"] = Secret,
        };

        var (exitCode, output) = CollectorProcess.Check(_dir.Path, "config", null, environment);
        int startExitCode;
        string startOutput;
        using (var start = CollectorProcess.Start(_dir.Path, environment: environment))
        {
            startExitCode = start.WaitForExit(TimeSpan.FromSeconds(60));
            startOutput = start.Output;
        }

        Assert.Equal(2, exitCode);
        Assert.Equal(2, startExitCode);
        var failures = Failures(output);
        Assert.Contains("KpiCollector:Windows:1: '7x' is not a window; use a positive whole number followed by s, m, h, d or w (for example 30s, 5m, 1h, 7d).", failures);
        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Sources:0:BaseUrl: required for platform 'zendesk'", StringComparison.Ordinal));
        Assert.All(failures, f => Assert.Contains(f, startOutput, StringComparison.Ordinal));
        Assert.DoesNotContain(Secret, output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The command's entry method, on the usual configuration arguments; secrets, which the command line may not carry,
    /// are given in memory (standing for the environment).
    /// </summary>
    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string subcommand, Dictionary<string, string?> values, bool secretsOnTheCommandLine = false)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var given = values.Where(v => v.Value is not null).ToList();
        var inMemory = given.Where(v => !secretsOnTheCommandLine && SecretKeys.IsSecret(v.Key)).ToList();
        string[] args = ["check", .. subcommand.Length == 0 ? Array.Empty<string>() : [subcommand], .. given.Except(inMemory).Select(v => $"--{v.Key}={v.Value}")];
        var exitCode = await CheckCommand.RunAsync(args, output, error, inMemory);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static List<string> Failures(string text) =>
        [.. text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("  - ", StringComparison.Ordinal)).Select(l => l[4..])];

    private static void AssertEntry(string output, string key, string value, string origin)
    {
        var line = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(key + " = ", StringComparison.Ordinal));
        Assert.True(line is not null, $"{key} is not listed:\n{output}");
        Assert.Equal($"{key} = {value}", line[..line.LastIndexOf('[')].TrimEnd());
        Assert.EndsWith($"[{origin}]", line, StringComparison.Ordinal);
    }
}
