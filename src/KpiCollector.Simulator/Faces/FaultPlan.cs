namespace KpiCollector.Simulator.Faces;

/// <summary>
/// The fault queue of one face, switched over HTTP (<c>/_sim/faults/{face}</c>) or by tests. Faults are used in the
/// order they were armed; API requests that find the queue empty are served normally. Thread-safe.
/// </summary>
public sealed class FaultPlan
{
    private readonly Lock _gate = new();
    private readonly List<Fault> _faults = [];
    private readonly Dictionary<FaultKind, long> _injected = [];
    private long _requests;

    public void Arm(Fault fault)
    {
        lock (_gate)
        {
            _faults.Add(fault);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _faults.Clear();
        }
    }

    /// <summary>Counts an API request and returns the fault it must suffer, if any.</summary>
    public Fault? Take()
    {
        lock (_gate)
        {
            _requests++;
            if (_faults.Count == 0)
            {
                return null;
            }

            var fault = _faults[0];
            if (fault.Remaining > 0)
            {
                if (fault.Remaining == 1)
                {
                    _faults.RemoveAt(0);
                }
                else
                {
                    _faults[0] = fault with { Remaining = fault.Remaining - 1 };
                }
            }

            _injected[fault.Kind] = _injected.GetValueOrDefault(fault.Kind) + 1;
            return fault;
        }
    }

    /// <summary>What the control endpoint reports: the queue, requests served and faults injected so far.</summary>
    public object Describe()
    {
        lock (_gate)
        {
            return new
            {
                requests = _requests,
                injected = _injected.ToDictionary(kv => FaultKinds.Name(kv.Key), kv => kv.Value),
                armed = _faults.Select(f => new { kind = FaultKinds.Name(f.Kind), remaining = f.Remaining, status = f.Status, retryAfterSeconds = f.RetryAfter.TotalSeconds, delaySeconds = f.Delay.TotalSeconds }).ToList(),
            };
        }
    }
}
