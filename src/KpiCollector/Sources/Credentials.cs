using KpiCollector.Configuration;

namespace KpiCollector.Sources;

/// <summary>Reads a source's credential from the environment-bound option or its file; never logs or echoes it.</summary>
public static class Credentials
{
    public static string? Read(SourceOptions source)
    {
        if (!string.IsNullOrWhiteSpace(source.ApiToken))
        {
            return source.ApiToken.Trim();
        }

        return string.IsNullOrWhiteSpace(source.ApiTokenFile) ? null : File.ReadAllText(source.ApiTokenFile).Trim();
    }
}
