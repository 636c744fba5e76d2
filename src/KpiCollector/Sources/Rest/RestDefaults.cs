namespace KpiCollector.Sources.Rest;

/// <summary>The name of the declarative REST platform and its budget when neither the profile nor the source sets one.</summary>
public static class RestDefaults
{
    /// <summary>The value of <c>KpiCollector:Sources:N:Platform</c> and of the <c>platform</c> label.</summary>
    public const string Platform = "rest";

    /// <summary>A cautious budget for an API whose plan is not known: one request a second.</summary>
    public const int RequestsPerMinute = 60;
}
