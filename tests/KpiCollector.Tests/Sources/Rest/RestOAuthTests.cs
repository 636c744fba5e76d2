using System.Text;
using KpiCollector.Configuration;
using KpiCollector.Sources;
using KpiCollector.Sources.Rest;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using static KpiCollector.Tests.Sources.Rest.RestTestProfiles;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>The <c>oauth2_client_credentials</c> authenticator against a loopback token endpoint and API.</summary>
public sealed class RestOAuthTests : IDisposable
{
    private const string Secret = "s3cr3t/client+secret";
    private const string TokenPath = "/oauth/token";
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _platform.Dispose();

    [Fact]
    public async Task TheTokenIsFetchedWithBasicClientAuth_SentAsBearer_AndCachedUntilItsExpiryMinusTheMargin()
    {
        Tokens(("tok-1", 3600), ("tok-2", 3600));
        _platform.Sequence("/api/tickets", FakePlatform.Json($$"""{"items":{{Tickets(1)}}}"""));
        using var source = OAuthSource("scopes: [tickets.read, surveys.read]");

        await Drain(source);
        await Drain(source);
        Assert.Equal(1, _platform.Count(TokenPath));
        Assert.All(_platform.Requests("/api/tickets"), e => Assert.Equal("Bearer tok-1", e.RequestMessage!.Headers!["Authorization"].Single()));

        var token = Assert.Single(_platform.Requests(TokenPath)).RequestMessage!;
        var basic = Encoding.UTF8.GetString(Convert.FromBase64String(token.Headers!["Authorization"].Single()["Basic ".Length..]));
        Assert.Equal("my-client:s3cr3t%2Fclient%2Bsecret", basic);
        var form = Form(token.Body!);
        Assert.Equal("client_credentials", form["grant_type"]);
        Assert.Equal("tickets.read surveys.read", form["scope"]);
        Assert.False(form.ContainsKey("client_secret"));

        _clock.Advance(TimeSpan.FromSeconds(3600 - 61)); // still before expires_in minus the 60 s margin
        await Drain(source);
        Assert.Equal(1, _platform.Count(TokenPath));

        _clock.Advance(TimeSpan.FromSeconds(2));
        await Drain(source);
        Assert.Equal(2, _platform.Count(TokenPath));
        Assert.Equal("Bearer tok-2", _platform.Requests("/api/tickets").Last().RequestMessage!.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task BodyClientAuth_SendsTheIdAndSecretInTheForm()
    {
        Tokens(("tok-1", 3600));
        _platform.Sequence("/api/tickets", FakePlatform.Json($$"""{"items":{{Tickets(1)}}}"""));
        using var source = OAuthSource("client_auth: body");

        Assert.Equal(["1"], Ids(await Drain(source)));

        var token = Assert.Single(_platform.Requests(TokenPath)).RequestMessage!;
        Assert.False(token.Headers!.ContainsKey("Authorization"));
        var form = Form(token.Body!);
        Assert.Equal("my-client", form["client_id"]);
        Assert.Equal(Secret, form["client_secret"]);
        Assert.False(form.ContainsKey("scope"));
    }

    [Fact]
    public async Task A401_FetchesTheTokenOnceMore_AndRetriesTheRequestOnce()
    {
        Tokens(("tok-1", 3600), ("tok-2", 3600));
        _platform.Sequence("/api/tickets", FakePlatform.Status(401), FakePlatform.Json($$"""{"items":{{Tickets(1)}}}"""));
        using var source = OAuthSource();

        Assert.Equal(["1"], Ids(await Drain(source)));

        Assert.Equal(2, _platform.Count(TokenPath));
        Assert.Equal(["Bearer tok-1", "Bearer tok-2"], _platform.Requests("/api/tickets").Select(e => e.RequestMessage!.Headers!["Authorization"].Single()).ToArray());
    }

    [Fact]
    public async Task A401AfterTheFreshToken_IsAnAuthFailure_WithoutAThirdAttempt()
    {
        Tokens(("tok-1", 3600), ("tok-2", 3600));
        _platform.Sequence("/api/tickets", FakePlatform.Status(401));
        using var source = OAuthSource();

        var ex = await Assert.ThrowsAsync<SourceException>(() => Drain(source));

        Assert.Equal(ErrorReasons.Auth, ex.Reason);
        Assert.Equal(2, _platform.Count("/api/tickets"));
        Assert.Equal(2, _platform.Count(TokenPath));
    }

    [Fact]
    public async Task ATokenEndpointRefusal_FailsThePoll_WithAClearReason_AndNoSecret()
    {
        _platform.Server.Given(Request.Create().WithPath(TokenPath).UsingPost()).RespondWith(FakePlatform.Json("""{"error":"invalid_client","error_description":"bad secret"}""", 401));
        _platform.Sequence("/api/tickets", FakePlatform.Json($$"""{"items":{{Tickets(1)}}}"""));
        using var source = OAuthSource();

        var ex = await Assert.ThrowsAsync<SourceException>(() => Drain(source));

        Assert.Equal(ErrorReasons.Auth, ex.Reason);
        Assert.Contains($"token endpoint {_platform.Url}oauth/token: HTTP 401 (invalid_client)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("KpiCollector:Sources:0:Rest:ClientId", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", ex.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, _platform.Count("/api/tickets"));
    }

    [Fact]
    public async Task AnAnswerWithoutAnAccessToken_IsAParseFailure()
    {
        _platform.Server.Given(Request.Create().WithPath(TokenPath).UsingPost()).RespondWith(FakePlatform.Json("""{"token_type":"bearer"}"""));
        using var source = OAuthSource();

        var ex = await Assert.ThrowsAsync<SourceException>(() => Drain(source));

        Assert.Equal(ErrorReasons.Parse, ex.Reason);
        Assert.Contains("has no access_token", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_NamesTheMissingClientIdAndSecret_AndAcceptsNoApiToken()
    {
        var file = Write(Profile());
        var failures = new List<string>();

        RestValidation.Validate("KpiCollector:Sources:4", new SourceOptions { Name = "x", Platform = "rest", BaseUrl = "http://127.0.0.1/" }, new RestSettings { Profile = file }, failures);

        Assert.Equal(
            [
                "KpiCollector:Sources:4:Rest:ClientId is required by the profile's oauth2_client_credentials authenticator",
                "KpiCollector:Sources:4:Rest:ClientSecret (environment variable) or KpiCollector:Sources:4:Rest:ClientSecretFile is required by the profile's oauth2_client_credentials authenticator",
            ],
            failures);
        failures.Clear();
        RestValidation.Validate("KpiCollector:Sources:4", new SourceOptions { Name = "x", Platform = "rest", BaseUrl = "http://127.0.0.1/" }, new RestSettings { Profile = file, ClientId = "id", ClientSecretFile = "/run/secrets/x" }, failures);
        Assert.Empty(failures);
    }

    [Fact]
    public void TheClientSecret_IsASecretKey() => Assert.True(SecretKeys.IsSecret("KpiCollector:Sources:0:Rest:ClientSecret"));

    private static string Profile(string extra = "") =>
        Conversations("type: oauth2_client_credentials\ntoken_url: oauth/token" + (extra.Length > 0 ? "\n" + extra : ""));

    private RestSource OAuthSource(string extra = "") =>
        new(new SourceOptions
        {
            Name = "rest",
            Platform = "rest",
            BaseUrl = _platform.Url.ToString(),
            Backfill = "1d",
            Timeout = "5s",
            RequestsPerMinute = 100_000,
            MaxRetries = 0,
        }, 0, new RestSettings { Profile = Write(Profile(extra)), ClientId = "my-client", ClientSecret = Secret }, _clock, NullLogger<RestSource>.Instance);

    /// <summary>The token endpoint answers these tokens in order (the last repeats).</summary>
    private void Tokens(params (string Token, int ExpiresIn)[] tokens)
    {
        for (var i = 0; i < tokens.Length; i++)
        {
            var mapping = _platform.Server.Given(Request.Create().WithPath(TokenPath).UsingPost()).InScenario("tokens");
            if (i > 0)
            {
                mapping = mapping.WhenStateIs($"t{i}");
            }

            if (i < tokens.Length - 1)
            {
                mapping = mapping.WillSetStateTo($"t{i + 1}");
            }

            mapping.RespondWith(FakePlatform.Json($$"""{"access_token":"{{tokens[i].Token}}","token_type":"bearer","expires_in":{{tokens[i].ExpiresIn}}}"""));
        }
    }

    private static Dictionary<string, string> Form(string body) =>
        body.Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p[1].Replace('+', ' ')));
}
