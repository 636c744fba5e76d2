using System.Net;
using System.Text;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Sources.Customers;
using KpiCollector.Tests.Support;

namespace KpiCollector.Tests.Sources;

public sealed class CustomersFeedSourceTests : IDisposable
{
    private const string Feed = """
        { "periods": [
          { "start": "2026-11-01T00:00:00Z", "end": "2026-11-02T00:00:00Z", "customersAtStart": 200, "customersAtEnd": 200, "new": 20, "lost": 20 },
          { "start": "2026-11-02T00:00:00Z", "end": "2026-11-03T00:00:00Z", "customersAtStart": 200, "customersAtEnd": 205, "new": 10, "lost": 5 }
        ] }
        """;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task FileFeed_YieldsOneCustomerCountPerPeriod()
    {
        var path = _dir.File("customers.json");
        await File.WriteAllTextAsync(path, Feed);

        var batch = await PollOnce(Source(Options(new Uri(path).AbsoluteUri)));

        Assert.Equal(2, batch.Customers.Count);
        Assert.Equal(new CustomerCount { Source = "crm", PeriodStart = DateTimeOffset.Parse("2026-11-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), PeriodEnd = DateTimeOffset.Parse("2026-11-02T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), Start = 200, End = 200, New = 20, Lost = 20 }, batch.Customers[0]);
        Assert.Equal(batch.Customers[1].PeriodEnd, batch.Watermark);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{ "rows": [] }""")]
    [InlineData("""{ "periods": [ { "start": "2026-11-02T00:00:00Z", "end": "2026-11-01T00:00:00Z", "customersAtStart": 1, "customersAtEnd": 1, "new": 0, "lost": 0 } ] }""")]
    [InlineData("""{ "periods": [ { "start": "2026-11-01T00:00:00Z", "end": "2026-11-02T00:00:00Z", "customersAtStart": 1, "customersAtEnd": 1, "new": -3, "lost": 0 } ] }""")]
    public async Task MalformedFeed_IsAParseErrorAndYieldsNothing(string content)
    {
        var path = _dir.File("customers.json");
        await File.WriteAllTextAsync(path, content);

        var ex = await Assert.ThrowsAsync<SourceException>(() => PollOnce(Source(Options(new Uri(path).AbsoluteUri))));
        Assert.Equal(ErrorReasons.Parse, ex.Reason);
    }

    [Fact]
    public async Task HttpFeed_SendsTheBearerToken_AndAnAuthFailureNeverEchoesIt()
    {
        using var server = new LoopbackServer(ctx =>
        {
            var ok = ctx.Request.Headers["Authorization"] == "Bearer s3cr3t";
            ctx.Response.StatusCode = ok ? 200 : 401;
            return ok ? Feed : "{}";
        });

        var good = await PollOnce(Source(Options(server.Url, "s3cr3t")));
        Assert.Equal(2, good.Customers.Count);

        var ex = await Assert.ThrowsAsync<SourceException>(() => PollOnce(Source(Options(server.Url, "wrong-token"))));
        Assert.Equal(ErrorReasons.Auth, ex.Reason);
        Assert.DoesNotContain("wrong-token", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ApiToken", ex.Message, StringComparison.Ordinal);
    }

    private static SourceOptions Options(string url, string? token = null) => new() { Name = "crm", Platform = "customers", BaseUrl = url, ApiToken = token, MaxRetries = 0 };

    private static CustomersFeedSource Source(SourceOptions options) =>
        new(options, 0, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<CustomersFeedSource>.Instance);

    private static async Task<SourceBatch> PollOnce(ISource source)
    {
        await foreach (var batch in source.PollAsync(null, CancellationToken.None))
        {
            return batch;
        }

        throw new InvalidOperationException("no batch");
    }

    /// <summary>A one-route HTTP server on a free loopback port.</summary>
    private sealed class LoopbackServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        public LoopbackServer(Func<HttpListenerContext, string> handle)
        {
            var port = System.Net.Sockets.TcpListener.Create(0) is var probe ? Probe(probe) : 0;
            Url = $"http://127.0.0.1:{port}/customers.json";
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext ctx;
                    try
                    {
                        ctx = await _listener.GetContextAsync();
                    }
                    catch (Exception) when (!_listener.IsListening)
                    {
                        return;
                    }

                    var body = Encoding.UTF8.GetBytes(handle(ctx));
                    await ctx.Response.OutputStream.WriteAsync(body);
                    ctx.Response.Close();
                }
            });
        }

        public string Url { get; }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
        }

        private static int Probe(System.Net.Sockets.TcpListener probe)
        {
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return port;
        }
    }
}
