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

        return (ReadFile(source.ApiTokenFile!, $"{key}:ApiTokenFile"), $"the credential in the file named by {key}:ApiTokenFile");
    }

    /// <summary>A secret given directly (trimmed) or else read from the file <paramref name="file"/>, named by <paramref name="fileKey"/> when it cannot be read.</summary>
    public static string Read(string? value, string? file, string fileKey) =>
        !string.IsNullOrWhiteSpace(value) ? value.Trim() : ReadFile(file!, fileKey);

    /// <summary>A file's content without trailing whitespace; a read failure names the key, never the content.</summary>
    private static string ReadFile(string file, string fileKey)
    {
        try
        {
            return File.ReadAllText(file).TrimEnd();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{fileKey}: cannot read the file '{file}': {ex.Message}", ex);
        }
    }
}
