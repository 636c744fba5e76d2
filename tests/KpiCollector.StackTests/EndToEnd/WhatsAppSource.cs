using System.Net.Http.Json;
using KpiCollector.StackTests.Support;

namespace KpiCollector.StackTests.EndToEnd;

/// <summary>
/// A WhatsApp source of the end-to-end runs, through the real connector: analytics polled from the simulator's
/// WhatsApp face, webhooks posted by the simulator to the collector and checked against the app secret.
/// </summary>
internal static class WhatsAppSource
{
    public const string Name = "wa";
    private const string Token = "stack-whatsapp-token";
    private const string AppSecret = "stack-app-secret";
    private const string VerifyToken = "stack-verify-token";

    public static string[] SimulatorArgs { get; } =
    [
        "--Simulator:Backfill=2d",
        $"--Simulator:WhatsApp:AccessToken={Token}",
        "--Simulator:WhatsApp:PostInterval=1s",
        // Analytics every 10 s are 720 calls an hour against Meta's 200: a slow run would exhaust the budget and
        // pause the source a minute per call, which these runs are not about.
        "--Simulator:WhatsApp:CallsPerHour=100000",
        "--Logging:LogLevel:Default=Warning",
    ];

    public static IEnumerable<string> Args(int index, SimulatorProcess simulator) =>
    [
        $"--KpiCollector:Sources:{index}:Name={Name}",
        $"--KpiCollector:Sources:{index}:Platform=whatsapp",
        $"--KpiCollector:Sources:{index}:BaseUrl={simulator.BaseUrl("whatsapp")}",
        $"--KpiCollector:Sources:{index}:ApiToken={Token}",
        $"--KpiCollector:Sources:{index}:Interval=2s",
        $"--KpiCollector:Sources:{index}:Backfill=2d",
        $"--KpiCollector:Sources:{index}:RequestsPerMinute=120",
        $"--KpiCollector:Sources:{index}:WhatsApp:WabaId=102290129340398",
        $"--KpiCollector:Sources:{index}:WhatsApp:AnalyticsInterval=10s",
        $"--KpiCollector:Sources:{index}:WhatsApp:AppSecret={AppSecret}",
        $"--KpiCollector:Sources:{index}:WhatsApp:VerifyToken={VerifyToken}",
    ];

    /// <summary>Points the simulator's webhook at the collector; the simulator first does Meta's verification handshake.</summary>
    public static async Task RegisterWebhookAsync(SimulatorProcess simulator, int collectorPort)
    {
        var response = await simulator.Http.PutAsJsonAsync("_sim/whatsapp/webhook", new
        {
            url = $"http://127.0.0.1:{collectorPort}/webhooks/whatsapp/{Name}",
            appSecret = AppSecret,
            verifyToken = VerifyToken,
        });
        Assert.True(response.IsSuccessStatusCode, $"webhook registration: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
