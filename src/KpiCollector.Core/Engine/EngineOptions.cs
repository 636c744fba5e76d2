namespace KpiCollector.Core.Engine;

/// <summary>How the engine buckets time and what it computes.</summary>
public sealed record EngineOptions
{
    /// <summary>The rolling windows (the <c>window</c> label). Each must be a whole multiple of <see cref="BucketWidth"/>.</summary>
    public IReadOnlyList<KpiWindow> Windows { get; init; } = KpiWindow.Defaults;

    /// <summary>
    /// The granularity of the windows: an event stays in window W while its bucket is one of the last W/width
    /// buckets, the current one included. Default one minute.
    /// </summary>
    public TimeSpan BucketWidth { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Survey scoring rules (CSAT satisfied threshold).</summary>
    public SurveyScoring Surveys { get; init; } = new();
}

/// <summary>How survey scores are classified.</summary>
public sealed record SurveyScoring
{
    /// <summary>
    /// Scores at or above this count as satisfied. When null, the top two points of the scale (score ≥ max − 1,
    /// which is 4–5 on 1–5 and 102–103 on Freshdesk's −103..103), or the top point on a two-point scale (Zendesk good/bad).
    /// </summary>
    public double? CsatSatisfiedThreshold { get; init; }

    public double CsatThreshold(double scaleMin, double scaleMax) =>
        CsatSatisfiedThreshold ?? (scaleMax - scaleMin >= 2 ? scaleMax - 1 : scaleMax);
}
