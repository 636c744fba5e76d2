using KpiCollector.Configuration;
using KpiCollector.Sources;
using KpiCollector.Sources.Chatwoot;
using KpiCollector.Sources.Freshdesk;
using KpiCollector.Sources.Http;
using KpiCollector.Sources.Zendesk;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KpiCollector.Tests.Sources;

/// <summary>The factory wires each platform to its connector, and credentials come from where the configuration says.</summary>
public sealed class SourceFactoryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void EachImplementedPlatform_GetsItsConnector_WithItsOwnStatus()
    {
        var options = new KpiCollectorOptions
        {
            Sources =
            [
                Remote("zd", Platforms.Zendesk, s => s.Email = "ops@acme.test"),
                Remote("fd", Platforms.Freshdesk),
                Remote("cw", Platforms.Chatwoot, s => s.Chatwoot.AccountId = 1),
            ],
        };

        var sources = new SourceFactory(TimeProvider.System, NullLoggerFactory.Instance).Create(options);
        using var registry = new SourceRegistry(sources, demoMode: false);

        Assert.IsType<ZendeskSource>(sources[0]);
        Assert.IsType<FreshdeskSource>(sources[1]);
        Assert.IsType<ChatwootSource>(sources[2]);
        Assert.All(sources, s => Assert.Same(((ISourceWithStatus)s).Status, registry.StatusOf(s.Name))); // the registry adopts the source's status
    }

    [Fact]
    public void WhatsApp_IsStillRefusedAtStart_NamingTheKey()
    {
        var options = new KpiCollectorOptions { Sources = [Remote("wa", Platforms.WhatsApp)] };

        var ex = Assert.Throws<OptionsValidationException>(() => new SourceFactory(TimeProvider.System, NullLoggerFactory.Instance).Create(options));

        Assert.StartsWith("KpiCollector:Sources:0:Platform: the 'whatsapp' connector is not part of this build yet", Assert.Single(ex.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void ACredentialFile_IsRead_TrailingWhitespaceIgnored_AndTheHintNamesTheFileKey()
    {
        var file = _dir.File("token");
        File.WriteAllText(file, "t0ken-from-a-mounted-secret\n");

        var (secret, hint) = CredentialSource.Read(new SourceOptions { ApiTokenFile = file }, 2);

        Assert.Equal("t0ken-from-a-mounted-secret", secret);
        Assert.Equal("the credential in the file named by KpiCollector:Sources:2:ApiTokenFile", hint);
    }

    [Fact]
    public void AnUnreadableCredentialFile_FailsTheStartNamingTheKey()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => CredentialSource.Read(new SourceOptions { ApiTokenFile = _dir.Path }, 0));

        Assert.StartsWith("KpiCollector:Sources:0:ApiTokenFile: cannot read the file", ex.Message, StringComparison.Ordinal);
    }

    private static SourceOptions Remote(string name, string platform, Action<SourceOptions>? adjust = null)
    {
        var s = new SourceOptions { Name = name, Platform = platform, BaseUrl = "https://example.test", ApiToken = "token" };
        adjust?.Invoke(s);
        return s;
    }
}
