using System.Collections;
using System.Text.RegularExpressions;

namespace KpiCollector.Hosting;

/// <summary>
/// Wraps every log provider of the host so that no secret carried in a URL's query string reaches a log line,
/// whatever the log level: ASP.NET Core's request log (<c>Request starting … ?hub.verify_token=…</c>, written at
/// Information when an operator raises <c>Microsoft.AspNetCore</c>), an HttpClient log, an exception message. The
/// value of every query parameter whose name says it is a credential (<c>token</c>, <c>secret</c>, <c>password</c>,
/// <c>key</c>, <c>signature</c>, …) becomes <c>***</c>, in the message and in the structured state a JSON formatter
/// would write.
/// </summary>
public sealed partial class RedactingLoggerProvider(ILoggerProvider inner) : ILoggerProvider, ISupportExternalScope
{
    public const string Mask = "***";

    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => (inner as ISupportExternalScope)?.SetScopeProvider(scopeProvider);

    public void Dispose() => inner.Dispose();

    /// <summary>Replaces, in the host's services, each registered log provider by the same provider wrapped.</summary>
    public static void WrapAll(IServiceCollection services)
    {
        for (var i = 0; i < services.Count; i++)
        {
            var d = services[i];
            if (d.ServiceType != typeof(ILoggerProvider) || d.IsKeyedService)
            {
                continue;
            }

            services[i] = ServiceDescriptor.Singleton<ILoggerProvider>(sp => new RedactingLoggerProvider(Resolve(sp, d)));
        }
    }

    /// <summary>The text with the value of every credential-like query parameter masked.</summary>
    public static string Redact(string text) =>
        text.Contains('=', StringComparison.Ordinal) ? SecretParameter().Replace(text, "${name}" + Mask) : text;

    private static ILoggerProvider Resolve(IServiceProvider sp, ServiceDescriptor d) => d switch
    {
        { ImplementationInstance: ILoggerProvider instance } => instance,
        { ImplementationFactory: { } factory } => (ILoggerProvider)factory(sp),
        { ImplementationType: { } type } => (ILoggerProvider)ActivatorUtilities.CreateInstance(sp, type),
        _ => throw new InvalidOperationException($"cannot wrap the log provider registration {d}"),
    };

    [GeneratedRegex(@"(?<name>[?&;](?:[A-Za-z0-9_.\-\[\]]*?(?:token|secret|password|passwd|api[_-]?key|apikey|signature|sig|code))=)[^&;\s#""']*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretParameter();

    private sealed class RedactingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            var redacted = new RedactedState(Redact(formatter(state, exception)), state as IEnumerable<KeyValuePair<string, object?>>);
            inner.Log(logLevel, eventId, redacted, exception is null ? null : new RedactedException(exception), static (s, _) => s.Message);
        }
    }

    /// <summary>The message and the structured values of a log entry, redacted.</summary>
    private sealed class RedactedState(string message, IEnumerable<KeyValuePair<string, object?>>? values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly KeyValuePair<string, object?>[] _values =
            values?.Select(kv => kv.Value is string s ? new KeyValuePair<string, object?>(kv.Key, Redact(s)) : kv).ToArray() ?? [];

        public string Message { get; } = message;

        public int Count => _values.Length;

        public KeyValuePair<string, object?> this[int index] => _values[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_values).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;
    }

    /// <summary>An exception whose message and stack text are redacted (a URL in an HttpRequestException's message).</summary>
    private sealed class RedactedException(Exception inner) : Exception(Redact(inner.Message), inner.InnerException)
    {
        public override string? StackTrace => inner.StackTrace;

        public override string ToString() => Redact(inner.ToString());
    }
}
