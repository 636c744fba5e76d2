using System.Text.Json.Nodes;

namespace KpiCollector.Simulator.Faces.WhatsApp;

/// <summary>Graph API error bodies (<c>{"error":{message,type,code,error_subcode,fbtrace_id}}</c>) and trace ids.</summary>
public static class GraphErrors
{
    private const string TraceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

    /// <summary>A fresh <c>fbtrace_id</c> / <c>x-fb-trace-id</c>, shaped like Meta's (<c>A…</c>, 23 characters).</summary>
    public static string TraceId() =>
        "A" + string.Create(22, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = TraceAlphabet[Random.Shared.Next(TraceAlphabet.Length)];
            }
        });

    public static JsonObject Error(string trace, string message, string type, int code, int? subcode = null, bool transient = false, string? details = null)
    {
        var error = new JsonObject { ["message"] = message, ["type"] = type, ["code"] = code };
        if (subcode is { } s)
        {
            error["error_subcode"] = s;
        }

        if (transient)
        {
            error["is_transient"] = true;
        }

        if (details is not null)
        {
            error["error_data"] = new JsonObject { ["messaging_product"] = "whatsapp", ["details"] = details };
        }

        error["fbtrace_id"] = trace;
        return new JsonObject { ["error"] = error };
    }

    /// <summary>How the face words its credential and fault errors: 190/463, 80007, and the transient code 2.</summary>
    public static FaceErrors ForFaults(string trace) => new(
        Error(trace, "Error validating access token: Session has expired on Tuesday, 01-Sep-2026 05:00:00 PDT. The current time is later.", "OAuthException", 190, 463),
        Error(trace, "(#80007) Rate limit issues", "OAuthException", 80007, details: "The WhatsApp Business Account has reached its rate limit."),
        Error(trace, "An unexpected error has occurred. Please retry your request later.", "OAuthException", 2, transient: true));

    /// <summary>Code 100: an invalid parameter (granularity, dimension, range), with the details in the message.</summary>
    public static JsonObject InvalidParameter(string trace, string details) =>
        Error(trace, "(#100) Invalid parameter: " + details, "OAuthException", 100, details: details);
}
