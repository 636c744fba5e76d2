using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KpiCollector.Configuration;
using KpiCollector.Sources.Http;
using RestSharp;

namespace KpiCollector.Sources.Rest;

/// <summary>
/// The access token of an OAuth2 authenticator (docs/profiles.md): <c>oauth2_client_credentials</c> fetches it from
/// the profile's <c>token_url</c> with <c>Rest:ClientId</c> and the client secret; <c>oauth2_refresh_token</c>
/// exchanges a refresh token for it, and when the answer carries a new (rotated) refresh token, saves it through
/// <see cref="IRestState"/> and uses it from then on, after a restart too. The token is kept until
/// <c>expires_in</c> minus a margin, and fetched again when the API refuses it. Token requests go through the source's
/// <see cref="SourceHttpClient"/> (its retries, timeout and account budget). Failures name the endpoint and the keys
/// to check, never a secret.
/// </summary>
internal sealed class RestOAuth : IDisposable
{
    /// <summary>A token is renewed this long before the end of its <c>expires_in</c> (at most half its lifetime).</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(60);

    /// <summary>The <see cref="IRestState"/> key of the refresh token last received from the token endpoint.</summary>
    internal const string RefreshTokenKey = "oauth2_refresh_token";

    /// <summary>The <see cref="IRestState"/> key of the configured refresh token's SHA-256 that the saved one descends from.</summary>
    internal const string RefreshOriginKey = "oauth2_refresh_token_origin";

    private static readonly IReadOnlySet<HttpStatusCode> Refusals = new HashSet<HttpStatusCode> { HttpStatusCode.BadRequest, HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden };

    private readonly SourceHttpClient _http;
    private readonly Uri _tokenUrl;
    private readonly string _clientId;
    private readonly string _secret;
    private readonly RestAuth _auth;
    private readonly TimeProvider _time;
    private readonly string _hint;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly IRestState? _state;
    private readonly string _source;
    private readonly string? _configuredRefresh;
    private string? _token;
    private DateTimeOffset _renewAt = DateTimeOffset.MaxValue;

    private RestOAuth(SourceHttpClient http, Uri tokenUrl, string clientId, string secret, RestAuth auth, TimeProvider time, string hint, IRestState? state, string source, string? refreshToken)
    {
        (_http, _tokenUrl, _clientId, _secret, _auth, _time, _hint) = (http, tokenUrl, clientId, secret, auth, time, hint);
        (_state, _source, _configuredRefresh) = (state, source, refreshToken);
    }

    /// <summary>Whether <paramref name="type"/> is one of the OAuth2 authenticators.</summary>
    public static bool IsOAuth(string? type) => type is "oauth2_client_credentials" or "oauth2_refresh_token";

    /// <summary>The keys an operator checks when the token endpoint or the API refuses the client.</summary>
    public static string Hint(int index, string type = "oauth2_client_credentials")
    {
        var key = $"{KpiCollectorOptions.SectionName}:Sources:{index}:Rest";
        var client = $"{key}:ClientId and {key}:ClientSecret (environment variable KPICOLLECTOR__SOURCES__{index}__REST__CLIENTSECRET) or {key}:ClientSecretFile";
        return type == "oauth2_refresh_token"
            ? $"{key}:RefreshToken (environment variable KPICOLLECTOR__SOURCES__{index}__REST__REFRESHTOKEN) or {key}:RefreshTokenFile, and {client}"
            : client;
    }

    /// <summary>The token client of an OAuth2 profile; null for any other authenticator.</summary>
    public static RestOAuth? For(RestProfile profile, RestSettings settings, SourceOptions options, int index, SourceHttpClient http, TimeProvider time, IRestState? state)
    {
        if (!IsOAuth(profile.Auth.Type))
        {
            return null;
        }

        var key = $"{KpiCollectorOptions.SectionName}:Sources:{index}:Rest";
        var refresh = profile.Auth.Type == "oauth2_refresh_token";
        var secret = refresh && string.IsNullOrWhiteSpace(settings.ClientSecret) && string.IsNullOrWhiteSpace(settings.ClientSecretFile)
            ? "" // a public client: no secret
            : CredentialSource.Read(settings.ClientSecret, settings.ClientSecretFile, $"{key}:ClientSecretFile");
        var refreshToken = refresh ? CredentialSource.Read(settings.RefreshToken, settings.RefreshTokenFile, $"{key}:RefreshTokenFile") : null;
        var template = RestSource.Render(profile.Auth.TokenUrl!, settings.Variables, null, options.Email);
        var url = Uri.TryCreate(template, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https" ? absolute : new Uri(http.Settings.BaseUrl, template.TrimStart('/'));
        return new RestOAuth(http, url, settings.ClientId ?? "", secret, profile.Auth, time, Hint(index, profile.Auth.Type), refresh ? state ?? new MemoryRestState() : null, options.Name, refreshToken);
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

    public void Dispose() => _gate.Dispose();

    /// <summary>The refresh token to send: the one the endpoint last rotated to, unless the configured one changed since.</summary>
    private string CurrentRefreshToken()
    {
        var saved = _state!.Get(_source, RefreshTokenKey);
        return saved is not null && _state.Get(_source, RefreshOriginKey) == Origin() ? saved : _configuredRefresh!;
    }

    private string Origin() => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(_configuredRefresh!)));

    private async Task<(string Token, DateTimeOffset RenewAt)> FetchAsync(CancellationToken cancellationToken)
    {
        var where = $"token endpoint {_tokenUrl.GetLeftPart(UriPartial.Path)}";
        var refresh = _state is not null;
        var request = new RestRequest(_tokenUrl.ToString(), Method.Post);
        request.AddParameter("grant_type", refresh ? "refresh_token" : "client_credentials");
        if (refresh)
        {
            request.AddParameter("refresh_token", CurrentRefreshToken());
        }

        if (_auth.Scopes.Count > 0)
        {
            request.AddParameter("scope", string.Join(' ', _auth.Scopes));
        }

        if (_auth.ClientAuth == "body" || _secret.Length == 0)
        {
            // A public client (no secret) names itself in the form, whatever client_auth says.
            request.AddParameter("client_id", _clientId);
            if (_secret.Length > 0)
            {
                request.AddParameter("client_secret", _secret);
            }
        }
        else
        {
            // RFC 6749 section 2.3.1: the id and secret are form-encoded before they are joined and base64-encoded.
            var pair = $"{WebUtility.UrlEncode(_clientId)}:{WebUtility.UrlEncode(_secret)}";
            request.AddHeader("Authorization", $"Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes(pair))}");
        }

        request.AddHeader("Accept", "application/json");
        var requestedAt = _time.GetUtcNow();
        RestResponse response;
        try
        {
            response = await _http.SendOrStatusAsync(request, null, Refusals, cancellationToken);
        }
        catch (SourceException ex)
        {
            var prefix = $"POST {request.Resource}: ";
            var detail = ex.Message.StartsWith(prefix, StringComparison.Ordinal) ? ex.Message[prefix.Length..] : ex.Message;
            throw new SourceException(ex.Reason, $"{where}: {detail}; no access token; check {_hint}", ex);
        }

        var body = response.Content ?? "";
        if (!response.IsSuccessful)
        {
            var status = (int)response.StatusCode;
            var code = ErrorCode(body);
            var refused = refresh && code == " (invalid_grant)" ? $"; the refresh token was refused (revoked, expired or already used): authorize again and set a new Rest:RefreshToken" : "";
            throw new SourceException(ErrorReasons.Auth, $"{where}: HTTP {status}{code}, no access token{refused}; check {_hint}");
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("access_token", out var token) || token.ValueKind != JsonValueKind.String || token.GetString() is not { Length: > 0 } accessToken)
            {
                throw new SourceException(ErrorReasons.Parse, $"{where}: the answer has no access_token");
            }

            if (refresh && root.TryGetProperty("refresh_token", out var rotated) && rotated.ValueKind == JsonValueKind.String && rotated.GetString() is { Length: > 0 } next)
            {
                // Saved before the access token is used: the endpoint may already have invalidated the one just sent.
                _state!.Set(_source, RefreshTokenKey, next);
                _state.Set(_source, RefreshOriginKey, Origin());
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
