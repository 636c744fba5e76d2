namespace KpiCollector.Simulator.Faces.Interakt;

/// <summary>
/// The simulated Interakt account (<c>Simulator:Interakt</c>): where its webhook poster posts, the secret key it signs
/// with, and how often it duplicates or reorders deliveries. Simulator defaults, not secrets.
/// </summary>
public sealed class InteraktFaceOptions
{
    /// <summary>Where the poster posts from the start; null: nowhere until <c>PUT /_sim/interakt/webhook</c>.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>The secret key of the webhook settings: the key of the <c>Interakt-Signature</c> HMAC.</summary>
    public string SecretKey { get; set; } = "sim-interakt-secret-key";

    /// <summary>Share of deliveries posted a second time, byte for byte, a little later.</summary>
    public double DuplicateShare { get; set; } = 0.03;

    /// <summary>Share of sent messages whose last status is posted before the one it follows.</summary>
    public double ReorderShare { get; set; } = 0.05;

    /// <summary>How often the poster looks for due events (wall-clock time), as a duration (<c>2s</c>, <c>1m</c>).</summary>
    public string PostInterval { get; set; } = "2s";
}
