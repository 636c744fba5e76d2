using System.Text.Json;
using RestSharp;

namespace KpiCollector.Sources.Http;

/// <summary>
/// Turns a response body into the connector's DTOs, or into a <see cref="SourceException"/> with reason <c>parse</c>
/// that names the offending field by its JSON path (docs/sources.md, "Keys every HTTP source has": a malformed page is counted, logged with the source and
/// the field, and the cursor does not advance past it). The message never quotes the body.
/// </summary>
public static class SourceJson
{
    /// <summary>Lenient about what the platforms add or omit (docs/sources.md, "Platform facts": the specs do not match the live APIs), strict about types.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString,
    };

    public static T Parse<T>(RestResponse response, string what) => Parse<T>(response.Content, what);

    public static T Parse<T>(string? body, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body ?? "", Options)
                ?? throw new SourceException(ErrorReasons.Parse, $"{what}: the response body is JSON null");
        }
        catch (JsonException ex)
        {
            throw new SourceException(ErrorReasons.Parse, $"{what}: malformed response at {ex.Path ?? "$"}: {FirstSentence(ex.Message)}", ex);
        }
    }

    /// <summary>A mapping failure found after deserializing (a value of the right type but unusable).</summary>
    public static SourceException Malformed(string what, string path, string problem) =>
        new(ErrorReasons.Parse, $"{what}: malformed response at {path}: {problem}");

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}
