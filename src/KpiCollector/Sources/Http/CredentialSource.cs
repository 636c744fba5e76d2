using KpiCollector.Configuration;

namespace KpiCollector.Sources.Http;

/// <summary>Reads a source's credential from where the configuration says it is, and describes where that is.</summary>
public static class CredentialSource
{
    /// <summary>
    /// The secret (from <c>ApiToken</c>, else the file named by <c>ApiTokenFile</c>, trailing whitespace removed) and a
    /// hint naming the key it came from. Validation has already checked that one of them is set.
    /// </summary>
    public static (string Secret, string Hint) Read(SourceOptions source, int index)
    {
        var key = $"{KpiCollectorOptions.SectionName}:Sources:{index}";
        if (!string.IsNullOrWhiteSpace(source.ApiToken))
        {
            return (source.ApiToken.Trim(), $"{key}:ApiToken (environment variable KPICOLLECTOR__SOURCES__{index}__APITOKEN)");
        }

        var hint = $"the credential in the file named by {key}:ApiTokenFile";
        try
        {
            return (File.ReadAllText(source.ApiTokenFile!).TrimEnd(), hint);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{key}:ApiTokenFile: cannot read the file '{source.ApiTokenFile}': {ex.Message}", ex);
        }
    }
}
