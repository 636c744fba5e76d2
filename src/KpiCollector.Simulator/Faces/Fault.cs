namespace KpiCollector.Simulator.Faces;

/// <summary>One armed fault: it hits the next <see cref="Remaining"/> API requests (-1: every request until cleared).</summary>
public sealed record Fault(FaultKind Kind, int Remaining, int Status, TimeSpan RetryAfter, TimeSpan Delay);
