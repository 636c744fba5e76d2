using KpiCollector.Sources.Chatwoot;
using KpiCollector.Sources.Freshdesk;
using KpiCollector.Sources.Zendesk;
using Microsoft.Extensions.Options;

namespace KpiCollector.Tests.Configuration;

/// <summary>The keys of real-platform sources: each failure names its key and what it accepts.</summary>
public sealed class SourceOptionsValidationTests
{
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

    [Fact]
    public void ZendeskDefaults_AreValid()
    {
        var source = OptionsValidationTests.Bind(Zendesk).Sources.Single();

        Assert.Equal(("30s", null, 4, "30d"), (source.Timeout, source.RequestsPerMinute, source.MaxRetries, source.Backfill));
        Assert.Equal((10, 1000, "auto", "1h"), (source.SettingsOf<ZendeskSettings>().ExportRequestsPerMinute, source.SettingsOf<ZendeskSettings>().PerPage, source.SettingsOf<ZendeskSettings>().Csat, source.SettingsOf<ZendeskSettings>().CsatOverlap));
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("legacy")]
    [InlineData("survey_responses")]
    [InlineData("off")]
    [InlineData("none")] // the name off had before survey responses were read
    [InlineData("Survey_Responses")]
    public void ZendeskCsatModes_AreAccepted(string mode)
    {
        var source = OptionsValidationTests.Bind(new(Zendesk) { ["KpiCollector:Sources:0:Zendesk:Csat"] = mode }).Sources.Single(); // throws when invalid

        Assert.Equal(mode, source.SettingsOf<ZendeskSettings>().Csat);
    }

    [Theory]
    [InlineData("Timeout", "0s", "KpiCollector:Sources:0:Timeout: '0s' is not a timeout")]
    [InlineData("Timeout", "1h", "KpiCollector:Sources:0:Timeout: '1h' is not a timeout; use a positive whole number followed by s, m, h, d or w (for example 30s, 5m, 1h, 7d), at most 10m.")]
    [InlineData("RequestsPerMinute", "0", "KpiCollector:Sources:0:RequestsPerMinute: 0 is out of range; allowed: 1 to 100000 (default for zendesk: 200).")]
    [InlineData("MaxRetries", "11", "KpiCollector:Sources:0:MaxRetries: 11 is out of range; allowed: 0 to 10.")]
    [InlineData("Backfill", "soon", "KpiCollector:Sources:0:Backfill: 'soon' is not a positive duration")]
    [InlineData("Backfill", "2m", "KpiCollector:Sources:0:Backfill: '2m' is too short for zendesk")]
    [InlineData("AuthMode", "password", "KpiCollector:Sources:0:AuthMode: 'password' is not a Zendesk authentication mode; allowed values: token, oauth.")]
    [InlineData("Zendesk:ExportRequestsPerMinute", "0", "KpiCollector:Sources:0:Zendesk:ExportRequestsPerMinute: 0 is out of range; allowed: 1 to 1000")]
    [InlineData("Zendesk:PerPage", "5000", "KpiCollector:Sources:0:Zendesk:PerPage: 5000 is out of range; allowed: 1 to 1000.")]
    [InlineData("Zendesk:Csat", "surveys", "KpiCollector:Sources:0:Zendesk:Csat: 'surveys' is not a CSAT mode; allowed values: auto, legacy, survey_responses, off.")]
    [InlineData("Zendesk:CsatOverlap", "-1h", "KpiCollector:Sources:0:Zendesk:CsatOverlap: '-1h' is not a positive duration")]
    public void InvalidZendeskKey_IsNamedWithWhatItAccepts(string key, string value, string expected)
    {
        var failures = Fail(new(Zendesk) { [$"KpiCollector:Sources:0:{key}"] = value });

        Assert.Contains(failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void ZendeskTokenAuthWithoutEmail_NamesTheEmailKeyAndTheAlternative()
    {
        var failures = Fail(new(Zendesk) { ["KpiCollector:Sources:0:Email"] = null });

        var failure = Assert.Single(failures);
        Assert.StartsWith("KpiCollector:Sources:0:Email: required for Zendesk API-token authentication", failure, StringComparison.Ordinal);
        Assert.Contains("KpiCollector:Sources:0:AuthMode to oauth", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void ZendeskOAuth_NeedsNoEmail()
    {
        var options = OptionsValidationTests.Bind(new(Zendesk) { ["KpiCollector:Sources:0:Email"] = null, ["KpiCollector:Sources:0:AuthMode"] = "OAuth" });

        Assert.Equal("OAuth", options.Sources[0].AuthMode);
    }

    [Fact]
    public void AuthModeOnAPlatformWithOneWayToAuthenticate_IsRejected()
    {
        var failures = Fail(new()
        {
            ["KpiCollector:Sources:0:Name"] = "fd",
            ["KpiCollector:Sources:0:Platform"] = "freshdesk",
            ["KpiCollector:Sources:0:BaseUrl"] = "https://acme.freshdesk.com",
            ["KpiCollector:Sources:0:ApiToken"] = "key",
            ["KpiCollector:Sources:0:AuthMode"] = "oauth",
        });

        Assert.Contains("KpiCollector:Sources:0:AuthMode: 'oauth' is not used by platform 'freshdesk', which authenticates one way only; leave it empty.", failures);
    }

    [Theory]
    [InlineData("Freshdesk:TicketsRequestsPerMinute", "0", "KpiCollector:Sources:0:Freshdesk:TicketsRequestsPerMinute: 0 is out of range; allowed: 1 to 10000")]
    [InlineData("Freshdesk:PerPage", "101", "KpiCollector:Sources:0:Freshdesk:PerPage: 101 is out of range; allowed: 1 to 100.")]
    [InlineData("Freshdesk:SourceChannels:13", "telepathy", "KpiCollector:Sources:0:Freshdesk:SourceChannels:13: 'telepathy' is not a channel; allowed values: whatsapp, email, chat, phone, web, social, sms, api, other.")]
    [InlineData("Freshdesk:SourceChannels:sms", "sms", "KpiCollector:Sources:0:Freshdesk:SourceChannels:sms: 'sms' is not a Freshdesk source code")]
    [InlineData("Freshdesk:Statuses:6", "waiting", "KpiCollector:Sources:0:Freshdesk:Statuses:6: 'waiting' is not a status; allowed values: new, open, pending, on_hold, solved, closed.")]
    public void InvalidFreshdeskKey_IsNamedWithWhatItAccepts(string key, string value, string expected)
    {
        var failures = Fail(new(Freshdesk) { [$"KpiCollector:Sources:0:{key}"] = value });

        Assert.Contains(failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void FreshdeskDefaultsAndOverrides_AreValid()
    {
        var source = OptionsValidationTests.Bind(new(Freshdesk)
        {
            ["KpiCollector:Sources:0:Freshdesk:SourceChannels:101"] = "sms",
            ["KpiCollector:Sources:0:Freshdesk:Statuses:7"] = "on_hold",
        }).Sources.Single();

        Assert.Equal((20, 100, true), (source.SettingsOf<FreshdeskSettings>().TicketsRequestsPerMinute, source.SettingsOf<FreshdeskSettings>().PerPage, source.SettingsOf<FreshdeskSettings>().Csat));
        Assert.Equal("sms", source.SettingsOf<FreshdeskSettings>().SourceChannels["101"]);
    }

    [Fact]
    public void ChatwootWithoutAccountId_NamesTheKey()
    {
        var source = new Dictionary<string, string?>
        {
            ["KpiCollector:Sources:0:Name"] = "cw",
            ["KpiCollector:Sources:0:Platform"] = "chatwoot",
            ["KpiCollector:Sources:0:BaseUrl"] = "https://chat.acme.com",
            ["KpiCollector:Sources:0:ApiToken"] = "token-value",
        };

        var failure = Assert.Single(Fail(source));
        Assert.StartsWith("KpiCollector:Sources:0:Chatwoot:AccountId: required for platform 'chatwoot'", failure, StringComparison.Ordinal);
        Assert.Equal(3, OptionsValidationTests.Bind(new(source) { ["KpiCollector:Sources:0:Chatwoot:AccountId"] = "3" }).Sources[0].SettingsOf<ChatwootSettings>().AccountId);
    }

    [Theory]
    [InlineData("zendesk", "Zendesk", "soon", "KpiCollector:Sources:0:Zendesk:OpenSetInterval: 'soon' is not a positive duration")]
    [InlineData("zendesk", "Zendesk", "1m", "KpiCollector:Sources:0:Zendesk:OpenSetInterval: '1m' is too short; each reconciliation lists every open conversation, use 5m or more")]
    [InlineData("freshdesk", "Freshdesk", "0h", "KpiCollector:Sources:0:Freshdesk:OpenSetInterval: '0h' is not a positive duration")]
    [InlineData("chatwoot", "Chatwoot", "4m", "KpiCollector:Sources:0:Chatwoot:OpenSetInterval: '4m' is too short")]
    public void InvalidOpenSetInterval_NamesThePlatformsKey(string platform, string section, string value, string expected)
    {
        var values = new Dictionary<string, string?>(platform == "freshdesk" ? Freshdesk : Zendesk)
        {
            ["KpiCollector:Sources:0:Platform"] = platform,
            ["KpiCollector:Sources:0:Chatwoot:AccountId"] = "3",
            [$"KpiCollector:Sources:0:{section}:OpenSetInterval"] = value,
        };

        var failure = Assert.Single(Fail(values));
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenSetInterval_DefaultsToAnHour_AndTakesADuration()
    {
        Assert.Equal("1h", OptionsValidationTests.Bind(Zendesk).Sources[0].SettingsOf<ZendeskSettings>().OpenSetInterval);
        Assert.Equal("1h", OptionsValidationTests.Bind(Freshdesk).Sources[0].SettingsOf<FreshdeskSettings>().OpenSetInterval);
        var source = OptionsValidationTests.Bind(new(Freshdesk) { ["KpiCollector:Sources:0:Freshdesk:OpenSetInterval"] = "6h" }).Sources.Single();
        Assert.Equal("6h", source.SettingsOf<FreshdeskSettings>().OpenSetInterval);
    }

    [Fact]
    public void NoFailureEchoesTheCredential()
    {
        var failures = Fail(new(Zendesk) { ["KpiCollector:Sources:0:Timeout"] = "x", ["KpiCollector:Sources:0:Email"] = null });

        Assert.DoesNotContain(failures, f => f.Contains("t0ken-value", StringComparison.Ordinal));
    }

    private static IReadOnlyList<string> Fail(Dictionary<string, string?> values) =>
        Assert.Throws<OptionsValidationException>(() => OptionsValidationTests.Bind(values)).Failures.ToList();
}
