namespace KpiCollector.Simulator.Faces;

/// <summary>The faults a face can be told to inject into its next API responses.</summary>
public enum FaultKind
{
    /// <summary>429 with <c>Retry-After</c>.</summary>
    RateLimit,

    /// <summary>A 5xx (500 by default).</summary>
    ServerError,

    /// <summary>The normal response, after a delay (beyond the collector's timeout, typically).</summary>
    Slow,

    /// <summary>A 200 whose body breaks the documented shape (a field of the wrong type).</summary>
    Malformed,

    /// <summary>401: the credential expired or was revoked.</summary>
    ExpiredToken,
}
