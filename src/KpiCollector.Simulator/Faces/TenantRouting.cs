using System.Collections.Concurrent;

namespace KpiCollector.Simulator.Faces;

/// <summary>
/// Lets many collector sources poll one face as if each had its own account: a request to
/// <c>/t/{tenant}/{face}/...</c> is served as <c>/{face}/...</c> (same data), and counted per tenant: requests, the
/// ones in flight now, and how many started while another of the same tenant was still in flight. A test of
/// replicas reads <c>GET /_sim/tenants</c> to check that no source was ever polled by two replicas at once.
/// </summary>
public static class TenantRouting
{
    private static readonly ConcurrentDictionary<string, TenantCounters> Tenants = new(StringComparer.Ordinal);

    public static void UseTenantRouting(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "";
            if (!path.StartsWith("/t/", StringComparison.Ordinal))
            {
                await next(context);
                return;
            }

            var end = path.IndexOf('/', 3);
            if (end <= 3)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            var tenant = path[3..end];
            context.Request.PathBase = context.Request.PathBase.Add(path[..end]);
            context.Request.Path = path[end..];
            var counters = Tenants.GetOrAdd(tenant, _ => new TenantCounters());
            counters.Enter();
            try
            {
                await next(context);
            }
            finally
            {
                counters.Leave();
            }
        });
        app.UseRouting(); // after the rewrite, so the faces' routes see the path without the tenant
        app.MapGet("/_sim/tenants", () => Results.Json(Tenants.OrderBy(t => t.Key, StringComparer.Ordinal).ToDictionary(t => t.Key, t => t.Value.Read())));
    }

    private sealed class TenantCounters
    {
        private readonly Lock _gate = new();
        private long _requests;
        private int _inFlight;
        private int _maxInFlight;
        private long _overlapping;

        public void Enter()
        {
            lock (_gate)
            {
                _requests++;
                if (_inFlight > 0)
                {
                    _overlapping++;
                }

                _inFlight++;
                _maxInFlight = Math.Max(_maxInFlight, _inFlight);
            }
        }

        public void Leave()
        {
            lock (_gate)
            {
                _inFlight--;
            }
        }

        public object Read()
        {
            lock (_gate)
            {
                return new { requests = _requests, inFlight = _inFlight, maxInFlight = _maxInFlight, overlapping = _overlapping };
            }
        }
    }
}
