namespace KpiCollector.Simulator.Faces.WhatsApp;

/// <summary>
/// The simulated WhatsApp Business Account (<c>Simulator:WhatsApp</c>): the analytics face's WABA, token, currency and
/// call budget, and the webhook poster (where it posts, the app secret it signs with, the verify token of the
/// handshake, and how often it duplicates or reorders deliveries). Simulator defaults, not secrets.
/// </summary>
public sealed class WhatsAppFaceOptions
{
    /// <summary>The system user access token the Graph API accepts (<c>Authorization: Bearer …</c>).</summary>
    public string AccessToken { get; set; } = "sim-whatsapp-token";

    /// <summary>
    /// A second token, valid but without an asset assignment on the WABA: the node answers what Graph answers then,
    /// HTTP 400 with code 100, subcode 33 ("does not exist, cannot be loaded due to missing permissions").
    /// </summary>
    public string UnassignedAccessToken { get; set; } = "sim-whatsapp-unassigned-token";

    /// <summary>The WhatsApp Business Account id; any other id is an unknown object.</summary>
    public string WabaId { get; set; } = "102290129340398";

    /// <summary>What the WABA field <c>currency</c> reports, and the currency of every <c>cost</c>.</summary>
    public string Currency { get; set; } = "USD";

    /// <summary>A WABA billed through a Solution Partner: analytics come back without <c>cost</c>.</summary>
    public bool PartnerBilled { get; set; }

    /// <summary>The Business Management API budget per hour that <c>x-business-use-case-usage</c> reports against (Meta's default is 200).</summary>
    public int CallsPerHour { get; set; } = 200;

    /// <summary>Where the webhook poster posts from the start (after the verification handshake); null: nowhere until <c>PUT /_sim/whatsapp/webhook</c>.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>The app secret: the key of the <c>X-Hub-Signature-256</c> HMAC.</summary>
    public string AppSecret { get; set; } = "sim-whatsapp-app-secret";

    /// <summary>The verify token sent in the handshake (<c>hub.verify_token</c>).</summary>
    public string VerifyToken { get; set; } = "sim-whatsapp-verify-token";

    /// <summary>The business phone number's id (<c>metadata.phone_number_id</c>).</summary>
    public string PhoneNumberId { get; set; } = "106540352242922";

    /// <summary>The business phone number (<c>metadata.display_phone_number</c>, and the <c>phone_number</c> of analytics).</summary>
    public string DisplayPhoneNumber { get; set; } = "15550783881";

    /// <summary>Share of deliveries posted a second time, byte for byte, a little later.</summary>
    public double DuplicateShare { get; set; } = 0.03;

    /// <summary>Share of outbound messages whose last status is posted before the one it follows.</summary>
    public double ReorderShare { get; set; } = 0.05;

    /// <summary>How often the poster looks for due events (wall-clock time), as a duration (<c>2s</c>, <c>1m</c>).</summary>
    public string PostInterval { get; set; } = "2s";
}
