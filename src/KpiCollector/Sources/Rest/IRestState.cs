namespace KpiCollector.Sources.Rest;

/// <summary>
/// A small durable key-value store per source, for what a REST profile must keep outside the cursor (a rotated
/// OAuth2 refresh token). Implemented by the SQLite store.
/// </summary>
public interface IRestState
{
    string? Get(string source, string key);

    void Set(string source, string key, string value);
}

/// <summary>An in-memory <see cref="IRestState"/>, for a source without a store (tests, <c>check sources</c>).</summary>
public sealed class MemoryRestState : IRestState
{
    private readonly Dictionary<(string, string), string> _values = [];
    private readonly Lock _gate = new();

    public string? Get(string source, string key)
    {
        lock (_gate)
        {
            return _values.GetValueOrDefault((source, key));
        }
    }

    public void Set(string source, string key, string value)
    {
        lock (_gate)
        {
            _values[(source, key)] = value;
        }
    }
}
