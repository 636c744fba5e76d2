namespace KpiCollector.Core.Engine;

/// <summary>
/// Bounded <c>reason</c> values of <c>kpicollector_records_rejected_total</c>: data that contradicts itself is kept out
/// of the KPIs it would distort (the rest of the record still counts).
/// </summary>
public static class RejectionReasons
{
    public const string ReplyBeforeCreation = "reply_before_creation";
    public const string ResolutionBeforeCreation = "resolution_before_creation";
    public const string ScoreOutOfScale = "score_out_of_scale";
    public const string NegativeHandleTime = "negative_handle_time";
    public const string ReplyBeforeQuestion = "reply_before_question";
    public const string InvalidInterval = "invalid_interval";

    public static IReadOnlyList<string> All { get; } =
        [ReplyBeforeCreation, ResolutionBeforeCreation, ScoreOutOfScale, NegativeHandleTime, ReplyBeforeQuestion, InvalidInterval];
}
