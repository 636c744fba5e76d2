using KpiCollector.Checks;
using KpiCollector.Configuration;
using KpiCollector.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RestSharp;

namespace KpiCollector.Sources.Rest;

/// <summary>
/// <c>Platform: rest</c>: a helpdesk read through a declarative profile, built in or a file (docs/profiles.md). The
/// profile gives the base URL, the authenticator and the streams; the source's settings choose the profile and fill
/// its variables (<c>KpiCollector:Sources:N:Rest</c>).
/// </summary>
public sealed class RestPlatform : SourcePlatform<RestSettings>
{
    public override string Name => RestDefaults.Platform;

    public override string SettingsSection => "Rest";

    public override int DefaultRequestsPerMinute => RestDefaults.RequestsPerMinute;

    /// <summary>A profile may give the base URL (a template such as <c>https://{subdomain}.freshdesk.com</c>).</summary>
    public override bool HasDefaultBaseUrl => true;

    /// <summary>The profile's authenticator says which credential it needs; <see cref="RestValidation"/> checks it.</summary>
    public override bool NeedsCredential(SourceOptions source) => false;

    /// <summary>The store keeps the profile's durable state (rotated tokens, fan-out progress).</summary>
    public override void AddServices(IServiceCollection services) =>
        services.TryAddSingleton<IRestState>(sp => sp.GetService<IStore>()!);

    public override void Validate(SourceContext source, List<string> failures) =>
        RestValidation.Validate(source.Key, source.Options, source.Settings<RestSettings>(), failures);

    public override ISource Create(SourceContext source, IServiceProvider services) => new RestSource(
        source.Options,
        source.Index,
        source.Settings<RestSettings>(),
        services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<ILogger<RestSource>>(),
        services.GetService<IRestState>(),
        openSet: services.GetService<IOpenConversations>());

    /// <summary>One request to the profile's first stream, as the poll would send it but without paging or filter (a POST stream's body with the last hour as <c>{since}</c>).</summary>
    public override async Task CheckAsync(SourceContext source, SourceCheck check, CancellationToken cancellationToken)
    {
        var settings = source.Settings<RestSettings>();
        var failures = new List<string>();
        var profile = RestProfileLoader.Load(settings.Profile ?? "", settings.Variables.Keys, failures);
        if (profile is null)
        {
            check.Unreachable = string.Join("; ", failures);
            return;
        }

        var http = RestSource.HttpSettings(source.Options, source.Index, settings, profile);
        var stream = profile.Streams[0];
        check.Notes.Add($"profile {profile.Name}: {profile.Streams.Count} stream{(profile.Streams.Count == 1 ? "" : "s")} ({string.Join(", ", profile.Streams.Select(s => s.Name))})");
        var probe = RestSource.Probe(new RestRequest(RestSource.Render(stream.Path, settings.Variables, null, null)), stream, settings.Variables, TimeProvider.System.GetUtcNow());
        var response = await ProbeHttp.SendAsync(http, probe, check, cancellationToken);
        if (response is null)
        {
            return;
        }

        if ((int)response.StatusCode is 401 or 403)
        {
            ProbeHttp.Refused(check, response, http);
        }
        else if (!response.IsSuccessful)
        {
            check.Permissions.Add(new PermissionCheck($"read {stream.Path}", false, $"HTTP {(int)response.StatusCode}"));
        }
        else
        {
            check.Authenticated = true;
            check.Permissions.Add(new PermissionCheck($"read {stream.Path}", true, $"HTTP {(int)response.StatusCode}"));
        }
    }
}
