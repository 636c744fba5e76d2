using System.Net;
using System.Net.Sockets;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace KpiCollector.Tests.Support;

/// <summary>A WireMock server on a free loopback port, for HTTP fault injection the simulator faces do not cover.</summary>
internal sealed class FakePlatform : IDisposable
{
    private int _sequences;

    private FakePlatform(WireMockServer server, Uri url)
    {
        Server = server;
        Url = url;
    }

    public WireMockServer Server { get; }

    public Uri Url { get; }

    public static FakePlatform Start()
    {
        var url = new Uri($"http://127.0.0.1:{FreePort()}");
        return new FakePlatform(WireMockServer.Start(new WireMockServerSettings { Urls = [url.ToString().TrimEnd('/')] }), url);
    }

    /// <summary>GET <paramref name="path"/> answers each response once, in order; the last one repeats.</summary>
    public void Sequence(string path, params IResponseBuilder[] responses)
    {
        var scenario = $"sequence-{++_sequences}";
        for (var i = 0; i < responses.Length; i++)
        {
            var mapping = Server.Given(Request.Create().WithPath(path).UsingGet()).InScenario(scenario);
            if (i > 0)
            {
                mapping = mapping.WhenStateIs($"step-{i}");
            }

            if (i < responses.Length - 1)
            {
                mapping = mapping.WillSetStateTo($"step-{i + 1}");
            }

            mapping.RespondWith(responses[i]);
        }
    }

    /// <summary>Requests received for <paramref name="path"/>.</summary>
    public int Count(string path) => Server.LogEntries.Count(e => e.RequestMessage?.Path == path);

    public IEnumerable<WireMock.Logging.ILogEntry> Requests(string path) =>
        Server.LogEntries.Where(e => e.RequestMessage?.Path == path).OrderBy(e => e.RequestMessage!.DateTime);

    public static IResponseBuilder Json(string body, int status = 200) =>
        Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body);

    public static IResponseBuilder Status(int status) => Response.Create().WithStatusCode(status);

    public void Dispose() => Server.Stop();

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
