namespace KpiCollector.Storage;

/// <summary>The <c>kind</c> column of the generic <c>records</c> table (and the kind label of store metrics).</summary>
internal static class RecordKinds
{
    public const string Message = "message";
    public const string AgentActivity = "agent_activity";
    public const string Cost = "cost";
    public const string Customers = "customers";
    public const string Usage = "usage";
}
