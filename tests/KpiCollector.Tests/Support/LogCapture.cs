using Microsoft.Extensions.Logging;

namespace KpiCollector.Tests.Support;

/// <summary>A logger provider that keeps every line (with its exception, in full) for assertions.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    private readonly List<Entry> _entries = [];

    public sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception)
    {
        public string FullText => Exception is null ? Message : $"{Message}\n{Exception}";
    }

    public IReadOnlyList<Entry> Entries
    {
        get { lock (_entries) { return [.. _entries]; } }
    }

    /// <summary>Every message and exception captured, as one text: what a log file would hold.</summary>
    public string AllText => string.Join("\n", Entries.Select(e => e.FullText));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public ILogger<T> For<T>() => new TypedLogger<T>(CreateLogger(typeof(T).FullName!));

    /// <summary>Waits (real time, bounded) for a line matching <paramref name="predicate"/>; fails the test when none comes.</summary>
    public async Task<Entry> WaitForAsync(Func<Entry, bool> predicate, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (Entries.FirstOrDefault(predicate) is { } found)
            {
                return found;
            }

            await Task.Delay(10);
        }

        Assert.Fail($"no log line for {what}; captured:\n{AllText}");
        throw new InvalidOperationException();
    }

    public void Dispose()
    {
    }

    private void Add(Entry entry)
    {
        lock (_entries)
        {
            _entries.Add(entry);
        }
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add(new Entry(category, logLevel, formatter(state, exception), exception));
    }

    private sealed class TypedLogger<T>(ILogger inner) : ILogger<T>
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, exception, formatter);
    }
}
