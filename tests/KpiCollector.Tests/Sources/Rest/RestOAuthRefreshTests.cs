using System.Text;
using KpiCollector.Configuration;
using KpiCollector.Sources;
using KpiCollector.Sources.Rest;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;
using static KpiCollector.Tests.Sources.Rest.RestTestProfiles;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>
/// The <c>oauth2_refresh_token</c> authenticator against a loopback token endpoint that rotates the refresh token and
/// invalidates each one once used, and an API that accepts only the access tokens it issued.
/// </summary>
public sealed class RestOAuthRefreshTests : IDisposable
{
    private const string Secret = "client-s3cr3t";
    private const string TokenPath = "/oauth/token";
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero));
    private readonly TempDirectory _dir = new();
    private readonly HashSet<string> _validRefresh = ["r0"];
    private readonly HashSet<string> _validAccess = [];
    private readonly List<string> _refreshSent = [];
    private bool _rotate = true;
    private int _issued;

    public RestOAuthRefreshTests()
    {
        _platform.Server.Given(Request.Create().WithPath(TokenPath).UsingPost()).AtPriority(10).RespondWith(Response.Create().WithCallback(TokenEndpoint));
        _platform.Server.Given(Request.Create().WithPath("/api/tickets").UsingGet()).RespondWith(Response.Create().WithCallback(Api));
    }

    public void Dispose()
    {
        _platform.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task TheRotatedRefreshToken_IsSavedInTheStore_AndUsedAfterARestart()
    {
        var file = _dir.File("store.db");
        using (var store = new SqliteStore(file, NullLogger<SqliteStore>.Instance))
        {
            store.Open();
            using var first = RefreshSource(store);
            Assert.Equal(["1"], Ids(await Drain(first)));
            Assert.Equal(["1"], Ids(await Drain(first))); // the access token is cached: no second exchange
            Assert.Equal(["r0"], _refreshSent);
            Assert.Equal("r1", store.Get("rest", "oauth2_refresh_token"));

            _clock.Advance(TimeSpan.FromHours(1)); // the access token expired: the rotated refresh token is sent
            Assert.Equal(["1"], Ids(await Drain(first)));
            Assert.Equal(["r0", "r1"], _refreshSent);
        }

        using (var reopened = new SqliteStore(file, NullLogger<SqliteStore>.Instance))
        {
            reopened.Open();
            using var restarted = RefreshSource(reopened); // configured with the spent r0 still
            Assert.Equal(["1"], Ids(await Drain(restarted)));
            Assert.Equal(["r0", "r1", "r2"], _refreshSent);
            Assert.Equal("r3", reopened.Get("rest", "oauth2_refresh_token"));
        }

        var token = _platform.Requests(TokenPath).First().RequestMessage!;
        Assert.Equal("my-client:" + Secret, Encoding.UTF8.GetString(Convert.FromBase64String(token.Headers!["Authorization"].Single()["Basic ".Length..])));
        Assert.Equal("refresh_token", Form(token.Body!)["grant_type"]);
    }

    [Fact]
    public async Task AnAccessTokenRefusedBeforeItsExpiry_IsRenewedWithTheRotatedRefreshToken_AndTheRequestRetriedOnce()
    {
        using var source = RefreshSource(new MemoryRestState());
        await Drain(source);

        _validAccess.Clear(); // the platform revoked the access token
        Assert.Equal(["1"], Ids(await Drain(source)));

        Assert.Equal(["r0", "r1"], _refreshSent);
        Assert.Equal(["Bearer a0", "Bearer a0", "Bearer a1"], _platform.Requests("/api/tickets").Select(e => e.RequestMessage!.Headers!["Authorization"].Single()).ToArray());
    }

    [Fact]
    public async Task ATokenEndpoint5xx_GoesThroughTheSourcesHttpClient_AndFailsThePollAsHttp5xx()
    {
        _platform.Server.Given(Request.Create().WithPath(TokenPath).UsingPost()).AtPriority(1).RespondWith(FakePlatform.Status(503));
        using var source = RefreshSource(new MemoryRestState());

        var ex = await Assert.ThrowsAsync<SourceException>(() => Drain(source));

        Assert.Equal(ErrorReasons.Http5xx, ex.Reason);
        Assert.StartsWith($"token endpoint {_platform.Url}oauth/token: HTTP 503", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no access token; check KpiCollector:Sources:0:Rest:RefreshToken", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, source.Status.RequestCount); // counted like any request of the source
    }

    [Fact]
    public async Task AnEndpointThatDoesNotRotate_KeepsTheConfiguredToken_AndAPublicClientNamesItselfInTheForm()
    {
        _rotate = false;
        using var source = RefreshSource(new MemoryRestState(), secret: null);

        await Drain(source);
        _clock.Advance(TimeSpan.FromHours(1));
        await Drain(source);

        Assert.Equal(["r0", "r0"], _refreshSent);
        var token = _platform.Requests(TokenPath).First().RequestMessage!;
        Assert.False(token.Headers!.ContainsKey("Authorization"));
        var form = Form(token.Body!);
        Assert.Equal("my-client", form["client_id"]);
        Assert.False(form.ContainsKey("client_secret"));
    }

    [Fact]
    public async Task ANewlyConfiguredRefreshToken_WinsOverTheOneSavedFromTheOldOne()
    {
        var state = new MemoryRestState();
        using (var first = RefreshSource(state))
        {
            await Drain(first); // r0 -> r1 saved
        }

        _validRefresh.Add("fresh"); // the operator authorized again and configured the new token
        using var second = RefreshSource(state, refreshToken: "fresh");
        await Drain(second);

        Assert.Equal(["r0", "fresh"], _refreshSent);
        Assert.Equal("r2", state.Get("rest", "oauth2_refresh_token"));
    }

    [Fact]
    public async Task ARefusedRefreshToken_FailsThePollAsAuth_NamingTheKeys_WithoutAnyToken()
    {
        _validRefresh.Clear();
        using var source = RefreshSource(new MemoryRestState());

        var ex = await Assert.ThrowsAsync<SourceException>(() => Drain(source));

        Assert.Equal(ErrorReasons.Auth, ex.Reason);
        Assert.Contains($"token endpoint {_platform.Url}oauth/token: HTTP 400 (invalid_grant), no access token; the refresh token was refused", ex.Message, StringComparison.Ordinal);
        Assert.Contains("KpiCollector:Sources:0:Rest:RefreshToken", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("r0", ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, ex.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, _platform.Count("/api/tickets"));
    }

    [Fact]
    public void Validation_NamesTheMissingClientIdAndRefreshToken_AndTheRefreshTokenIsASecret()
    {
        var file = Write(Profile());
        var failures = new List<string>();
        RestValidation.Validate("KpiCollector:Sources:2", new SourceOptions { Name = "x", Platform = "rest", BaseUrl = "http://127.0.0.1/" }, new RestSettings { Profile = file }, failures);

        Assert.Equal(
            [
                "KpiCollector:Sources:2:Rest:ClientId is required by the profile's oauth2_refresh_token authenticator",
                "KpiCollector:Sources:2:Rest:RefreshToken (environment variable) or KpiCollector:Sources:2:Rest:RefreshTokenFile is required by the profile's oauth2_refresh_token authenticator (the first one; rotated ones are kept in the store)",
            ],
            failures);
        failures.Clear();
        RestValidation.Validate("KpiCollector:Sources:2", new SourceOptions { Name = "x", Platform = "rest", BaseUrl = "http://127.0.0.1/" }, new RestSettings { Profile = file, ClientId = "id", RefreshTokenFile = "/run/secrets/r" }, failures);
        Assert.Empty(failures);
        Assert.True(SecretKeys.IsSecret("KpiCollector:Sources:0:Rest:RefreshToken"));
        Assert.False(SecretKeys.IsSecret("KpiCollector:Sources:0:Rest:RefreshTokenFile"));
    }

    private static string Profile() => Conversations("type: oauth2_refresh_token\ntoken_url: oauth/token");

    private RestSource RefreshSource(IRestState state, string? secret = Secret, string refreshToken = "r0") =>
        new(new SourceOptions
        {
            Name = "rest",
            Platform = "rest",
            BaseUrl = _platform.Url.ToString(),
            Backfill = "1d",
            Timeout = "5s",
            RequestsPerMinute = 100_000,
            MaxRetries = 0,
        }, 0, new RestSettings { Profile = Write(Profile()), ClientId = "my-client", ClientSecret = secret, RefreshToken = refreshToken }, _clock, NullLogger<RestSource>.Instance, state);

    /// <summary>Each refresh token works once; the answer carries a new one (when rotating) and a one-hour access token.</summary>
    private ResponseMessage TokenEndpoint(IRequestMessage request)
    {
        var form = Form(request.Body!);
        var sent = form.GetValueOrDefault("refresh_token") ?? "";
        _refreshSent.Add(sent);
        if (form.GetValueOrDefault("grant_type") != "refresh_token" || !_validRefresh.Contains(sent))
        {
            return Answer(400, """{"error":"invalid_grant","error_description":"unknown refresh token r0"}""");
        }

        var access = $"a{_issued}";
        _validAccess.Add(access);
        if (!_rotate)
        {
            _issued++;
            return Answer(200, $$"""{"access_token":"{{access}}","token_type":"bearer","expires_in":3600}""");
        }

        _validRefresh.Remove(sent);
        var next = $"r{++_issued}";
        _validRefresh.Add(next);
        return Answer(200, $$"""{"access_token":"{{access}}","token_type":"bearer","expires_in":3600,"refresh_token":"{{next}}"}""");
    }

    private ResponseMessage Api(IRequestMessage request) =>
        request.Headers!.TryGetValue("Authorization", out var auth) && auth.Single() is { } value && value.StartsWith("Bearer ", StringComparison.Ordinal) && _validAccess.Contains(value["Bearer ".Length..])
            ? Answer(200, $$"""{"items":{{Tickets(1)}}}""")
            : Answer(401, "{}");

    private static ResponseMessage Answer(int status, string body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
        BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String },
    };

    private static Dictionary<string, string> Form(string body) =>
        body.Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p[1].Replace('+', ' ')));
}
