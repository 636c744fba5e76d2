using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using RestSharp;
using KpiCollector.Sources.Http;

namespace KpiCollector.Sources.Customers;

/// <summary>
/// A customers feed (platform <c>customers</c>): a JSON document, from a file or over HTTP(S), giving per period the
/// customers at the start (S) and end (E), new (N) and lost (L), for customer retention and churn. Format in
/// docs/sources.md. Each poll reads the whole document; unchanged periods change nothing.
/// </summary>
public sealed class CustomersFeedSource : ISourceWithStatus, IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Uri _location;
    private readonly SourceHttpClient? _http;
    private readonly TimeProvider _time;

    /// <remarks>A feed over HTTP(S) goes through the shared HTTP client: timeout, retries, budget and credential as every connector's.</remarks>
    public CustomersFeedSource(SourceOptions options, int index, TimeProvider time, ILogger<CustomersFeedSource> logger, Random? jitter = null)
    {
        Name = options.Name;
        _time = time;
        _location = new Uri(options.BaseUrl!, UriKind.Absolute);
        Status = new SourceStatus(Name, Platform);
        if (!_location.IsFile)
        {
            _http = new SourceHttpClient(HttpSettings(options, index), Status, time, logger, jitter);
        }
    }

    /// <summary>Where, as whom and how the feed is fetched: shared by the poll and <c>check sources</c>.</summary>
    public static HttpSourceSettings HttpSettings(SourceOptions options, int index)
    {
        SourceCredential credential;
        if (string.IsNullOrWhiteSpace(options.ApiToken) && string.IsNullOrWhiteSpace(options.ApiTokenFile))
        {
            credential = SourceCredential.None($"{SourceKeys.Of(index)}:ApiToken (not set)");
        }
        else
        {
            var (secret, hint) = CredentialSource.Read(options, index);
            credential = SourceCredential.Bearer(secret, $"{hint}, sent as a bearer token");
        }

        return HttpSourceSettings.From(options, index, CustomersPlatform.RequestsPerMinute, credential, "The feed's URL must answer a GET with the customers document.");
    }

    public SourceStatus Status { get; }

    public string Name { get; }

    public string Platform => CustomersPlatform.Id;

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

        var response = await _http.SendAsync(new RestRequest(), null, ct);
        return response.Content ?? "";
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
