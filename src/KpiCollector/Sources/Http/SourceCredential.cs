using RestSharp;
using RestSharp.Authenticators;

namespace KpiCollector.Sources.Http;

/// <summary>
/// How a source authenticates, paired with where its credential is configured. The secret lives only inside the
/// RestSharp authenticator; <see cref="Hint"/> (a configuration key, never the value) is the only part that is ever
/// logged or put in an error message, so an operator learns which credential to check without seeing it.
/// </summary>
public sealed class SourceCredential
{
    private SourceCredential(IAuthenticator authenticator, string hint)
    {
        Authenticator = authenticator;
        Hint = hint;
    }

    public IAuthenticator Authenticator { get; }

    /// <summary>Which configuration to check, e.g. <c>KpiCollector:Sources:0:ApiToken (environment variable KPICOLLECTOR__SOURCES__0__APITOKEN)</c>.</summary>
    public string Hint { get; }

    /// <summary><c>Authorization: Basic base64(user:password)</c> (Zendesk API tokens, Freshdesk API keys).</summary>
    public static SourceCredential Basic(string user, string password, string hint) =>
        new(new HttpBasicAuthenticator(user, password), hint);

    /// <summary><c>Authorization: Bearer token</c> (Zendesk OAuth, WhatsApp system-user tokens).</summary>
    public static SourceCredential Bearer(string token, string hint) =>
        new(new JwtAuthenticator(token), hint);

    /// <summary>A token in a header of its own (Chatwoot's <c>api_access_token</c>).</summary>
    public static SourceCredential Header(string name, string token, string hint) =>
        new(new HeaderAuthenticator(name, token), hint);

    /// <summary>
    /// A secret that is part of the URL path (Bitrix24's inbound webhooks: <c>/rest/{user}/{code}/{method}</c>): the
    /// request's resource names the segment (<c>{name}</c>) and the authenticator fills it in as the request is sent,
    /// so the resource that is logged keeps the placeholder, never the secret.
    /// </summary>
    public static SourceCredential UrlSegment(string name, string secret, string hint) =>
        new(new UrlSegmentAuthenticator(name, secret), hint);

    /// <summary>No credential at all (a customers feed URL without a token).</summary>
    public static SourceCredential None(string hint) => new(new NoAuthenticator(), hint);

    /// <summary>The hint, so that formatting a credential by mistake still shows no secret.</summary>
    public override string ToString() => Hint;

    private sealed class NoAuthenticator : IAuthenticator
    {
        public ValueTask Authenticate(IRestClient client, RestRequest request, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }

    private sealed class UrlSegmentAuthenticator(string name, string secret) : IAuthenticator
    {
        public ValueTask Authenticate(IRestClient client, RestRequest request, CancellationToken cancellationToken = default)
        {
            request.AddOrUpdateParameter(new UrlSegmentParameter(name, secret));
            return ValueTask.CompletedTask;
        }
    }

    private sealed class HeaderAuthenticator(string name, string token) : AuthenticatorBase(token)
    {
        protected override ValueTask<Parameter> GetAuthenticationParameter(string accessToken) =>
            new(new HeaderParameter(name, accessToken));
    }
}
