using KpiCollector.Configuration;

namespace KpiCollector.Sources.Rest;

/// <summary>Start-up checks of a <c>Platform: rest</c> source: its settings and its profile, every problem at once.</summary>
public static class RestValidation
{
    /// <summary>Adds every problem of the settings under <paramref name="key"/> (<c>KpiCollector:Sources:N</c>) and of the profile to <paramref name="failures"/>.</summary>
    public static void Validate(string key, SourceOptions source, RestSettings settings, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(settings.Profile))
        {
            failures.Add($"{key}:Rest:Profile is required: a built-in profile ({string.Join(", ", RestProfileLoader.BuiltInNames)}) or the path of a YAML or JSON profile file");
            return;
        }

        foreach (var (field, map) in settings.Maps)
        {
            if (RestVocabulary.EnumFields.TryGetValue(field, out var accepted))
            {
                failures.AddRange(map.Where(kv => !accepted.Contains(kv.Value)).Select(kv => $"{key}:Rest:Maps:{field}:{kv.Key}: '{kv.Value}' is not accepted; accepted: {string.Join(", ", accepted)}"));
            }
            else
            {
                failures.Add($"{key}:Rest:Maps:{field}: not a mapped field; accepted: {string.Join(", ", RestVocabulary.EnumFields.Keys)}");
            }
        }

        var profileFailures = new List<string>();
        var profile = RestProfileLoader.Load(settings.Profile, settings.Variables.Keys, profileFailures);
        failures.AddRange(profileFailures.Select(f => $"{key}:Rest:Profile: {f}"));
        if (profile is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(profile.BaseUrl) && string.IsNullOrWhiteSpace(source.BaseUrl))
        {
            failures.Add($"{key}:BaseUrl is required: the profile {profile.File} has no base_url");
        }

        if (profile.Auth.Type == "oauth2_client_credentials")
        {
            if (string.IsNullOrWhiteSpace(settings.ClientId))
            {
                failures.Add($"{key}:Rest:ClientId is required by the profile's oauth2_client_credentials authenticator");
            }

            if (string.IsNullOrWhiteSpace(settings.ClientSecret) && string.IsNullOrWhiteSpace(settings.ClientSecretFile))
            {
                failures.Add($"{key}:Rest:ClientSecret (environment variable) or {key}:Rest:ClientSecretFile is required by the profile's oauth2_client_credentials authenticator");
            }

            return;
        }

        if (profile.Auth.Type == "oauth2_refresh_token")
        {
            if (string.IsNullOrWhiteSpace(settings.ClientId))
            {
                failures.Add($"{key}:Rest:ClientId is required by the profile's oauth2_refresh_token authenticator");
            }

            if (string.IsNullOrWhiteSpace(settings.RefreshToken) && string.IsNullOrWhiteSpace(settings.RefreshTokenFile))
            {
                failures.Add($"{key}:Rest:RefreshToken (environment variable) or {key}:Rest:RefreshTokenFile is required by the profile's oauth2_refresh_token authenticator (the first one; rotated ones are kept in the store)");
            }

            return;
        }

        var needsToken = profile.Auth.Username.Contains("{token}", StringComparison.Ordinal) || profile.Auth.Password.Contains("{token}", StringComparison.Ordinal)
            || profile.Auth.Type is "bearer" or "api_key" or "url_token";
        if (needsToken && string.IsNullOrWhiteSpace(source.ApiToken) && string.IsNullOrWhiteSpace(source.ApiTokenFile))
        {
            failures.Add($"{key}:ApiToken or {key}:ApiTokenFile is required by the profile's {profile.Auth.Type} authenticator");
        }

        if ((profile.Auth.Username + profile.Auth.Password).Contains("{email}", StringComparison.Ordinal) && string.IsNullOrWhiteSpace(source.Email))
        {
            failures.Add($"{key}:Email is required: the profile's authenticator uses {{email}}");
        }
    }
}
