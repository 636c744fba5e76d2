using System.Net;
using System.Text.Json;

namespace KpiCollector.StackTests.Support;

internal sealed record NotifiedAlert(string Status, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations)
{
    public string Label(string name) => Labels.GetValueOrDefault(name, "");

    public override string ToString() => $"{Status} {{{string.Join(", ", Labels.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}"))}}}";
}

/// <summary>One webhook call of Alertmanager: the receiver named in the payload, and the alerts of the group.</summary>
internal sealed record Notification(string Path, string Receiver, string Status, IReadOnlyList<NotifiedAlert> Alerts, DateTimeOffset ReceivedAt)
{
    /// <summary>The webhook body as Alertmanager sent it.</summary>
    public string Raw { get; init; } = "";

    public override string ToString() => $"{ReceivedAt:HH:mm:ss.fff} {Receiver} ({Path}) {Status}: {string.Join("; ", Alerts)}";
}

/// <summary>
/// Stands in for every receiver of alertmanager.yml during a test: an HTTP listener on loopback that records each
/// Alertmanager webhook call. Receiver <c>name</c> is served at <c>/name</c>.
/// </summary>
internal sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<Notification> _received = [];
    private readonly Task _loop;

    public WebhookReceiver()
    {
        Port = Wait.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    public string UrlFor(string receiver) => $"http://127.0.0.1:{Port}/{receiver}";

    public IReadOnlyList<Notification> Received
    {
        get { lock (_received) { return [.. _received]; } }
    }

    /// <summary>Every alert delivered to <paramref name="receiver"/> (through its own URL), in arrival order.</summary>
    public IReadOnlyList<NotifiedAlert> AlertsAt(string receiver) =>
        Received.Where(n => n.Path == "/" + receiver && n.Receiver == receiver).SelectMany(n => n.Alerts).ToList();

    public string Describe() => Received.Count == 0 ? "no webhook call received" : "webhook calls:\n" + string.Join("\n", Received);

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // the listener was closed under the pending accept
        }
    }

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                using var body = await JsonDocument.ParseAsync(context.Request.InputStream);
                var root = body.RootElement;
                var alerts = root.GetProperty("alerts").EnumerateArray()
                    .Select(a => new NotifiedAlert(a.GetProperty("status").GetString()!, Strings(a.GetProperty("labels")), Strings(a.GetProperty("annotations"))))
                    .ToList();
                var notification = new Notification(context.Request.Url!.AbsolutePath, root.GetProperty("receiver").GetString()!,
                    root.GetProperty("status").GetString()!, alerts, DateTimeOffset.UtcNow) { Raw = root.GetRawText() };
                lock (_received)
                {
                    _received.Add(notification);
                }

                context.Response.StatusCode = 200;
            }
            catch (JsonException)
            {
                context.Response.StatusCode = 400;
            }

            context.Response.Close();
        }
    }

    private static Dictionary<string, string> Strings(JsonElement map) =>
        map.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
}
