using KpiCollector.Checks;
using KpiCollector.Configuration;

namespace KpiCollector.Sources.Customers;

/// <summary>A customers feed (a JSON file or URL) for retention and churn (docs/customers-feed.md).</summary>
public sealed class CustomersPlatform : SourcePlatform
{
    public const string Id = "customers";

    /// <summary>A feed is read once a poll: a small budget is plenty.</summary>
    public const int RequestsPerMinute = 60;

    public override string Name => Id;

    /// <summary>Not a helpdesk: a file or a URL, with an optional token, whose own keys are checked here.</summary>
    public override bool IsRemote => false;

    public override void Validate(SourceContext source, List<string> failures)
    {
        if (!Uri.TryCreate(source.Options.BaseUrl, UriKind.Absolute, out var feed)
            || (feed.Scheme != Uri.UriSchemeFile && feed.Scheme != Uri.UriSchemeHttp && feed.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"{source.Key}:BaseUrl: required for platform 'customers': the feed's location, file:///path/customers.json or an http(s) URL.");
        }
    }

    public override ISource Create(SourceContext source, IServiceProvider services) => new CustomersFeedSource(
        source.Options,
        source.Index,
        services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<ILogger<CustomersFeedSource>>());

    public override Task CheckAsync(SourceContext source, SourceCheck check, CancellationToken cancellationToken) =>
        CustomersCheck.CheckAsync(source.Options, source.Index, check, cancellationToken);
}
