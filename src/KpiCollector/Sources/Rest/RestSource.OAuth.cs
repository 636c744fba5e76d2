using System.Net;
using KpiCollector.Sources.Http;
using RestSharp;

namespace KpiCollector.Sources.Rest;

/// <summary>Sending with an OAuth2 access token: on a 401 the token is fetched once more and the request retried once.</summary>
public sealed partial class RestSource
{
    private static readonly IReadOnlySet<HttpStatusCode> Unauthorized = new HashSet<HttpStatusCode> { HttpStatusCode.Unauthorized };
    private static readonly IReadOnlySet<HttpStatusCode> UnauthorizedOrNotFound = new HashSet<HttpStatusCode> { HttpStatusCode.Unauthorized, HttpStatusCode.NotFound };

    private readonly RestOAuth? _oauth;

    /// <summary>Sends the request <paramref name="build"/> makes; with <paramref name="notFound"/>, a 404 is null instead of a failure.</summary>
    private async Task<RestResponse?> SendAsync(Func<RestRequest> build, RequestBudget? budget, bool notFound, CancellationToken cancellationToken)
    {
        if (_oauth is null)
        {
            return notFound ? await _http.SendOrNotFoundAsync(build(), budget, cancellationToken) : await _http.SendAsync(build(), budget, cancellationToken);
        }

        var token = await _oauth.TokenAsync(cancellationToken);
        var response = await _http.SendOrStatusAsync(WithToken(build(), token), budget, notFound ? UnauthorizedOrNotFound : Unauthorized, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            _oauth.Invalidate(token);
            Log.TokenRefused(_logger, Name, response.Request?.Resource ?? "");
            var retry = WithToken(build(), await _oauth.TokenAsync(cancellationToken));
            return notFound ? await _http.SendOrNotFoundAsync(retry, budget, cancellationToken) : await _http.SendAsync(retry, budget, cancellationToken);
        }

        return notFound && response.StatusCode == HttpStatusCode.NotFound ? null : response;
    }

    private static RestRequest WithToken(RestRequest request, string token) => request.AddHeader("Authorization", $"Bearer {token}");
}
