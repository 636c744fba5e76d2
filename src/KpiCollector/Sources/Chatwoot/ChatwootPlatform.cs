using System.Globalization;
using KpiCollector.Checks;
using KpiCollector.Configuration;
using KpiCollector.Storage;

namespace KpiCollector.Sources.Chatwoot;

/// <summary>Chatwoot: conversations, their messages and CSAT of one account (docs/sources.md, "Chatwoot").</summary>
public sealed class ChatwootPlatform : SourcePlatform<ChatwootSettings>
{
    public const string Id = "chatwoot";

    /// <summary>Chatwoot's Rack::Attack default of 3000 requests a minute per IP.</summary>
    public const int RequestsPerMinute = 3000;

    public override string Name => Id;

    public override string SettingsSection => "Chatwoot";

    public override int DefaultRequestsPerMinute => RequestsPerMinute;

    public override void Validate(SourceContext source, List<string> failures)
    {
        var chatwoot = source.Settings<ChatwootSettings>();
        if (chatwoot.AccountId < 1)
        {
            failures.Add($"{source.Key}:Chatwoot:AccountId: required for platform 'chatwoot': the account's number, as in https://chatwoot.example.com/app/accounts/3/dashboard (here 3).");
        }

        SettingsRules.OpenSetInterval($"{source.Key}:Chatwoot:OpenSetInterval", chatwoot.OpenSetInterval, failures);
    }

    public override ISource Create(SourceContext source, IServiceProvider services) => new ChatwootSource(
        source.Options,
        source.Index,
        services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<ILogger<ChatwootSource>>(),
        openSet: services.GetService<IOpenConversations>());

    public override Task CheckAsync(SourceContext source, SourceCheck check, CancellationToken cancellationToken) =>
        ChatwootCheck.CheckAsync(source.Options, source.Index, check, cancellationToken);

    public override Func<string, string> TicketLink(SourceContext source)
    {
        var root = source.BaseUrlRoot;
        var account = source.Settings<ChatwootSettings>().AccountId;
        return id => string.Create(CultureInfo.InvariantCulture, $"{root}/app/accounts/{account}/conversations/{Uri.EscapeDataString(id)}");
    }
}
