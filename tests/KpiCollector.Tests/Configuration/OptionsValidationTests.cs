using KpiCollector.Sources;
using KpiCollector.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KpiCollector.Tests.Configuration;

/// <summary>Binds configuration the way the host does and checks what validation says about it.</summary>
public sealed class OptionsValidationTests
{
    [Fact]
    public void NoConfiguration_IsValidDemoModeWithDefaultWindows()
    {
        var options = Bind([]);

        Assert.True(options.DemoMode);
        Assert.Equal(["1h", "24h", "7d", "30d"], options.Windows);
    }

    [Fact]
    public void UnknownPlatform_NamesTheKeyAndTheAllowedValues()
    {
        var failures = Fail(new()
        {
            ["KpiCollector:Sources:0:Name"] = "acme",
            ["KpiCollector:Sources:0:Platform"] = "zendeskk",
        });

        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Sources:0:Platform: 'zendeskk' is not a known platform", StringComparison.Ordinal)
            && f.Contains("zendesk, freshdesk, chatwoot, whatsapp, simulator, customers", StringComparison.Ordinal));
    }

    [Fact]
    public void RealSourceWithoutBaseUrlOrCredentials_NamesBothKeys()
    {
        var failures = Fail(new()
        {
            ["KpiCollector:Sources:0:Name"] = "acme",
            ["KpiCollector:Sources:0:Platform"] = "freshdesk",
        });

        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Sources:0:BaseUrl: required for platform 'freshdesk'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Sources:0:ApiToken: credentials are required", StringComparison.Ordinal)
            && f.Contains("KPICOLLECTOR__SOURCES__0__APITOKEN", StringComparison.Ordinal));
    }

    [Fact]
    public void CredentialsAreNeverEchoed()
    {
        var failures = Fail(new()
        {
            ["KpiCollector:Sources:0:Name"] = "acme",
            ["KpiCollector:Sources:0:Platform"] = "zendesk",
            ["KpiCollector:Sources:0:BaseUrl"] = "not a url",
            ["KpiCollector:Sources:0:ApiToken"] = "s3cr3t-token-value",
        });

        Assert.DoesNotContain(failures, f => f.Contains("s3cr3t", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("0m")]
    [InlineData("-5m")]
    [InlineData("-1")]
    [InlineData("")]
    [InlineData("five minutes")]
    public void ZeroNegativeOrMalformedInterval_IsRejected(string interval)
    {
        var failures = Fail(new()
        {
            ["KpiCollector:Sources:0:Name"] = "sim",
            ["KpiCollector:Sources:0:Platform"] = "simulator",
            ["KpiCollector:Sources:0:Interval"] = interval,
        });

        Assert.Contains(failures, f => f.StartsWith($"KpiCollector:Sources:0:Interval: '{interval}' is not a positive duration", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("KpiCollector:RefreshInterval", "0s")]
    [InlineData("KpiCollector:BucketWidth", "-1m")]
    [InlineData("KpiCollector:Simulator:Backfill", "0d")]
    public void ZeroOrNegativeGlobalDurations_AreRejected(string key, string value)
    {
        var failures = Fail(new() { [key] = value });

        Assert.Contains(failures, f => f.StartsWith($"{key}: '{value}' is not a positive duration", StringComparison.Ordinal));
    }

    [Fact]
    public void InvalidCron_IsRejected()
    {
        var failures = Fail(new()
        {
            ["KpiCollector:Sources:0:Name"] = "sim",
            ["KpiCollector:Sources:0:Platform"] = "simulator",
            ["KpiCollector:Sources:0:Cron"] = "every minute",
        });

        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Sources:0:Cron: 'every minute' is not a Quartz cron expression", StringComparison.Ordinal));
    }

    [Fact]
    public void DuplicateSourceNames_NameBothPositions()
    {
        var failures = Fail(new()
        {
            ["KpiCollector:Sources:0:Name"] = "sim",
            ["KpiCollector:Sources:0:Platform"] = "simulator",
            ["KpiCollector:Sources:1:Name"] = "other",
            ["KpiCollector:Sources:1:Platform"] = "simulator",
            ["KpiCollector:Sources:2:Name"] = "sim",
            ["KpiCollector:Sources:2:Platform"] = "simulator",
        });

        Assert.Equal(["KpiCollector:Sources:2:Name: 'sim' is already used by KpiCollector:Sources:0; source names must be unique."], failures);
    }

    [Fact]
    public void EmptyWindowList_IsRejected()
    {
        var failures = Fail(new() { ["KpiCollector:Windows"] = "" });

        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Windows: the window list is empty", StringComparison.Ordinal));
    }

    [Fact]
    public void MalformedWindow_NamesItsIndexAndTheSyntax()
    {
        var failures = Fail(new()
        {
            ["KpiCollector:Windows:0"] = "1h",
            ["KpiCollector:Windows:1"] = "7x",
        });

        Assert.Equal(["KpiCollector:Windows:1: '7x' is not a window; use a positive whole number followed by s, m, h, d or w (for example 30s, 5m, 1h, 7d)."], failures);
    }

    [Fact]
    public void WindowsFromAnEnvironmentStyleList_AreSplitOnCommas()
    {
        var options = Bind(new() { ["KpiCollector:Windows"] = "5m, 1h,1d" });

        Assert.Equal(["5m", "1h", "1d"], options.Windows);
    }

    [Fact]
    public void WindowNotMultipleOfBucketWidth_IsRejected()
    {
        var failures = Fail(new() { ["KpiCollector:Windows"] = "90s" });

        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Windows:0: '90s' is not a whole multiple of KpiCollector:BucketWidth", StringComparison.Ordinal));
    }

    [Fact]
    public void ValidRealSource_Passes()
    {
        var options = Bind(new()
        {
            ["KpiCollector:Sources:0:Name"] = "acme-support",
            ["KpiCollector:Sources:0:Platform"] = "Zendesk",
            ["KpiCollector:Sources:0:BaseUrl"] = "https://acme.zendesk.com",
            ["KpiCollector:Sources:0:ApiToken"] = "token",
            ["KpiCollector:Sources:0:Email"] = "ops@acme.com",
            ["KpiCollector:Sources:0:Cron"] = "0 */5 * * * ?",
        });

        Assert.False(options.DemoMode);
    }

    [Fact]
    public void NoSlaConfiguration_GivesTheDefaultPoliciesAndWindows()
    {
        var options = Bind([]);

        Assert.Equal(["first_response", "whatsapp_first_human_response", "next_response", "resolution"], options.Sla.Policies.Select(p => p.Name));
        Assert.Equal(["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"], options.Sla.Windows);
    }

    [Fact]
    public void InvalidSlaPolicy_NamesEachKey()
    {
        var failures = Fail(new()
        {
            ["KpiCollector:Sla:Policies:0:Name"] = "frt",
            ["KpiCollector:Sla:Policies:0:Metric"] = "first_reply",
            ["KpiCollector:Sla:Policies:0:Threshold"] = "0s",
            ["KpiCollector:Sla:Policies:0:Objective"] = "95",
            ["KpiCollector:Sla:Policies:0:Channels:0"] = "telegram",
            ["KpiCollector:Sla:Policies:0:Calendar:TimeZone"] = "Mars/Olympus",
        });

        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Sla:Policies:0:Metric: 'first_reply' is not an SLA metric; allowed values: first_response, next_response, resolution", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Sla:Policies:0:Threshold: '0s' is not a positive duration", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Sla:Policies:0:Objective: 95 is out of range", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Sla:Policies:0:Channels:0: 'telegram' is not a channel", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Sla:Policies:0:Calendar:TimeZone: 'Mars/Olympus' is not a known time zone", StringComparison.Ordinal));
    }

    [Fact]
    public void MalformedBusinessHours_NameTheDay()
    {
        var failures = Fail(new()
        {
            ["KpiCollector:Sla:Policies:0:Name"] = "frt",
            ["KpiCollector:Sla:Policies:0:Metric"] = "first_response",
            ["KpiCollector:Sla:Policies:0:Threshold"] = "1h",
            ["KpiCollector:Sla:Policies:0:Objective"] = "0.9",
            ["KpiCollector:Sla:Policies:0:Calendar:TimeZone"] = "Europe/Rome",
            ["KpiCollector:Sla:Policies:0:Calendar:Hours:Monday"] = "9-18",
        });

        Assert.Equal(["KpiCollector:Sla:Policies:0:Calendar:Hours:Monday: '9-18' is not an opening interval; use HH:mm-HH:mm (e.g. 09:00-18:00), several separated by commas."], failures);
    }

    [Fact]
    public void CustomersFeedWithoutLocation_NamesBaseUrl()
    {
        var failures = Fail(new()
        {
            ["KpiCollector:Sources:0:Name"] = "crm",
            ["KpiCollector:Sources:0:Platform"] = "customers",
        });

        Assert.Equal(["KpiCollector:Sources:0:BaseUrl: required for platform 'customers': the feed's location, file:///path/customers.json or an http(s) URL."], failures);
    }

    internal static KpiCollectorOptions Bind(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddBuiltInPlatforms();
        services.AddKpiCollectorOptions();
        return services.BuildServiceProvider().GetRequiredService<IOptions<KpiCollectorOptions>>().Value;
    }

    private static IReadOnlyList<string> Fail(Dictionary<string, string?> values) =>
        Assert.Throws<OptionsValidationException>(() => Bind(values)).Failures.ToList();
}
