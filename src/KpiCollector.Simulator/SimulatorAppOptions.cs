using KpiCollector.Core.Time;
using KpiCollector.Simulator.Faces.Bitrix24;
using KpiCollector.Simulator.Faces.Chatwoot;
using KpiCollector.Simulator.Faces.CmCom;
using KpiCollector.Simulator.Faces.EDesk;
using KpiCollector.Simulator.Faces.Freshdesk;
using KpiCollector.Simulator.Faces.HelpDesk;
using KpiCollector.Simulator.Faces.Interakt;
using KpiCollector.Simulator.Faces.LiveAgent;
using KpiCollector.Simulator.Faces.ServiceNow;
using KpiCollector.Simulator.Faces.SuperOffice;
using KpiCollector.Simulator.Faces.Trengo;
using KpiCollector.Simulator.Faces.WhatsApp;
using KpiCollector.Simulator.Faces.Zendesk;

namespace KpiCollector.Simulator;

/// <summary>
/// The runnable simulator's configuration: the <c>Simulator</c> section (command line <c>--Simulator:Seed=7</c>, or
/// environment <c>SIMULATOR__SEED=7</c>). The traffic model's knobs mean what they mean for the collector's demo mode.
/// </summary>
public sealed class SimulatorAppOptions
{
    public const string SectionName = "Simulator";

    public int Seed { get; set; } = 42;

    public double ArrivalsPerHour { get; set; } = 120;

    public int Agents { get; set; } = 24;

    public int ChatConcurrency { get; set; } = 3;

    public double BotDeflection { get; set; } = 0.25;

    /// <summary>Share of emails nobody sees for a day up to <see cref="StrandedFor"/> (old, idle, open tickets). Default 0.</summary>
    public double StrandedShare { get; set; }

    /// <summary>The longest a stranded email waits unseen. Default <c>21d</c>.</summary>
    public string StrandedFor { get; set; } = "21d";

    /// <summary>How much history exists when the simulator starts (the faces serve traffic from then on). Default <c>7d</c>.</summary>
    public string Backfill { get; set; } = "7d";

    public ZendeskFaceOptions Zendesk { get; set; } = new();

    public FreshdeskFaceOptions Freshdesk { get; set; } = new();

    public ChatwootFaceOptions Chatwoot { get; set; } = new();

    public SuperOfficeFaceOptions SuperOffice { get; set; } = new();

    public CmComFaceOptions CmCom { get; set; } = new();

    public ServiceNowFaceOptions ServiceNow { get; set; } = new();

    public LiveAgentFaceOptions LiveAgent { get; set; } = new();

    public EDeskFaceOptions EDesk { get; set; } = new();

    public HelpDeskFaceOptions HelpDesk { get; set; } = new();

    public TrengoFaceOptions Trengo { get; set; } = new();

    public Bitrix24FaceOptions Bitrix24 { get; set; } = new();

    public WhatsAppFaceOptions WhatsApp { get; set; } = new();

    /// <summary>The Interakt webhook poster: the same WhatsApp traffic, posted as Interakt's events.</summary>
    public InteraktFaceOptions Interakt { get; set; } = new();

    /// <summary>Every problem with the options, each naming its key.</summary>
    public IReadOnlyList<string> Validate()
    {
        var failures = new List<string>();
        if (!(ArrivalsPerHour > 0 && ArrivalsPerHour <= 100_000))
        {
            failures.Add($"{SectionName}:ArrivalsPerHour: {ArrivalsPerHour} is out of range; allowed: more than 0, at most 100000.");
        }

        if (Agents is < 1 or > 10_000)
        {
            failures.Add($"{SectionName}:Agents: {Agents} is out of range; allowed: 1 to 10000.");
        }

        if (ChatConcurrency is < 1 or > 20)
        {
            failures.Add($"{SectionName}:ChatConcurrency: {ChatConcurrency} is out of range; allowed: 1 to 20.");
        }

        if (BotDeflection is < 0 or > 1)
        {
            failures.Add($"{SectionName}:BotDeflection: {BotDeflection} is out of range; allowed: 0 to 1.");
        }

        if (StrandedShare is < 0 or > 1)
        {
            failures.Add($"{SectionName}:StrandedShare: {StrandedShare} is out of range; allowed: 0 to 1.");
        }

        if (!Durations.TryParse(StrandedFor, out var strandedFor) || strandedFor <= TimeSpan.FromDays(1))
        {
            failures.Add($"{SectionName}:StrandedFor: '{StrandedFor}' is not a duration of more than a day; use {Durations.Syntax}.");
        }

        if (!Durations.TryParse(Backfill, out _))
        {
            failures.Add($"{SectionName}:Backfill: '{Backfill}' is not a positive duration; use {Durations.Syntax}.");
        }

        if (string.IsNullOrWhiteSpace(Zendesk.Email) || string.IsNullOrWhiteSpace(Zendesk.ApiToken))
        {
            failures.Add($"{SectionName}:Zendesk:Email and {SectionName}:Zendesk:ApiToken: the simulated Zendesk account needs both.");
        }

        if (Zendesk.RequestsPerMinute < 1 || Freshdesk.RequestsPerMinute < 1)
        {
            failures.Add($"{SectionName}:Zendesk:RequestsPerMinute and {SectionName}:Freshdesk:RequestsPerMinute: must be at least 1.");
        }

        if (Zendesk.Csat is not (ZendeskFaceOptions.CsatLegacy or ZendeskFaceOptions.CsatSurveyResponses))
        {
            failures.Add($"{SectionName}:Zendesk:Csat: '{Zendesk.Csat}' is not a CSAT system; allowed values: {ZendeskFaceOptions.CsatLegacy}, {ZendeskFaceOptions.CsatSurveyResponses}.");
        }

        if (string.IsNullOrWhiteSpace(Freshdesk.ApiKey))
        {
            failures.Add($"{SectionName}:Freshdesk:ApiKey: the simulated Freshdesk account needs an API key.");
        }

        if (Chatwoot.AccountId < 1 || string.IsNullOrWhiteSpace(Chatwoot.ApiToken))
        {
            failures.Add($"{SectionName}:Chatwoot:AccountId and {SectionName}:Chatwoot:ApiToken: the simulated Chatwoot account needs an id of 1 or more and a token.");
        }

        if (string.IsNullOrWhiteSpace(SuperOffice.User) || string.IsNullOrWhiteSpace(SuperOffice.Password))
        {
            failures.Add($"{SectionName}:SuperOffice:User and {SectionName}:SuperOffice:Password: the simulated SuperOffice installation needs both.");
        }

        if (string.IsNullOrWhiteSpace(CmCom.ApiKey) || string.IsNullOrWhiteSpace(CmCom.ApiSecret))
        {
            failures.Add($"{SectionName}:CmCom:ApiKey and {SectionName}:CmCom:ApiSecret: the simulated CM.com account needs both.");
        }

        if (string.IsNullOrWhiteSpace(ServiceNow.User) || string.IsNullOrWhiteSpace(ServiceNow.Password))
        {
            failures.Add($"{SectionName}:ServiceNow:User and {SectionName}:ServiceNow:Password: the simulated ServiceNow instance needs both.");
        }

        if (string.IsNullOrWhiteSpace(LiveAgent.ApiKey))
        {
            failures.Add($"{SectionName}:LiveAgent:ApiKey: the simulated LiveAgent account needs an API key.");
        }

        if (string.IsNullOrWhiteSpace(EDesk.ApiToken))
        {
            failures.Add($"{SectionName}:EDesk:ApiToken: the simulated eDesk account needs an API token.");
        }

        if (string.IsNullOrWhiteSpace(EDesk.TimeZone) || !TimeZoneInfo.TryFindSystemTimeZoneById(EDesk.TimeZone, out _))
        {
            failures.Add($"{SectionName}:EDesk:TimeZone: '{EDesk.TimeZone}' is not a time zone; use an IANA id such as America/New_York.");
        }

        if (!(EDesk.RequestsPerSecond > 0) || EDesk.Burst < 1)
        {
            failures.Add($"{SectionName}:EDesk:RequestsPerSecond and {SectionName}:EDesk:Burst: the rate limit needs a refill above 0 and a burst of at least 1.");
        }

        if (string.IsNullOrWhiteSpace(HelpDesk.AccountId) || string.IsNullOrWhiteSpace(HelpDesk.Token))
        {
            failures.Add($"{SectionName}:HelpDesk:AccountId and {SectionName}:HelpDesk:Token: the simulated HelpDesk.com account needs both.");
        }

        if (string.IsNullOrWhiteSpace(Trengo.Token) || Trengo.RequestsPerMinute < 1)
        {
            failures.Add($"{SectionName}:Trengo:Token and {SectionName}:Trengo:RequestsPerMinute: the simulated Trengo account needs a token and a budget of at least 1 a minute.");
        }

        if (Bitrix24.UserId < 1 || string.IsNullOrWhiteSpace(Bitrix24.WebhookCode) || !(Bitrix24.DrainPerSecond > 0) || Bitrix24.Burst < 1)
        {
            failures.Add($"{SectionName}:Bitrix24:UserId, WebhookCode, DrainPerSecond and Burst: the simulated Bitrix24 portal needs a user id of 1 or more, a webhook code, a drain rate above 0 and a burst of 1 or more.");
        }

        ValidateWhatsApp(failures);
        return failures;
    }

    private void ValidateWhatsApp(List<string> failures)
    {
        var key = $"{SectionName}:WhatsApp";
        if (string.IsNullOrWhiteSpace(WhatsApp.AccessToken) || string.IsNullOrWhiteSpace(WhatsApp.WabaId) || string.IsNullOrWhiteSpace(WhatsApp.PhoneNumberId))
        {
            failures.Add($"{key}:AccessToken, {key}:WabaId and {key}:PhoneNumberId: the simulated WhatsApp Business Account needs all three.");
        }

        if (WhatsApp.CallsPerHour < 1)
        {
            failures.Add($"{key}:CallsPerHour: must be at least 1.");
        }

        if (WhatsApp.DuplicateShare is < 0 or > 1 || WhatsApp.ReorderShare is < 0 or > 1)
        {
            failures.Add($"{key}:DuplicateShare and {key}:ReorderShare: each from 0 to 1.");
        }

        if (!Durations.TryParse(WhatsApp.PostInterval, out _))
        {
            failures.Add($"{key}:PostInterval: '{WhatsApp.PostInterval}' is not a positive duration; use {Durations.Syntax}.");
        }

        if (WhatsApp.WebhookUrl is { Length: > 0 } url && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            failures.Add($"{key}:WebhookUrl: '{url}' is not an absolute http(s) URL.");
        }

        if (string.IsNullOrEmpty(WhatsApp.AppSecret) || string.IsNullOrEmpty(WhatsApp.VerifyToken))
        {
            failures.Add($"{key}:AppSecret and {key}:VerifyToken: the webhook poster needs both.");
        }
    }

    public SimulatorOptions ToModel() => new()
    {
        Seed = Seed,
        ArrivalsPerHour = ArrivalsPerHour,
        Agents = Agents,
        ChatConcurrency = ChatConcurrency,
        BotDeflection = BotDeflection,
        StrandedShare = StrandedShare,
        StrandedFor = Durations.TryParse(StrandedFor, out var strandedFor) ? strandedFor : TimeSpan.FromDays(21),
    };
}
