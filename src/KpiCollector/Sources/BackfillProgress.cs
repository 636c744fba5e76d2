namespace KpiCollector.Sources;

/// <summary>
/// How far one source's backfill has come, and when it will end: read by the log, the landing page, <c>/readyz</c>
/// and the metrics. Thread-safe: written by the source's (non-concurrent) poll, read by anyone.
/// </summary>
/// <remarks>
/// <para>
/// A backfill runs from the start of the process until the source's first successful poll ends, unless the store
/// already holds data that is recent (within <see cref="RecentEnough"/> of the poll interval): a restart of a source
/// that was caught up is no backfill. It covers the span from <c>start - BackfillSpan</c> to now; the position is how
/// far the read has come through that span (<see cref="Core.Records.SourceBatch.ReadUpTo"/> for a read oldest first,
/// <see cref="Core.Records.SourceBatch.ReadBackTo"/> for one newest first, else the watermark). The ratio is the
/// covered share of the span, measured against a "now" that keeps moving, so a read that only keeps pace with the
/// clock does not progress.
/// </para>
/// <para>
/// The estimate is honest: unknown until the ratio has moved over at least <see cref="MinimumRateSpan"/> of the
/// last <see cref="RateWindow"/>. It is the larger of two figures: the remaining share at the rate of those minutes,
/// and the requests the remaining share needs (at the requests per share seen so far) at the budget the source is
/// paced to. A read that opened with a burst (a budget allows its first minute's requests at once) would otherwise
/// promise an end that the pacing then pushes back.
/// </para>
/// </remarks>
public sealed class BackfillProgress
{
    /// <summary>The rate of progress is taken over this many last minutes.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(5);

    /// <summary>No estimate before progress was seen over this long.</summary>
    public static readonly TimeSpan MinimumRateSpan = TimeSpan.FromSeconds(10);

    /// <summary>At most one progress line in the log this often.</summary>
    public static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(30);

    /// <summary>Stored data no older than this many poll intervals (and at least <see cref="RecentFloor"/>) needs no backfill.</summary>
    public const int RecentEnough = 3;

    public static readonly TimeSpan RecentFloor = TimeSpan.FromMinutes(10);

    private readonly Lock _gate = new();
    private readonly Queue<(DateTimeOffset At, double Ratio)> _samples = new();
    private BackfillState _state = BackfillState.NotStarted;
    private DateTimeOffset _origin;
    private DateTimeOffset _startedAt;
    private DateTimeOffset? _finishedAt;
    private DateTimeOffset? _position;
    private DateTimeOffset? _readBackTo;
    private double? _requestsPerMinute;
    private long _records;
    private long _pages;
    private long _requestsAtStart;
    private double _ratioAtStart;
    private DateTimeOffset _lastLogged;

    private enum BackfillState
    {
        NotStarted,
        Running,
        Done,
    }

    /// <summary>
    /// Decides at start whether this source backfills: <paramref name="span"/> is its backfill (null: it reads no
    /// history, so it never backfills), <paramref name="watermark"/> what the store says its data is complete up to.
    /// </summary>
    public void Begin(DateTimeOffset now, TimeSpan? span, DateTimeOffset? watermark, TimeSpan? pollInterval, double? requestsPerMinute, long requestsSent)
    {
        lock (_gate)
        {
            var recent = TimeSpan.FromTicks(Math.Max(RecentFloor.Ticks, RecentEnough * (pollInterval ?? TimeSpan.Zero).Ticks));
            if (span is not { } s || s <= TimeSpan.Zero || watermark is { } w && now - w <= recent)
            {
                _state = BackfillState.Done;
                return;
            }

            _state = BackfillState.Running;
            _origin = now - s;
            _startedAt = _lastLogged = now;
            _position = watermark > _origin ? watermark : null;
            _requestsPerMinute = requestsPerMinute;
            _requestsAtStart = requestsSent;
            _ratioAtStart = RatioAt(now);
            _samples.Enqueue((now, _ratioAtStart));
        }
    }

    public bool Running
    {
        get { lock (_gate) { return _state == BackfillState.Running; } }
    }

    /// <summary>A page was committed: moves the position and takes a rate sample.</summary>
    public void RecordPage(DateTimeOffset now, int records, DateTimeOffset? readUpTo, DateTimeOffset? readBackTo, DateTimeOffset? watermark)
    {
        lock (_gate)
        {
            if (_state != BackfillState.Running)
            {
                return;
            }

            _records += records;
            _pages++;
            if ((readUpTo ?? watermark) is { } p && (_position is null || p > _position))
            {
                _position = p;
            }

            if (readBackTo is { } b && (_readBackTo is null || b < _readBackTo))
            {
                _readBackTo = b;
            }

            _samples.Enqueue((now, RatioAt(now)));
            while (_samples.Count > 2 && _samples.Peek().At < now - RateWindow)
            {
                _samples.Dequeue();
            }
        }
    }

    /// <summary>The first successful poll ended: the backfill is complete. True when this call completed it.</summary>
    public bool Complete(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_state != BackfillState.Running)
            {
                _state = BackfillState.Done;
                return false;
            }

            _state = BackfillState.Done;
            _finishedAt = now;
            _samples.Clear();
            return true;
        }
    }

    /// <summary>True (and the log time moves) when a progress line is due: a backfill runs and none was logged for <see cref="LogEvery"/>.</summary>
    public bool TakeLogTurn(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_state != BackfillState.Running || now - _lastLogged < LogEvery)
            {
                return false;
            }

            _lastLogged = now;
            return true;
        }
    }

    /// <param name="requests">HTTP requests the source has sent since the process started.</param>
    public BackfillSnapshot Read(DateTimeOffset now, long requests)
    {
        lock (_gate)
        {
            return _state switch
            {
                BackfillState.NotStarted => new BackfillSnapshot(BackfillPhase.NotStarted, 0, null, 0, 0, 0, null, TimeSpan.Zero),
                BackfillState.Done => new BackfillSnapshot(BackfillPhase.Done, 1, null, _records, _pages, requests - _requestsAtStart, null,
                    _finishedAt is { } f ? f - _startedAt : TimeSpan.Zero),
                _ => RunningSnapshot(now, requests),
            };
        }
    }

    private BackfillSnapshot RunningSnapshot(DateTimeOffset now, long requests)
    {
        var ratio = RatioAt(now);
        var sent = requests - _requestsAtStart;
        return new BackfillSnapshot(BackfillPhase.Running, ratio, _readBackTo is null ? _position : null, _records, _pages, sent, Estimate(now, ratio, sent), now - _startedAt);
    }

    private TimeSpan? Estimate(DateTimeOffset now, double ratio, long sent)
    {
        var (at, oldest) = _samples.Count == 0 ? (now, ratio) : _samples.Peek();
        var elapsed = now - at;
        if (elapsed < MinimumRateSpan || ratio <= oldest)
        {
            return null;
        }

        var remaining = 1 - ratio;
        var atRate = remaining * elapsed.TotalSeconds / (ratio - oldest);
        var atBudget = 0.0;
        if (_requestsPerMinute is { } rpm && rpm > 0 && sent > 0 && ratio > _ratioAtStart)
        {
            var requestsPerShare = sent / (ratio - _ratioAtStart);
            atBudget = remaining * requestsPerShare / (rpm / 60);
        }

        return TimeSpan.FromSeconds(Math.Ceiling(Math.Max(atRate, atBudget)));
    }

    /// <summary>The covered share of the span from the origin to <paramref name="now"/>.</summary>
    private double RatioAt(DateTimeOffset now)
    {
        var span = (now - _origin).TotalSeconds;
        if (span <= 0)
        {
            return 0;
        }

        var covered = _readBackTo is { } back
            ? (now - back).TotalSeconds
            : _position is { } p ? (p - _origin).TotalSeconds : 0;
        return Math.Clamp(covered / span, 0, 1);
    }
}

public enum BackfillPhase
{
    /// <summary>Before the start decided (the store is not open yet).</summary>
    NotStarted,

    Running,

    /// <summary>Complete, or no backfill was needed.</summary>
    Done,
}

/// <summary>What <see cref="BackfillProgress"/> says at one instant.</summary>
/// <param name="Ratio">0..1; 1 once done.</param>
/// <param name="ReachedAt">The instant the read has reached (running, oldest-first reads); null when unknown.</param>
/// <param name="Requests">HTTP requests sent since the backfill started (for a done one: in all).</param>
/// <param name="Eta">Estimated time to finish; null when unknown or done.</param>
/// <param name="Elapsed">Running: since it started; done: how long it took (zero when none was needed).</param>
public sealed record BackfillSnapshot(
    BackfillPhase Phase,
    double Ratio,
    DateTimeOffset? ReachedAt,
    long Records,
    long Pages,
    long Requests,
    TimeSpan? Eta,
    TimeSpan Elapsed)
{
    public bool Running => Phase == BackfillPhase.Running;

    /// <summary>"42.0 %".</summary>
    public string Percent => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Ratio * 100:F1} %");

    /// <summary>"about 6 min", "about 1 h 20 min", or "unknown".</summary>
    public string EtaText => Eta is { } eta ? "about " + Human(eta) : "unknown";

    public static string Human(TimeSpan t) => t.TotalSeconds switch
    {
        < 60 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Math.Max(1, Math.Round(t.TotalSeconds)):F0} s"),
        < 3600 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Math.Round(t.TotalMinutes):F0} min"),
        < 86_400 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(int)t.TotalHours} h {t.Minutes} min"),
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(int)t.TotalDays} d {t.Hours} h"),
    };
}
