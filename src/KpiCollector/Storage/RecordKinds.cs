namespace KpiCollector.Storage;

/// <summary>The <c>kind</c> column of the generic <c>records</c> table (and the kind label of store metrics).</summary>
public static class RecordKinds
{
    public const string Message = "message";
    public const string AgentActivity = "agent_activity";
    public const string Cost = "cost";
    public const string Customers = "customers";
    public const string Usage = "usage";

    /// <summary>Every kind a quarantined record can have (the <c>kind</c> label of <c>kpicollector_store_quarantined_records</c>).</summary>
    public static readonly string[] Quarantinable = ["conversation", "survey", Message, AgentActivity, Cost, Customers, Usage, "sla_outcome"];
}
