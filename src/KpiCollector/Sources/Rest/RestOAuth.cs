using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using KpiCollector.Configuration;
using KpiCollector.Sources.Http;

namespace KpiCollector.Sources.Rest;

/// <summary>
/// The access token of an <c>oauth2_client_credentials</c> authenticator (docs/profiles.md): fetched from the profile's
/// <c>token_url</c> with <c>Rest:ClientId</c> and the client secret, kept until <c>expires_in</c> minus a margin, and
/// fetched again when the API refuses it. Failures name the endpoint and the keys to check, never the secret.
/// </summary>
internal sealed class RestOAuth : IDisposable
{
    /// <summary>A token is renewed this long before the end of its <c>expires_in</c> (at most half its lifetime).</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(60);

    private readonly HttpClient _client;
    private readonly Uri _tokenUrl;
    private readonly string _clientId;
    private readonly string _secret;
    private readonly RestAuth _auth;
    private readonly TimeProvider _time;
    private readonly string _hint;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTimeOffset _renewAt = DateTimeOffset.MaxValue;

    private RestOAuth(Uri tokenUrl, string clientId, string secret, RestAuth auth, TimeSpan timeout, TimeProvider time, string hint)
    {
        (_tokenUrl, _clientId, _secret, _auth, _time, _hint) = (tokenUrl, clientId, secret, auth, time, hint);
        _client = new HttpClient { Timeout = timeout };
    }

    /// <summary>The keys an operator checks when the token endpoint or the API refuses the client.</summary>
    public static string Hint(int index)
    {
        var key = $"{KpiCollectorOptions.SectionName}:Sources:{index}:Rest";
        return $"{key}:ClientId and {key}:ClientSecret (environment variable KPICOLLECTOR__SOURCES__{index}__REST__CLIENTSECRET) or {key}:ClientSecretFile";
    }

    /// <summary>The token client of an OAuth2 profile; null for any other authenticator.</summary>
    public static RestOAuth? For(RestProfile profile, RestSettings settings, SourceOptions options, int index, Uri baseUrl, HttpSourceSettings http, TimeProvider time)
    {
        if (profile.Auth.Type != "oauth2_client_credentials")
        {
            return null;
        }

        var key = $"{KpiCollectorOptions.SectionName}:Sources:{index}:Rest";
        var secret = CredentialSource.Read(settings.ClientSecret, settings.ClientSecretFile, $"{key}:ClientSecretFile");
        var template = RestSource.Render(profile.Auth.TokenUrl!, settings.Variables, null, options.Email);
        var url = Uri.TryCreate(template, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https" ? absolute : new Uri(baseUrl, template.TrimStart('/'));
        return new RestOAuth(url, settings.ClientId ?? "", secret, profile.Auth, http.Timeout, time, Hint(index));
    }

    /// <summary>The current access token, fetched first when there is none or it is about to expire.</summary>
    /// <exception cref="SourceException">The token endpoint failed; the poll fails with its reason.</exception>
    public async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_token is null || _time.GetUtcNow() >= _renewAt)
            {
                (_token, _renewAt) = await FetchAsync(cancellationToken);
            }

            return _token;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets <paramref name="token"/> (the API refused it), so the next <see cref="TokenAsync"/> fetches a new one.</summary>
    public void Invalidate(string token)
    {
        if (_token == token)
        {
            _token = null;
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        _gate.Dispose();
    }

    private async Task<(string Token, DateTimeOffset RenewAt)> FetchAsync(CancellationToken cancellationToken)
    {
        var where = $"token endpoint {_tokenUrl.GetLeftPart(UriPartial.Path)}";
        var form = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials") };
        if (_auth.Scopes.Count > 0)
        {
            form.Add(new("scope", string.Join(' ', _auth.Scopes)));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, _tokenUrl);
        if (_auth.ClientAuth == "body")
        {
            form.Add(new("client_id", _clientId));
            form.Add(new("client_secret", _secret));
        }
        else
        {
            // RFC 6749 section 2.3.1: the id and secret are form-encoded before they are joined and base64-encoded.
            var pair = $"{WebUtility.UrlEncode(_clientId)}:{WebUtility.UrlEncode(_secret)}";
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
        }

        request.Content = new FormUrlEncodedContent(form);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var requestedAt = _time.GetUtcNow();
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, cancellationToken);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SourceException(ErrorReasons.Timeout, $"{where}: no response within {_client.Timeout.TotalSeconds:0.###} s", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new SourceException(ErrorReasons.Other, $"{where}: no response: {ex.Message}", ex);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var status = (int)response.StatusCode;
            if (status is < 200 or >= 300)
            {
                var reason = status switch
                {
                    400 or 401 or 403 => ErrorReasons.Auth,
                    429 => ErrorReasons.RateLimited,
                    >= 500 => ErrorReasons.Http5xx,
                    _ => ErrorReasons.Other,
                };
                throw new SourceException(reason, $"{where}: HTTP {status}{ErrorCode(body)}, no access token; check {_hint}");
            }

            try
            {
                using var document = JsonDocument.Parse(body);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("access_token", out var token) || token.ValueKind != JsonValueKind.String || token.GetString() is not { Length: > 0 } accessToken)
                {
                    throw new SourceException(ErrorReasons.Parse, $"{where}: the answer has no access_token");
                }

                var renewAt = root.TryGetProperty("expires_in", out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out var seconds) && seconds > 0
                    ? requestedAt + TimeSpan.FromSeconds(seconds) - TimeSpan.FromSeconds(Math.Min(Margin.TotalSeconds, seconds / 2))
                    : DateTimeOffset.MaxValue; // no lifetime given: kept until the API refuses it
                return (accessToken, renewAt);
            }
            catch (JsonException ex)
            {
                throw new SourceException(ErrorReasons.Parse, $"{where}: malformed answer: {ex.Message}", ex);
            }
        }
    }

    /// <summary>The OAuth2 <c>error</c> code of a refusal (e.g. <c>invalid_client</c>), a short fixed word, never a description.</summary>
    private static string ErrorCode(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String
                && e.GetString() is { Length: > 0 and <= 64 } code && code.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')
                ? $" ({code})" : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }
}
