using KpiCollector.Configuration;
using KpiCollector.Sources;
using KpiCollector.Sources.Chatwoot;
using KpiCollector.Sources.Freshdesk;
using KpiCollector.Sources.Http;
using KpiCollector.Sources.WhatsApp;
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
                Remote("zd", ZendeskPlatform.Id, s => s.Email = "ops@acme.test"),
                Remote("fd", FreshdeskPlatform.Id),
                Remote("cw", ChatwootPlatform.Id, s => s.Settings = new ChatwootSettings { AccountId = 1 }),
                Remote("wa", WhatsAppPlatform.Id, s => s.Settings = new WhatsAppSettings { WabaId = "102290129340398" }),
            ],
        };

        var sources = TestSourceFactory.Create().Create(options);
        using var registry = new SourceRegistry(sources, demoMode: false);

        Assert.IsType<ZendeskSource>(sources[0]);
        Assert.IsType<FreshdeskSource>(sources[1]);
        Assert.IsType<ChatwootSource>(sources[2]);
        Assert.Null(Assert.IsType<WhatsAppSource>(sources[3]).Receiver); // no app secret: no webhook receiver
        Assert.All(sources, s => Assert.Same(((ISourceWithStatus)s).Status, registry.StatusOf(s.Name))); // the registry adopts the source's status
    }

    [Fact]
    public void AWhatsAppSourceWithAnAppSecret_ReceivesWebhooks_WithTheSecretsFromFiles()
    {
        var secret = _dir.File("app-secret");
        var verify = _dir.File("verify-token");
        File.WriteAllText(secret, "app-secret-value\n");
        File.WriteAllText(verify, "verify-me\n");
        var options = new KpiCollectorOptions
        {
            Sources = [Remote("wa", WhatsAppPlatform.Id, s => s.Settings = new WhatsAppSettings { WabaId = "1", AppSecretFile = secret, VerifyTokenFile = verify })],
        };
        using var store = new KpiCollector.Storage.SqliteStore(_dir.File("store.db"), NullLogger<KpiCollector.Storage.SqliteStore>.Instance);
        store.Open();

        var source = Assert.IsType<WhatsAppSource>(Assert.Single(TestSourceFactory.Create(store).Create(options)));

        Assert.Equal("challenge-1", source.Receiver!.Verify("subscribe", "verify-me", "challenge-1"));
        Assert.Null(source.Receiver.Verify("subscribe", "verify-me ", "challenge-1"));
        source.Dispose();
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
