using KpiCollector.Core.Records;

namespace KpiCollector.Sources;

/// <summary>
/// What a source's platform can supply, as configured, so that the exporter can tell "none happened" (a count of 0)
/// from "cannot be known" (no series). A responder kind, a survey kind or message counts that the platform cannot see
/// are not exported for the source, never as 0; the ones it can see are exported in every series of the source, 0
/// included. See docs/metrics.md (Conventions) and, per platform, docs/sources.md.
/// </summary>
public sealed record SourceCapabilities
{
    /// <summary>The responder kinds the platform tells apart, besides <c>responder="all"</c> (always supplied).</summary>
    public required IReadOnlySet<ResponderKind> Responders { get; init; }

    /// <summary>The survey kinds the source reads.</summary>
    public IReadOnlySet<SurveyKind> Surveys { get; init; } = new HashSet<SurveyKind>();

    /// <summary>Whether the source delivers message-level events (<c>helpdesk_messages</c>).</summary>
    public bool Messages { get; init; }

    /// <summary>Human first responses only: the platform counts only agents' replies, or cannot tell who replied.</summary>
    public static IReadOnlySet<ResponderKind> HumanOnly { get; } = new HashSet<ResponderKind> { ResponderKind.Human };

    public static IReadOnlySet<ResponderKind> BotAndHuman { get; } = new HashSet<ResponderKind> { ResponderKind.Human, ResponderKind.Bot };

    /// <summary>A source with no conversations and no surveys (a customers feed).</summary>
    public static SourceCapabilities None { get; } = new() { Responders = new HashSet<ResponderKind>() };

    public static IReadOnlySet<SurveyKind> CsatIf(bool read) => read ? new HashSet<SurveyKind> { SurveyKind.Csat } : new HashSet<SurveyKind>();
}
