using KpiCollector.Sources;
using KpiCollector.Configuration;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace KpiCollector.Tests.Configuration;

/// <summary>
/// Values the binder cannot convert, or that sit where another shape is expected, stop the start naming their key,
/// in list elements as at the top; keys nothing reads are warnings naming the nearest known key.
/// </summary>
public sealed class ConfigurationShapeTests
{
    private static readonly Dictionary<string, string?> OneSource = new()
    {
        ["KpiCollector:Sources:0:Name"] = "acme",
        ["KpiCollector:Sources:0:Platform"] = "simulator",
    };

    [Theory]
    [InlineData("KpiCollector:Sources:0:MaxRetries", "four", "KpiCollector:Sources:0:MaxRetries: 'four' is not a whole number.")]
    [InlineData("KpiCollector:Sla:Policies:0:Objective", "ninety", "KpiCollector:Sla:Policies:0:Objective: 'ninety' is not a number (with a dot for decimals, e.g. 0.9).")]
    [InlineData("KpiCollector:Simulator:Seed", "abc", "KpiCollector:Simulator:Seed: 'abc' is not a whole number.")]
    [InlineData("KpiCollector:Sources:0:Simulator:Agents", "many", "KpiCollector:Sources:0:Simulator:Agents: 'many' is not a whole number.")]
    [InlineData("KpiCollector:Sources", "zendesk", "KpiCollector:Sources: 'zendesk' is a single value where a list is expected")]
    [InlineData("KpiCollector:Sources:0:Interval", "5m", "KpiCollector:Sources:0: both Interval ('5m') and Cron ('0 */5 * * * ?') are set; set one of them.")]
    [InlineData("KpiCollector:Store", "/tmp/x.db", "KpiCollector:Store: '/tmp/x.db' is a single value where a section of settings is expected.")]
    public void AValueOfTheWrongShape_IsAFailureNamingItsKey(string key, string value, string expected)
    {
        var values = new Dictionary<string, string?>(OneSource) { [key] = value };
        if (key.EndsWith(":Interval", StringComparison.Ordinal))
        {
            values["KpiCollector:Sources:0:Cron"] = "0 */5 * * * ?";
        }

        if (key.Contains("Policies", StringComparison.Ordinal))
        {
            values["KpiCollector:Sla:Policies:0:Name"] = "first_response";
            values["KpiCollector:Sla:Policies:0:Metric"] = "first_response";
            values["KpiCollector:Sla:Policies:0:Threshold"] = "10m";
        }

        if (key == "KpiCollector:Sources")
        {
            values.Remove("KpiCollector:Sources:0:Name");
            values.Remove("KpiCollector:Sources:0:Platform");
        }

        var failures = Assert.Throws<OptionsValidationException>(() => OptionsValidationTests.Bind(values)).Failures.ToList();
        Assert.Contains(failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void OneBadSourceOfTwo_DoesNotVanish_ItStopsTheStart()
    {
        var values = new Dictionary<string, string?>(OneSource)
        {
            ["KpiCollector:Sources:1:Name"] = "beta",
            ["KpiCollector:Sources:1:Platform"] = "simulator",
            ["KpiCollector:Sources:1:MaxRetries"] = "4.5",
        };
        var failure = Assert.Single(Assert.Throws<OptionsValidationException>(() => OptionsValidationTests.Bind(values)).Failures);
        Assert.Equal("KpiCollector:Sources:1:MaxRetries: '4.5' is not a whole number.", failure);
    }

    [Fact]
    public void WellShapedConfigurations_PassAndBindAsBefore()
    {
        var options = OptionsValidationTests.Bind(new Dictionary<string, string?>(OneSource)
        {
            ["KpiCollector:Windows"] = "1h,24h",                       // a comma list in one value stays allowed
            ["KpiCollector:Sla:Policies:0:Name"] = "frt",
            ["KpiCollector:Sla:Policies:0:Metric"] = "first_response",
            ["KpiCollector:Sla:Policies:0:Threshold"] = "10m",
            ["KpiCollector:Sla:Policies:0:Objective"] = "0.9",
            ["KpiCollector:Sla:Policies:0:Calendar:TimeZone"] = "Europe/Rome",
            ["KpiCollector:Sla:Policies:0:Calendar:Hours:Monday"] = "09:00-18:00",
            ["KpiCollector:Sources:0:MaxRetries"] = "2",
            ["KpiCollector:Sources:0:RequestsPerMinute"] = "",           // empty: the default
        });
        Assert.Equal(["1h", "24h"], options.Windows);
        Assert.Equal(2, options.Sources[0].MaxRetries);
        Assert.Equal(0.9, options.Sla.Policies[0].Objective);
    }

    [Fact]
    public void AnotherPlatformsSection_IsAnUnknownKey_AndItsOwnSectionIsCheckedByItsOwnType()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>(OneSource)
        {
            ["KpiCollector:Sources:0:Chatwoot:Csat"] = "maybe",
            ["KpiCollector:Sources:0:Simulator:Seed"] = "7",
        }).Build();
        var (failures, warnings) = ConfigurationShape.Check(configuration, BuiltInPlatforms.Catalog());
        Assert.Empty(failures); // the Chatwoot section of a simulator source is not read, so its value is not converted
        Assert.Contains(warnings, w => w.StartsWith("KpiCollector:Sources:0:Chatwoot: unknown key, ignored", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings, w => w.Contains("Simulator", StringComparison.Ordinal));
    }

    [Fact]
    public void AnUnknownKey_IsAWarningNamingTheNearestKnownOne()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>(OneSource)
        {
            ["KpiCollector:Sources:0:Intervall"] = "5m",
            ["KpiCollector:Refresh"] = "5s",
            ["KpiCollector:Zzzzzzzz"] = "1",
        }).Build();
        var (failures, warnings) = ConfigurationShape.Check(configuration, BuiltInPlatforms.Catalog());
        Assert.Empty(failures);
        Assert.Contains("KpiCollector:Sources:0:Intervall: unknown key, ignored; did you mean KpiCollector:Sources:0:Interval?", warnings);
        Assert.Contains(warnings, w => w.StartsWith("KpiCollector:Zzzzzzzz: unknown key, ignored", StringComparison.Ordinal));
    }

    [Trait("Category", "Integration")]
    [Fact]
    public void TheProcess_ExitsTwoWithTheKey_WhereTheOnlySourceOnceBecameDemoMode()
    {
        using var dir = new TempDirectory();
        using var collector = CollectorProcess.Start(dir.Path, environment: new Dictionary<string, string>
        {
            ["KPICOLLECTOR__SOURCES__0__NAME"] = "acme",
            ["KPICOLLECTOR__SOURCES__0__PLATFORM"] = "simulator",
            ["KPICOLLECTOR__SOURCES__0__MAXRETRIES"] = "four",
        });

        Assert.Equal(2, collector.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("KpiCollector:Sources:0:MaxRetries: 'four' is not a whole number.", collector.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("DEMO MODE", collector.Output, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?m)^\s+at [A-Za-z]", collector.Output);
    }

    private static readonly Dictionary<string, string?> WhatsAppSource = new()
    {
        ["KpiCollector:Sources:0:Name"] = "wa",
        ["KpiCollector:Sources:0:Platform"] = "whatsapp",
        ["KpiCollector:Sources:0:WhatsApp:WabaId"] = "102290129340398",
    };

    [Fact]
    public void ASecretInASettingsFile_IsRefusedNamingTheKeyAndTheFile_EvenWhenTheEnvironmentOverridesIt()
    {
        using var dir = new TempDirectory();
        var file = dir.File("appsettings.json");
        File.WriteAllText(file, """
            { "KpiCollector": { "Sources": [ { "Name": "wa", "Platform": "whatsapp", "ApiToken": "json-token-value",
              "WhatsApp": { "WabaId": "102290129340398", "AppSecret": "json-secret-value" } } ] } }
            """);
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(file)
            .AddInMemoryCollection(new Dictionary<string, string?> { ["KpiCollector:Sources:0:ApiToken"] = "from-the-environment" })
            .Build();

        var (failures, _) = ConfigurationShape.Check(configuration, BuiltInPlatforms.Catalog());

        Assert.Equal(
        [
            $"KpiCollector:Sources:0:ApiToken: a secret is not accepted from the settings file {file}; set the environment variable KPICOLLECTOR__SOURCES__0__APITOKEN, or write it to a file and name the file in KpiCollector:Sources:0:ApiTokenFile, and remove it from there.",
            $"KpiCollector:Sources:0:WhatsApp:AppSecret: a secret is not accepted from the settings file {file}; set the environment variable KPICOLLECTOR__SOURCES__0__WHATSAPP__APPSECRET, or write it to a file and name the file in KpiCollector:Sources:0:WhatsApp:AppSecretFile, and remove it from there.",
        ], failures);
        Assert.DoesNotContain(failures, f => f.Contains("-value", StringComparison.Ordinal) || f.Contains("from-the-environment", StringComparison.Ordinal));
    }

    [Fact]
    public void ASecretOnTheCommandLine_IsRefused_AndInTheEnvironmentOrAFileItIsNot()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(WhatsAppSource) // stands for the environment: not refused
            .AddInMemoryCollection(new Dictionary<string, string?> { ["KpiCollector:Sources:0:ApiToken"] = "environment-token" })
            .AddCommandLine(["--KpiCollector:Sources:0:WhatsApp:VerifyToken=cli-verify-value", "--KpiCollector:Sources:0:WhatsApp:AppSecretFile=/run/secrets/wa"])
            .Build();

        var (failures, _) = ConfigurationShape.Check(configuration, BuiltInPlatforms.Catalog());

        var failure = Assert.Single(failures);
        Assert.Equal("KpiCollector:Sources:0:WhatsApp:VerifyToken: a secret is not accepted from the command line; set the environment variable KPICOLLECTOR__SOURCES__0__WHATSAPP__VERIFYTOKEN, or write it to a file and name the file in KpiCollector:Sources:0:WhatsApp:VerifyTokenFile, and remove it from there.", failure);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public void TheProcess_ExitsTwo_OnATokenGivenOnItsCommandLine_WithoutEchoingIt()
    {
        using var dir = new TempDirectory();
        using var collector = CollectorProcess.Start(dir.Path, [
            "--KpiCollector:Sources:0:Name=zd",
            "--KpiCollector:Sources:0:Platform=zendesk",
            "--KpiCollector:Sources:0:BaseUrl=https://acme.zendesk.com",
            "--KpiCollector:Sources:0:Email=ops@acme.com",
            "--KpiCollector:Sources:0:ApiToken=cli-token-c0ffee",
        ]);

        Assert.Equal(2, collector.WaitForExit(TimeSpan.FromSeconds(60)));
        const string refusal = "KpiCollector:Sources:0:ApiToken: a secret is not accepted from the command line; set the environment variable KPICOLLECTOR__SOURCES__0__APITOKEN";
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(collector.Output, System.Text.RegularExpressions.Regex.Escape(refusal))); // said once, not once per copy of the command line
        Assert.DoesNotContain("cli-token-c0ffee", collector.Output, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?m)^\s+at [A-Za-z]", collector.Output);
    }
}
