using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using RestSharp;
using RestSharp.Authenticators;

namespace KpiCollector.Sources.Customers;

/// <summary>
/// A customers feed (platform <c>customers</c>): a JSON document, from a file or over HTTP(S), giving per period the
/// customers at the start (S) and end (E), new (N) and lost (L), for customer retention and churn. Format in
/// docs/sources.md. Each poll reads the whole document; unchanged periods change nothing.
/// </summary>
public sealed class CustomersFeedSource : ISource, IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Uri _location;
    private readonly RestClient? _http;
    private readonly TimeProvider _time;

    public CustomersFeedSource(string name, SourceOptions options, string? token, TimeProvider time)
    {
        Name = name;
        _time = time;
        _location = new Uri(options.BaseUrl!, UriKind.Absolute);
        if (!_location.IsFile)
        {
            // One long-lived client per source: RestSharp pools connections per client.
            _http = new RestClient(new RestClientOptions(_location)
            {
                Timeout = TimeSpan.FromSeconds(30),
                Authenticator = token is null ? null : new JwtAuthenticator(token),
                ThrowOnAnyError = false,
            });
        }
    }

    public string Name { get; }

    public string Platform => Platforms.Customers;

    public SourceCapabilities Capabilities => SourceCapabilities.None;

    public async IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var text = await ReadAsync(cancellationToken);
        CustomersDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<CustomersDocument>(text, Json);
        }
        catch (JsonException ex)
        {
            throw new SourceException(ErrorReasons.Parse, $"the customers feed is not valid JSON ({ex.Path}: {ex.Message})");
        }

        var periods = document?.Periods ?? throw new SourceException(ErrorReasons.Parse, "the customers feed has no \"periods\" array");
        var counts = new List<CustomerCount>(periods.Count);
        for (var i = 0; i < periods.Count; i++)
        {
            var p = periods[i];
            if (p.Start is not { } start || p.End is not { } end || end <= start || p.CustomersAtStart is not { } s || s < 0
                || p.CustomersAtEnd is not { } e || e < 0 || p.New is not { } n || n < 0 || p.Lost is not { } l || l < 0)
            {
                throw new SourceException(ErrorReasons.Parse, $"periods[{i}] needs start < end and non-negative customersAtStart, customersAtEnd, new and lost");
            }

            counts.Add(new CustomerCount { Source = Name, PeriodStart = start, PeriodEnd = end, Start = s, End = e, New = n, Lost = l });
        }

        var complete = counts.Count == 0 ? _time.GetUtcNow() : counts.Max(c => c.PeriodEnd);
        yield return new SourceBatch { Customers = counts, Cursor = complete.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), Watermark = complete };
    }

    public void Dispose() => _http?.Dispose();

    private async Task<string> ReadAsync(CancellationToken ct)
    {
        if (_http is null)
        {
            try
            {
                return await File.ReadAllTextAsync(_location.LocalPath, ct);
            }
            catch (IOException ex)
            {
                throw new SourceException(ErrorReasons.Other, $"cannot read the customers feed file {_location.LocalPath}: {ex.Message}");
            }
        }

        var response = await _http.ExecuteAsync(new RestRequest(), ct);
        return response switch
        {
            { IsSuccessful: true, Content: { } content } => content,
            { StatusCode: System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden } =>
                throw new SourceException(ErrorReasons.Auth, $"the customers feed answered {(int)response.StatusCode}: check KpiCollector:Sources:N:ApiToken of source {Name}"),
            { ResponseStatus: ResponseStatus.TimedOut } => throw new SourceException(ErrorReasons.Timeout, "the customers feed timed out"),
            { StatusCode: var code } when (int)code >= 500 => throw new SourceException(ErrorReasons.Http5xx, $"the customers feed answered {(int)code}"),
            _ when ct.IsCancellationRequested => throw new OperationCanceledException(ct),
            _ => throw new SourceException(ErrorReasons.Other, $"the customers feed answered {(int)response.StatusCode} {response.ErrorMessage}"),
        };
    }

    private sealed record CustomersDocument([property: JsonPropertyName("periods")] List<CustomersPeriod>? Periods);

    private sealed record CustomersPeriod(
        DateTimeOffset? Start,
        DateTimeOffset? End,
        long? CustomersAtStart,
        long? CustomersAtEnd,
        long? New,
        long? Lost);
}
