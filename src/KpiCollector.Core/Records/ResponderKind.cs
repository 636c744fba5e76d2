namespace KpiCollector.Core.Records;

/// <summary>Who gave a business reply: an automated bot or a human agent.</summary>
public enum ResponderKind
{
    Human = 0,
    Bot = 1,
}
