namespace KpiCollector.Simulator.Faces.Bitrix24;

/// <summary>
/// The simulated Bitrix24 portal (<c>Simulator:Bitrix24</c>): the inbound webhook it accepts
/// (<c>/rest/{UserId}/{WebhookCode}/{method}</c>), the scopes granted to it, and its leaky bucket. Simulator
/// defaults, not secrets.
/// </summary>
public sealed class Bitrix24FaceOptions
{
    public int UserId { get; set; } = 1;

    public string WebhookCode { get; set; } = "simulator-bitrix24-webhook-code";

    /// <summary>The scopes the webhook was given, comma-separated (what the <c>scope</c> method answers).</summary>
    public string Scopes { get; set; } = "crm,imopenlines,im,user";

    /// <summary>Requests the bucket drains a second: 2 below Enterprise, 5 on Enterprise.</summary>
    public double DrainPerSecond { get; set; } = 2;

    /// <summary>Requests the bucket holds before it answers QUERY_LIMIT_EXCEEDED: 50 below Enterprise, 250 on Enterprise.</summary>
    public int Burst { get; set; } = 50;
}
