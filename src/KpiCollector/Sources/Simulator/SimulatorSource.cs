using System.Globalization;
using System.Runtime.CompilerServices;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Core.Time;
using KpiCollector.Simulator;

namespace KpiCollector.Sources.Simulator;

/// <summary>
/// A source backed by the in-process traffic simulation (demo mode, or platform <c>simulator</c>). The cursor records
/// the simulation's epoch and how far it has been delivered, so a restart regenerates the same history from the seed
/// and resumes where the store left off. The first poll backfills <see cref="SimulatorSettings.Backfill"/> of history,
/// one simulated hour per page.
/// </summary>
public sealed class SimulatorSource : ISource
{
    private static readonly TimeSpan PageSpan = TimeSpan.FromHours(1);
    private readonly TimeProvider _time;
    private readonly TimeSpan _backfill;
    private readonly TimeSpan _lag;
    private readonly SimulatorOptions _model;
    private readonly (DateTimeOffset Start, DateTimeOffset End)[] _outages;
    private TrafficSimulation? _simulation;

    public SimulatorSource(string name, SimulatorSettings settings, TimeProvider time)
    {
        Name = name;
        _time = time;
        _backfill = Durations.Parse(settings.Backfill);
        _lag = Durations.Parse(settings.Lag);
        var started = time.GetUtcNow();
        _model = ToModel(settings, started);
        _outages = settings.Outages.Select(o => Interval(o, started)).ToArray();
    }

    public string Name { get; }

    public string Platform => SimulatorPlatform.Id;

    public TimeSpan? BackfillSpan => _backfill;

    /// <summary>The simulation knows everything: bot and human replies, CSAT, NPS and CES, and every message.</summary>
    public SourceCapabilities Capabilities { get; } = new()
    {
        Responders = SourceCapabilities.BotAndHuman,
        Surveys = new HashSet<SurveyKind> { SurveyKind.Csat, SurveyKind.Nps, SurveyKind.Ces },
        Messages = true,
    };

    public async IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_outages.Any(o => now >= o.Start && now < o.End))
        {
            throw new SourceException(ErrorReasons.Http5xx, "simulated outage (KpiCollector:Simulator:Outages)");
        }

        // Whole milliseconds, as the cursor saves them: a restart then rebuilds the very simulation this process ran
        // (an epoch a fraction of a millisecond off replays a slightly different history), and the cursor of a page
        // is exactly what the page delivered.
        var complete = DateTimeOffset.FromUnixTimeMilliseconds((now - _lag).ToUnixTimeMilliseconds());
        var (epoch, delivered) = cursor is null ? (complete - _backfill, complete - _backfill) : ParseCursor(cursor);
        var simulation = Resume(epoch, delivered);
        while (simulation.Now < complete)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var until = simulation.Now + PageSpan < complete ? simulation.Now + PageSpan : complete;
            var delta = simulation.AdvanceTo(until);
            yield return new SourceBatch
            {
                Conversations = delta.Conversations,
                Surveys = delta.Surveys,
                Messages = delta.Messages,
                AgentActivities = delta.AgentActivities,
                Costs = delta.Costs,
                Customers = delta.Customers,
                Cursor = FormatCursor(epoch, until),
                Watermark = until,
            };
            await Task.Yield(); // let shutdown and other jobs in between pages
        }
    }

    /// <summary>The simulation positioned exactly at what the store holds; rebuilt from the seed when it is not.</summary>
    private TrafficSimulation Resume(DateTimeOffset epoch, DateTimeOffset delivered)
    {
        if (_simulation is { } s && s.Epoch == epoch && s.Now == delivered)
        {
            return s;
        }

        _simulation = new TrafficSimulation(_model, Name, epoch);
        if (delivered > epoch)
        {
            _simulation.AdvanceTo(delivered); // replays what was already delivered; output discarded
        }

        return _simulation;
    }

    /// <summary>The traffic model; surges are placed relative to <paramref name="started"/>.</summary>
    internal static SimulatorOptions ToModel(SimulatorSettings s, DateTimeOffset started) => new()
    {
        Seed = s.Seed,
        ArrivalsPerHour = s.ArrivalsPerHour,
        Agents = s.Agents,
        ChatConcurrency = s.ChatConcurrency,
        BotDeflection = s.BotDeflection,
        Surges = s.Surges.Select(x => Interval(x, started)).Select((x, i) => new SimulatedSurge(x.Start, x.End - x.Start, s.Surges[i].Multiplier)).ToList(),
    };

    private static (DateTimeOffset Start, DateTimeOffset End) Interval(ScenarioSettings s, DateTimeOffset started)
    {
        Durations.TryParseNonNegative(s.StartAfter, out var after);
        var start = started + after;
        return (start, start + Durations.Parse(s.Duration));
    }

    internal static string FormatCursor(DateTimeOffset epoch, DateTimeOffset delivered) =>
        string.Create(CultureInfo.InvariantCulture, $"sim1:{epoch.ToUnixTimeMilliseconds()}:{delivered.ToUnixTimeMilliseconds()}");

    internal static (DateTimeOffset Epoch, DateTimeOffset Delivered) ParseCursor(string cursor)
    {
        var parts = cursor.Split(':');
        if (parts.Length != 3 || parts[0] != "sim1"
            || !long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch)
            || !long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var delivered))
        {
            throw new SourceException(ErrorReasons.Parse, $"the saved simulator cursor '{cursor}' is not in the sim1:epoch:delivered form");
        }

        return (DateTimeOffset.FromUnixTimeMilliseconds(epoch), DateTimeOffset.FromUnixTimeMilliseconds(delivered));
    }
}
