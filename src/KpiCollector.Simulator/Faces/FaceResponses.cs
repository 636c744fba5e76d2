using System.Globalization;
using System.Text.Json.Nodes;

namespace KpiCollector.Simulator.Faces;

/// <summary>Helpers the faces share: JSON results, platform-style timestamps and ids, and corrupting a body for the malformed fault.</summary>
public static class FaceResponses
{
    public static IResult Json(JsonNode body, int status = StatusCodes.Status200OK) =>
        Results.Content(body.ToJsonString(), "application/json; charset=utf-8", statusCode: status);

    /// <summary>ISO 8601 in UTC to the second, as the platforms write it: <c>2025-03-01T10:00:00Z</c>.</summary>
    public static string Iso(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The number at the end of a simulated id (<c>sim-000123</c> → 123, <c>agent-05</c> → 5).</summary>
    public static long? Number(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        var start = id.Length;
        while (start > 0 && char.IsAsciiDigit(id[start - 1]))
        {
            start--;
        }

        return start < id.Length ? long.Parse(id.AsSpan(start), CultureInfo.InvariantCulture) : null;
    }

    /// <summary>
    /// The malformed fault: the first object of the first array that has a <c>created_at</c> gets an unparseable
    /// one (a page that parses as JSON but breaks the documented shape); a body without such an object is cut short.
    /// </summary>
    public static string Corrupt(JsonNode body)
    {
        if (body is JsonObject root)
        {
            foreach (var (_, value) in root)
            {
                if (value is JsonArray array && array.FirstOrDefault() is JsonObject first && first.ContainsKey("created_at"))
                {
                    first["created_at"] = "not-a-timestamp";
                    return root.ToJsonString();
                }
            }
        }

        var text = body.ToJsonString();
        return text[..(text.Length / 2)];
    }
}
