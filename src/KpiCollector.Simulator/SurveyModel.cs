using KpiCollector.Core.Records;

namespace KpiCollector.Simulator;

/// <summary>
/// How customers answer surveys. Each answer comes from a latent satisfaction: a mood that waiting and slow resolution
/// push down, plus per-answer noise. CSAT (1–5) and NPS (0–10) rise with it; CES (1–7, low = low effort) falls.
/// </summary>
/// <remarks>
/// With the default options most customers wait about a minute for a human and 85–88% of CSAT answers are 4 or 5;
/// among those who waited more than half an hour it is about two in three.
/// </remarks>
internal static class SurveyModel
{
    public const double CsatRate = 0.30;
    public const double NpsRate = 0.15;
    public const double CesRate = 0.15;

    private const double BaseMood = 1.1;
    private const double BotMoodPenalty = 0.2;
    private static readonly double[] CsatThresholds = [-1.6, -0.9, -0.25, 0.75];

    /// <summary>The customer's mood: lower after a long wait for a human and a long time to resolution.</summary>
    /// <param name="humanWait">Time from creation to the first human reply; null when no human replied (bot-resolved).</param>
    /// <param name="resolution">Time from creation to resolution.</param>
    public static double Mood(TimeSpan? humanWait, TimeSpan resolution)
    {
        var mood = BaseMood - 0.2 * Math.Log(1 + resolution.TotalHours / 2);
        return humanWait is { } wait
            ? mood - 0.35 * Math.Log(1 + wait.TotalMinutes / 5)
            : mood - BotMoodPenalty;
    }

    /// <summary>The kind's scale: CSAT 1–5, NPS 0–10, CES 1–7.</summary>
    public static (double Min, double Max) Scale(SurveyKind kind) => kind switch
    {
        SurveyKind.Csat => (1, 5),
        SurveyKind.Nps => (0, 10),
        _ => (1, 7),
    };

    /// <summary>A score on the kind's scale (CSAT 1–5, NPS 0–10, CES 1–7).</summary>
    public static (double Score, double Min, double Max) Answer(Random random, SurveyKind kind, double mood)
    {
        var u = mood + random.Normal();
        var (min, max) = Scale(kind);
        return kind switch
        {
            SurveyKind.Csat => (1 + CsatThresholds.Count(t => u >= t), min, max),
            SurveyKind.Nps => (Math.Clamp(Math.Round(7.8 + 1.7 * u), min, max), min, max),
            _ => (Math.Clamp(Math.Round(2.8 - 1.3 * u), min, max), min, max),
        };
    }
}
