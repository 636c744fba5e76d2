using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace KpiCollector.Configuration;

/// <summary>
/// Which configuration keys hold credentials, and where they may come from. A secret (<c>ApiToken</c>,
/// <c>AppSecret</c>, <c>VerifyToken</c>, ...) is read from an environment variable or from the file its <c>…File</c>
/// key names, never from a settings file (which gets committed and copied into images) or from the command line (which
/// every user of the machine can read in the process list).
/// </summary>
public static class SecretKeys
{
    private static readonly string[] Suffixes = ["Token", "Secret", "Password", "Key"];

    /// <summary>True for a key whose value is a credential: its last part ends in Token, Secret, Password or Key.</summary>
    public static bool IsSecret(string key)
    {
        var name = key[(key.LastIndexOf(':') + 1)..];
        return Suffixes.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// One failure per secret that a settings file or the command line sets (even when the environment overrides it:
    /// the value is still written down), naming the key, where it was found and where it belongs. Never the value.
    /// Each is said once, though a web host's configuration holds the command line twice (the host's copy and the
    /// application's).
    /// </summary>
    /// <param name="secrets">The secret keys that have a value, and whether each has a <c>…File</c> variant.</param>
    public static IEnumerable<string> Committed(IEnumerable<(string Key, bool HasFile)> secrets, IEnumerable<IConfigurationProvider> providers) =>
        CommittedIn(secrets, providers).Distinct();

    private static IEnumerable<string> CommittedIn(IEnumerable<(string Key, bool HasFile)> secrets, IEnumerable<IConfigurationProvider> providers)
    {
        var refusing = providers.Where(p => p is JsonConfigurationProvider or CommandLineConfigurationProvider).ToList();
        foreach (var (key, hasFile) in secrets)
        {
            foreach (var provider in refusing)
            {
                if (provider.TryGet(key, out var value) && !string.IsNullOrEmpty(value))
                {
                    var instead = hasFile
                        ? $"set the environment variable {Environment(key)}, or write it to a file and name the file in {key}File"
                        : $"set the environment variable {Environment(key)}";
                    yield return $"{key}: a secret is not accepted from {Where(provider)}; {instead}, and remove it from there.";
                }
            }
        }
    }

    /// <summary>
    /// A failure when a settings file or the command line holds a PostgreSQL connection string with a password in it
    /// (a connection string without one, relying on a password file or on trust, may be written anywhere); once, as
    /// <see cref="Committed"/>.
    /// </summary>
    public static IEnumerable<string> CommittedConnectionStrings(IEnumerable<IConfigurationProvider> providers) =>
        CommittedConnectionStringsIn(providers).Distinct();

    private static IEnumerable<string> CommittedConnectionStringsIn(IEnumerable<IConfigurationProvider> providers)
    {
        const string key = "KpiCollector:Store:ConnectionString";
        foreach (var provider in providers.Where(p => p is JsonConfigurationProvider or CommandLineConfigurationProvider))
        {
            if (provider.TryGet(key, out var value) && Storage.Postgres.PostgresConnection.HasPassword(value))
            {
                yield return $"{key}: a connection string with a password is not accepted from {Where(provider)}; set the environment variable {Environment(key)}, or write it to a file and name the file in {key}File, and remove it from there.";
            }
        }
    }

    private static string Where(IConfigurationProvider provider) => provider switch
    {
        JsonConfigurationProvider json => "the settings file " + (json.Source.FileProvider is PhysicalFileProvider files ? Path.Combine(files.Root, json.Source.Path ?? "") : json.Source.Path),
        _ => "the command line",
    };

    private static string Environment(string key) => key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant();
}
