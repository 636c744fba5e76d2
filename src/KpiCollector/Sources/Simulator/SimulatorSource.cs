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
public sealed class SimulatorSource(string name, SimulatorSettings settings, TimeProvider time) : ISource
{
    private static readonly TimeSpan PageSpan = TimeSpan.FromHours(1);
    private readonly TimeSpan _backfill = Durations.Parse(settings.Backfill);
    private readonly TimeSpan _lag = Durations.Parse(settings.Lag);
    private TrafficSimulation? _simulation;

    public string Name { get; } = name;

    public string Platform => Platforms.Simulator;

    public async IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var complete = time.GetUtcNow() - _lag;
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

        _simulation = new TrafficSimulation(ToModel(settings), Name, epoch);
        if (delivered > epoch)
        {
            _simulation.AdvanceTo(delivered); // replays what was already delivered; output discarded
        }

        return _simulation;
    }

    internal static SimulatorOptions ToModel(SimulatorSettings s) => new()
    {
        Seed = s.Seed,
        ArrivalsPerHour = s.ArrivalsPerHour,
        Agents = s.Agents,
        ChatConcurrency = s.ChatConcurrency,
        BotDeflection = s.BotDeflection,
    };

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
