using System.Text.Json.Nodes;

namespace KpiCollector.Sources.Rest;

/// <summary>The OAuth2 keys of a profile's authenticator (docs/profiles.md, "OAuth2 client credentials", "OAuth2 refresh token").</summary>
public static partial class RestProfileLoader
{
    private sealed partial class Reader
    {
        private static readonly string[] OAuthKeys = ["token_url", "scopes", "client_auth"];

        /// <summary>The authenticator with its OAuth2 keys read: required for an OAuth2 type, refused for any other.</summary>
        private RestAuth OAuth(JsonObject o, string at, string? type, RestAuth auth)
        {
            if (!RestOAuth.IsOAuth(type))
            {
                foreach (var key in OAuthKeys.Where(k => o[k] is not null))
                {
                    Fail($"{at}.{key}", $"only an oauth2_client_credentials or oauth2_refresh_token authenticator has {key}", "remove it, or set type: oauth2_client_credentials or oauth2_refresh_token");
                }

                return auth;
            }

            var tokenUrl = RequiredString(o, at, "token_url", "the token endpoint's URL (a template), e.g. https://{subdomain}.example.com/oauth/token");
            Template(tokenUrl, $"{at}.token_url", allowToken: false);
            var scopes = new List<string>();
            switch (o["scopes"])
            {
                case null:
                    break;
                case JsonArray list:
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (list[i] is JsonValue v && v.TryGetValue<string>(out var scope) && scope.Length > 0 && !scope.Any(char.IsWhiteSpace))
                        {
                            scopes.Add(scope);
                        }
                        else
                        {
                            Fail($"{at}.scopes[{i}]", $"'{list[i]?.ToJsonString()}' is not a scope", "a non-empty string without spaces");
                        }
                    }

                    break;
                default:
                    Fail($"{at}.scopes", "not a list", "a list of scopes, e.g. [tickets.read, surveys.read]");
                    break;
            }

            return auth with
            {
                TokenUrl = tokenUrl,
                Scopes = scopes,
                ClientAuth = Enum(o, at, "client_auth", RestVocabulary.ClientAuthMethods, required: false) ?? "basic",
            };
        }
    }
}
