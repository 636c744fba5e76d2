namespace KpiCollector.Core.Engine;

/// <summary><see cref="DistinctAggregator"/> at the fine and the coarse granularity, like <see cref="TieredFamily{TKey}"/>.</summary>
internal sealed class TieredDistinct
{
    private readonly TimeGrid _grid;
    private readonly DistinctAggregator? _fine;
    private readonly DistinctAggregator? _coarse;
    private readonly (bool Coarse, int Index)[] _map;

    public TieredDistinct(KpiWindow[] windows, TimeGrid grid, long nowMs)
    {
        _grid = grid;
        var fine = windows.Where(w => !grid.IsCoarse(w)).ToList();
        var coarse = windows.Where(grid.IsCoarse).ToList();
        if (fine.Count > 0)
        {
            var spans = fine.Select(w => (w, (int)(w.Length.TotalMilliseconds / grid.FineMs))).ToArray();
            _fine = new DistinctAggregator(spans, spans.Max(s => s.Item2), grid.FineBucket(nowMs));
        }

        if (coarse.Count > 0)
        {
            var spans = coarse.Select(w => (w, (int)(w.Length.TotalMilliseconds / grid.CoarseMs))).ToArray();
            _coarse = new DistinctAggregator(spans, spans.Max(s => s.Item2), grid.CoarseBucket(nowMs));
        }

        _map = windows.Select(w => grid.IsCoarse(w) ? (true, coarse.IndexOf(w)) : (false, fine.IndexOf(w))).ToArray();
    }

    public void Apply(int id, long atMs, int sign)
    {
        _fine?.Apply(id, _grid.FineBucket(atMs), sign);
        _coarse?.Apply(id, _grid.CoarseBucket(atMs), sign);
    }

    public void AdvanceTo(long nowMs)
    {
        _fine?.AdvanceTo(_grid.FineBucket(nowMs));
        _coarse?.AdvanceTo(_grid.CoarseBucket(nowMs));
    }

    public int DistinctIn(int window) => _map[window] is var (coarse, index) && coarse ? _coarse!.DistinctIn(index) : _fine!.DistinctIn(index);
}
