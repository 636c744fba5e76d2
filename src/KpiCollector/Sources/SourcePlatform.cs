using KpiCollector.Checks;
using KpiCollector.Configuration;

namespace KpiCollector.Sources;

/// <summary>
/// What the host knows of one platform: its name, its settings section and how to bind and check it, its defaults,
/// and how to build its connector. Everything platform-specific lives in the platform's folder
/// (<c>Sources/&lt;Platform&gt;/</c>) behind one of these; the host registers it once
/// (<see cref="PlatformServiceCollectionExtensions.AddPlatform{TPlatform}"/>) and never names the platform elsewhere.
/// See docs/architecture.md, "Add a platform".
/// </summary>
public abstract class SourcePlatform
{
    /// <summary>The value of <c>KpiCollector:Sources:N:Platform</c> and of the <c>platform</c> label, lower-case.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// The platform's own settings section under the source (<c>KpiCollector:Sources:N:&lt;SettingsSection&gt;</c>,
    /// e.g. <c>Zendesk</c>), or null when it has none.
    /// </summary>
    public virtual string? SettingsSection => null;

    /// <summary>The type the settings section binds to (what <see cref="ConfigurationShape"/> checks it against).</summary>
    public virtual Type? SettingsType => null;

    /// <summary>Reached over HTTP with a base URL and a credential (the common keys are then checked for it).</summary>
    public virtual bool IsRemote => true;

    /// <summary>The account's request budget when <c>RequestsPerMinute</c> is not set: the platform's smallest plan.</summary>
    public virtual int DefaultRequestsPerMinute => 60;

    /// <summary>An example base URL, for the message that asks for one.</summary>
    public virtual string BaseUrlExample => $"https://acme.{Name}.com";

    /// <summary>Whether <c>BaseUrl</c> may be left out (the platform has one public API root).</summary>
    public virtual bool HasDefaultBaseUrl => false;

    /// <summary>Whether this source, as configured, needs <c>ApiToken</c> or <c>ApiTokenFile</c>.</summary>
    public virtual bool NeedsCredential(SourceOptions source) => IsRemote;

    /// <summary>Whether <c>AuthMode</c> means something for this platform (else setting it is an error).</summary>
    public virtual bool HasAuthModes => false;

    /// <summary>Binds the platform's settings section; a missing section gives the defaults.</summary>
    public virtual object? BindSettings(IConfigurationSection section) => null;

    /// <summary>
    /// Adds the problems of the platform's own keys to <paramref name="failures"/>, each naming its full key (the common
    /// keys are checked by the options validator). Every problem is reported, not only the first.
    /// </summary>
    public virtual void Validate(SourceContext source, List<string> failures)
    {
    }

    /// <summary>Builds the connector of one configured source.</summary>
    public abstract ISource Create(SourceContext source, IServiceProvider services);

    /// <summary>
    /// <c>check sources</c>: the cheapest authenticated request the platform allows, with the connector's own
    /// settings, filling in <paramref name="check"/>. Nothing is written anywhere.
    /// </summary>
    public virtual Task CheckAsync(SourceContext source, SourceCheck check, CancellationToken cancellationToken)
    {
        check.Target = "nothing to ask";
        check.Reachable = true;
        return Task.CompletedTask;
    }

    /// <summary>The link to a conversation in the platform's agent interface, or null when it has none (docs/drilldown.md).</summary>
    public virtual Func<string, string>? TicketLink(SourceContext source) => null;

    /// <summary>Services the platform's connectors need from the host (registered once, with the platform).</summary>
    public virtual void AddServices(IServiceCollection services)
    {
    }

    /// <summary>Endpoints the platform serves (a webhook receiver); mapped once, whatever the number of its sources.</summary>
    public virtual void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
    }
}

/// <summary>A platform whose settings section binds to <typeparamref name="TSettings"/>.</summary>
public abstract class SourcePlatform<TSettings> : SourcePlatform
    where TSettings : class, new()
{
    public override Type SettingsType => typeof(TSettings);

    public override object BindSettings(IConfigurationSection section) => section.Get<TSettings>() ?? new TSettings();
}
