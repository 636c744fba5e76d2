using KpiCollector.Core.Engine;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using Counter = KpiCollector.Core.Engine.Counter;

namespace KpiCollector.Metrics;

public sealed partial class PrometheusExporter
{
    private static readonly SurveyKind[] SurveyKindsAll = [SurveyKind.Csat, SurveyKind.Nps, SurveyKind.Ces];

    /// <summary>The responder kinds besides <c>all</c>: <c>human</c> is the time to the first human reply, whoever replied first.</summary>
    private static readonly (ResponderKind Kind, Dist Dist, string Label)[] Responders =
    [
        (ResponderKind.Bot, Dist.FirstResponseBot, "bot"),
        (ResponderKind.Human, Dist.FirstResponseHuman, "human"),
    ];

    private GaugeFamily _created = null!;
    private GaugeFamily _resolved = null!;
    private GaugeFamily _backlog = null!;
    private GaugeFamily _unanswered = null!;
    private GaugeFamily _oldestUnanswered = null!;
    private GaugeFamily _firstResponseSeconds = null!;
    private GaugeFamily _firstResponses = null!;
    private GaugeFamily _waitSeconds = null!;
    private GaugeFamily _responseSeconds = null!;
    private GaugeFamily _resolutionSeconds = null!;
    private GaugeFamily _handleSeconds = null!;
    private GaugeFamily _fcr = null!;
    private GaugeFamily _reopened = null!;
    private GaugeFamily _abandonment = null!;
    private GaugeFamily _csat = null!;
    private GaugeFamily _nps = null!;
    private GaugeFamily _ces = null!;
    private GaugeFamily _cesLow = null!;
    private GaugeFamily _surveyResponses = null!;
    private GaugeFamily _surveyResponseRatio = null!;
    private GaugeFamily _ticketsPerCustomer = null!;
    private GaugeFamily _byType = null!;
    private GaugeFamily _messages = null!;
    private GaugeFamily _utilization = null!;
    private GaugeFamily _agentsOnline = null!;
    private GaugeFamily _requiredAgents = null!;
    private GaugeFamily _cost = null!;
    private GaugeFamily _costPerConversation = null!;
    private GaugeFamily _retention = null!;
    private GaugeFamily _churn = null!;
    private GaugeFamily _quality = null!;
    private GaugeFamily _baseline = null!;

    private void CreateKpiFamilies()
    {
        var w = SeriesLabels("window");
        _created = Family("helpdesk_tickets_created", "Conversations created in the window (count), at created_at.", w);
        _resolved = Family("helpdesk_tickets_resolved", "Conversations resolved in the window and still solved or closed (count), at resolved_at.", w);
        _backlog = Family("helpdesk_backlog_tickets", "Conversations not solved or closed now, by status (count; no window).", SeriesLabels("status"));
        _unanswered = Family("helpdesk_unanswered_tickets", "Open conversations with no business reply yet (count; no window).", SeriesLabels());
        _oldestUnanswered = Family("helpdesk_oldest_unanswered_created_timestamp_seconds", "created_at of the oldest open conversation with no business reply (Unix seconds; no window); absent when there is none.", SeriesLabels());
        _firstResponseSeconds = Family("helpdesk_first_response_seconds", "First response time: first_response_at - created_at (seconds), mean and percentiles, by responder (all, bot, human = time to the first human reply), at the reply time.", SeriesLabels("window", "stat", "responder"));
        _firstResponses = Family("helpdesk_first_responses", "First responses given in the window (count, 0 included), by responder, at the reply time; a responder kind the platform cannot tell apart (bot on Zendesk, Freshdesk, WhatsApp) is absent.", SeriesLabels("window", "responder"));
        _waitSeconds = Family("helpdesk_wait_seconds", "Average wait time: from created_at (or the bot hand-off) to the first human reply (seconds), at the human reply.", SeriesLabels("window", "stat"));
        _responseSeconds = Family("helpdesk_response_seconds", "Response time: every gap from a customer message to the business reply that answers it (seconds), at the reply; needs message-level data.", SeriesLabels("window", "stat"));
        _resolutionSeconds = Family("helpdesk_resolution_seconds", "Resolution time: resolved_at - created_at (seconds), mean and percentiles, at resolved_at.", SeriesLabels("window", "stat"));
        _handleSeconds = Family("helpdesk_handle_seconds", "Agent handling time per resolved conversation (seconds), where the platform reports it, at resolved_at.", SeriesLabels("window", "stat"));
        _fcr = Family("helpdesk_first_contact_resolution_ratio", "First contact resolution: resolved with at most KpiCollector:Kpis:FcrMaxReplies agent public replies and no reopen / resolved with known reply and reopen counts (ratio 0-1), at resolved_at.", w);
        _reopened = Family("helpdesk_reopened_ratio", "Resolved conversations reopened at least once / resolved with a known reopen count (ratio 0-1), at resolved_at.", w);
        _abandonment = Family("helpdesk_abandonment_ratio", "Conversations that ended with no human reply and not resolved by a bot / conversations that ended (ratio 0-1), at the end time.", w);
        _csat = Family("helpdesk_csat_ratio", "CSAT: survey responses at or above the satisfied threshold / responses (ratio 0-1), at responded_at. Absent without responses.", w);
        _nps = Family("helpdesk_nps_score", "NPS: 100 x (promoters 9-10 - detractors 0-6) / responses (score -100..100), at responded_at.", w);
        _ces = Family("helpdesk_ces_score", "CES: mean customer effort score on the configured scale (KpiCollector:Surveys:CesScaleMin..Max), at responded_at.", w);
        _cesLow = Family("helpdesk_ces_low_effort_ratio", "CES responses in the low-effort half of the scale / responses (ratio 0-1), at responded_at.", w);
        _surveyResponses = Family("helpdesk_survey_responses", "Survey responses in the window (count, 0 included), by kind (csat, nps, ces), at responded_at; only the kinds the source reads.", SeriesLabels("window", "kind"));
        _surveyResponseRatio = Family("helpdesk_survey_response_ratio", "Survey responses / surveys offered (ratio 0-1), by kind; only for sources that report unanswered offers.", SeriesLabels("window", "kind"));
        _ticketsPerCustomer = Family("helpdesk_tickets_per_customer", "Conversations created / distinct requesters (ratio), among conversations with a known requester, at created_at.", w);
        _byType = Family("helpdesk_tickets_created_by_type", "Conversations created in the window by ticket type: the top N types (KpiCollector:Kpis:TicketTypesTopN) and other (count; channel all only), at created_at.", SeriesLabels("window", "ticket_type"));
        _messages = Family("helpdesk_messages", "Messages in the window (count), by direction (inbound, outbound), at the message time.", SeriesLabels("window", "direction"));
        _utilization = Family("helpdesk_agent_utilization_ratio", "Agent utilization: time-weighted busy capacity / available capacity over the window (ratio 0-1; channel all only), from agent activity.", w);
        _quality = Family("helpdesk_quality_score_ratio", "Internal quality score: mean over resolved conversations of the weighted share of criteria met (first response and resolution within SLA, FCR, satisfied when surveyed) (ratio 0-1), at resolved_at.", w);
        _baseline = Family("helpdesk_tickets_created_baseline", "Mean conversations created in the same weekday and hour over the previous 4 weeks (count; window 1h only), for spike alerts.", w);
        _agentsOnline = Family("helpdesk_agents_online", "Agents available or busy now (count; no window; channel all: per source), from agent activity.", "source", "platform", "channel");
        _requiredAgents = Family("helpdesk_required_agents", "Erlang C estimate of the agents needed to meet the first-response target from the last hour's arrivals and the 24h average handle time (count; no window; channel all: per source).", "source", "platform", "channel");
        _cost = Family("helpdesk_cost", "Support cost in the window by currency and category (platform fees, staff time at the configured rate, prorated fixed costs; channel all: per source).", "source", "platform", "channel", "currency", "category", "window");
        _costPerConversation = Family("helpdesk_cost_per_conversation", "Support cost in the window / conversations created in the window, by currency (channel all: per source).", "source", "platform", "channel", "currency", "window");
        _retention = Family("helpdesk_customer_retention_ratio", "Customer retention rate (E - N) / S over the customers-feed periods inside the window (ratio; channel all: per source).", "source", "platform", "channel", "window");
        _churn = Family("helpdesk_customer_churn_ratio", "Customer churn L / S over the customers-feed periods inside the window (ratio 0-1; channel all: per source).", "source", "platform", "channel", "window");
    }

    private void PublishKpis(KpiSnapshot snapshot)
    {
        var offers = snapshot.Sources.ToDictionary(s => s.Source, s => s.OffersReported);
        foreach (var series in snapshot.Series)
        {
            var key = series.Key;
            var can = _sources.TryCapabilitiesOf(key.Source);
            foreach (var status in ConversationStatuses.Backlog)
            {
                _backlog.Set(series.BacklogByStatus[(int)status], SeriesValues(key, status.ToLabel()));
            }

            _unanswered.Set(series.Unanswered, SeriesValues(key));
            _oldestUnanswered.SetIfDefined(series.OldestUnansweredCreatedAt?.ToUnixTimeMilliseconds() / 1000.0, SeriesValues(key));
            foreach (var w in series.Windows)
            {
                var labels = SeriesValues(key, w.Window.Name);
                _created.Set(w[Counter.TicketsCreated], labels);
                _resolved.Set(w[Counter.TicketsResolved], labels);
                Durations(_firstResponseSeconds, w[Dist.FirstResponseAll], labels, "all");
                _firstResponses.Set(w[Dist.FirstResponseAll].Count, [.. labels, "all"]);
                foreach (var (kind, dist, label) in Responders)
                {
                    // A responder kind the platform cannot tell apart is unknown, not 0 (a bot share of 0 % would be a lie).
                    if (Supplies(can, kind, w[dist].Count))
                    {
                        Durations(_firstResponseSeconds, w[dist], labels, label);
                        _firstResponses.Set(w[dist].Count, [.. labels, label]);
                    }
                }

                Durations(_waitSeconds, w[Dist.Wait], labels, null);
                Durations(_responseSeconds, w[Dist.Response], labels, null);
                Durations(_resolutionSeconds, w[Dist.Resolution], labels, null);
                Durations(_handleSeconds, w[Dist.Handle], labels, null);
                _fcr.SetIfDefined(w.FirstContactResolutionRatio, labels);
                _reopened.SetIfDefined(w.ReopenedRatio, labels);
                _abandonment.SetIfDefined(w.AbandonmentRatio, labels);
                _csat.SetIfDefined(w.CsatRatio, labels);
                _nps.SetIfDefined(w.NpsScore, labels);
                _ces.SetIfDefined(w.CesScore, labels);
                _cesLow.SetIfDefined(w.CesLowEffortRatio, labels);
                foreach (var kind in SurveyKindsAll)
                {
                    // Every kind the source reads is a count, 0 included, in every series; a kind it cannot read is absent.
                    var responses = w.SurveyResponses(kind);
                    if (can is null ? responses > 0 || w.SurveysOffered(kind) > 0 : can.Surveys.Contains(kind))
                    {
                        _surveyResponses.Set(responses, [.. labels, kind.ToLabel()]);
                    }

                    if (offers.TryGetValue(key.Source, out var reported) && reported.Contains(kind))
                    {
                        _surveyResponseRatio.SetIfDefined(Kpis.Ratio(responses, w.SurveysOffered(kind)), [.. labels, kind.ToLabel()]);
                    }
                }

                _ticketsPerCustomer.SetIfDefined(w.TicketsPerCustomer, labels);
                foreach (var (type, count) in w.TicketTypes)
                {
                    _byType.Set(count, [.. labels, type]);
                }

                if (can is null ? w[Counter.MessagesIn] + w[Counter.MessagesOut] > 0 : can.Messages)
                {
                    _messages.Set(w[Counter.MessagesIn], [.. labels, "inbound"]);
                    _messages.Set(w[Counter.MessagesOut], [.. labels, "outbound"]);
                }

                if (key.Channel == Channels.All)
                {
                    _utilization.SetIfDefined(w.AgentUtilizationRatio, labels);
                }

                _quality.SetIfDefined(w.QualityScoreRatio, labels);
                if (w.Window.Length == TimeSpan.FromHours(1))
                {
                    _baseline.SetIfDefined(series.CreatedBaseline1h, labels);
                }
            }
        }

        PublishSources(snapshot);
    }

    private void PublishSources(KpiSnapshot snapshot)
    {
        var created = snapshot.Series
            .Where(s => s.Key.Channel == Channels.All && (s.Key.Team is null || s.Key.Team == Channels.All))
            .ToDictionary(s => s.Key.Source, s => s.Windows.ToDictionary(w => w.Window.Name, w => w[Counter.TicketsCreated]));
        foreach (var source in snapshot.Sources)
        {
            var platform = PlatformOf(source.Source);
            if (source.ReportsAgents)
            {
                _agentsOnline.Set(source.AgentsOnline, source.Source, platform, Channels.All);
            }

            if (source.RequiredAgents is { } required)
            {
                _requiredAgents.Set(required, source.Source, platform, Channels.All);
            }

            foreach (var c in source.Customers)
            {
                _retention.Set(c.RetentionRatio, source.Source, platform, Channels.All, c.Window.Name);
                _churn.Set(c.ChurnRatio, source.Source, platform, Channels.All, c.Window.Name);
            }
        }

        foreach (var c in snapshot.Costs)
        {
            _cost.Set((double)c.Amount, c.Source, PlatformOf(c.Source), Channels.All, c.Currency, c.Category, c.Window.Name);
        }

        foreach (var group in snapshot.Costs.GroupBy(c => (c.Source, c.Currency, Window: c.Window.Name)))
        {
            var conversations = created.GetValueOrDefault(group.Key.Source)?.GetValueOrDefault(group.Key.Window) ?? 0;
            if (Kpis.CostPerConversation(group.Sum(c => c.Amount), conversations) is { } perConversation)
            {
                _costPerConversation.Set((double)perConversation, group.Key.Source, PlatformOf(group.Key.Source), Channels.All, group.Key.Currency, group.Key.Window);
            }
        }
    }

    /// <summary>
    /// Whether a responder kind is exported for a source: when its platform tells that kind apart. For a source no longer
    /// configured (its records are still in the store) nothing is known about the platform: exported when observed.
    /// </summary>
    private static bool Supplies(SourceCapabilities? can, ResponderKind kind, long observed) =>
        can is null ? observed > 0 : can.Responders.Contains(kind);

    private static void Durations(GaugeFamily family, DistSummary d, string[] labels, string? responder)
    {
        if (d.Count == 0)
        {
            return; // undefined without observations: absent, never 0
        }

        string[] Labels(string stat) => responder is null ? [.. labels, stat] : [.. labels, stat, responder];
        family.Set(d.MeanSeconds, Labels("mean"));
        family.Set(d.P50Seconds, Labels("p50"));
        family.Set(d.P90Seconds, Labels("p90"));
        family.Set(d.P95Seconds, Labels("p95"));
    }
}
