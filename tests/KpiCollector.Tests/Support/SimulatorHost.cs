using KpiCollector.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace KpiCollector.Tests.Support;

/// <summary>The simulator's HTTP app in process, on a free loopback port, optionally on a fake clock.</summary>
internal sealed class SimulatorHost : IAsyncDisposable
{
    private SimulatorHost(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    public Uri Address { get; }

    public HttpClient Http { get; }

    /// <summary>The base URL a collector source uses for a face, e.g. <c>http://127.0.0.1:PORT/zendesk</c>.</summary>
    public string BaseUrl(string face) => new Uri(Address, face).ToString();

    public static async Task<SimulatorHost> StartAsync(TimeProvider? time = null, params string[] settings)
    {
        var args = new List<string> { "--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning" };
        args.AddRange(settings.Select(s => "--" + s));
        var app = SimulatorApp.Build([.. args], s =>
        {
            if (time is not null)
            {
                s.AddSingleton(time);
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SimulatorHost(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public T Service<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Http.Dispose();
    }
}
