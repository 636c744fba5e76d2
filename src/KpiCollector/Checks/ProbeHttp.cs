using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using KpiCollector.Sources;
using KpiCollector.Sources.Http;
using Microsoft.Extensions.Logging.Abstractions;
using RestSharp;

namespace KpiCollector.Checks;

/// <summary>
/// Sends the one request of a source's check through the connector's own <see cref="SourceHttpClient"/> (the same base
/// URL, credential, user agent and rate-limit header reading as the poll), without retries and with a short timeout, so
/// a dead host fails the check in seconds instead of the minutes a poll's back-off may take.
/// </summary>
public static class ProbeHttp
{
    /// <summary>The longest a check request waits for an answer (less when the source's own Timeout is shorter).</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Every 4xx but 429 comes back as a response for the probe to read; 429 and 5xx are failures.</summary>
    private static readonly IReadOnlySet<HttpStatusCode> Answers =
        Enumerable.Range(400, 100).Where(c => c != 429).Select(c => (HttpStatusCode)c).ToHashSet();

    /// <summary>
    /// The response (any 2xx or 4xx but 429), or null after recording on <paramref name="check"/> why there was none:
    /// not reachable (DNS, refused, timeout, TLS), a 5xx, or rate limited right now.
    /// </summary>
    public static async Task<RestResponse?> SendAsync(HttpSourceSettings settings, RestRequest request, SourceCheck check, CancellationToken cancellationToken)
    {
        var probe = settings with { MaxRetries = 0, Timeout = settings.Timeout < MaxTimeout ? settings.Timeout : MaxTimeout };
        check.Target = settings.BaseUrl.ToString();
        var what = $"{request.Method.ToString().ToUpperInvariant()} /{request.Resource.TrimStart('/')}";
        using var client = new SourceHttpClient(probe, new SourceStatus(check.Name, check.Platform), TimeProvider.System, NullLogger.Instance);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await client.SendOrStatusAsync(request, null, Answers, cancellationToken);
            check.Reachable = true;
            check.Request = $"{what}: HTTP {(int)response.StatusCode} in {Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms";
            return response;
        }
        catch (SourceException ex)
        {
            check.Request = $"{what}: {(ex.Reason is ErrorReasons.Timeout or ErrorReasons.Other ? "no answer" : ex.Reason)}";
            switch (ex.Reason)
            {
                case ErrorReasons.Timeout:
                    check.Unreachable = $"timeout: no answer within {probe.Timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s";
                    break;
                case ErrorReasons.Http5xx:
                    check.Reachable = true;
                    check.Notes.Add($"the platform answered with a server error ({ex.Message}); try again later");
                    check.Authenticated = null;
                    check.Permissions.Add(new PermissionCheck("a successful answer", false, "HTTP 5xx"));
                    break;
                case ErrorReasons.RateLimited:
                    check.Reachable = true;
                    check.Notes.Add($"rate limited right now ({ex.Message}); the budget is spent, possibly by another client of the account");
                    break;
                default:
                    check.Unreachable = Network(ex.InnerException, ex.Message);
                    break;
            }

            return null;
        }
    }

    /// <summary>The JSON body's root object, or null when the body is not a JSON object.</summary>
    public static JsonElement? Json(RestResponse response)
    {
        try
        {
            using var doc = JsonDocument.Parse(response.Content ?? "");
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A string property of an object, or null.</summary>
    public static string? String(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A number property of an object, or null.</summary>
    public static long? Number(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

    /// <summary>An object property of an object, or null.</summary>
    public static JsonElement? Object(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    /// <summary>What a refused credential means, naming the configuration to check, never the secret.</summary>
    public static void Refused(SourceCheck check, RestResponse response, HttpSourceSettings settings)
    {
        check.Authenticated = false;
        check.Identity = $"HTTP {(int)response.StatusCode}, the platform refused the credential (expired, revoked or wrong); check {settings.Credential.Hint}";
    }

    /// <summary>A header's value, case-insensitively, or null.</summary>
    public static string? Header(RestResponse response, string name) =>
        (response.Headers ?? []).Concat(response.ContentHeaders ?? [])
            .FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase))?.Value;

    /// <summary>A header holding a whole number, or null.</summary>
    public static long? NumberHeader(RestResponse response, string name) =>
        long.TryParse(Header(response, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>Says which way the network failed: the name does not resolve, nobody listens, or TLS failed.</summary>
    private static string Network(Exception? exception, string message)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError }:
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData }:
                    return $"DNS: the host name does not resolve ({e.Message})";
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return $"connection refused: nothing listens there ({e.Message})";
                case HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError }:
                case AuthenticationException:
                    return $"TLS: the secure connection failed ({e.Message})";
                case TimeoutException or TaskCanceledException:
                    return $"timeout ({e.Message})";
            }
        }

        return $"no answer ({exception?.Message ?? message})";
    }
}
