namespace KpiCollector.Simulator.Faces.WhatsApp;

/// <summary>
/// Deterministic draws keyed by the seed and a name (FNV-1a with a SplitMix64 finish): what the WhatsApp face derives
/// from the simulation (wa_ids, wamids, template traffic, delivery delays, duplicates) is the same in every run.
/// </summary>
internal static class StableHash
{
    public static ulong Of(int seed, string key, string salt)
    {
        var h = 14695981039346656037UL ^ (ulong)(uint)seed;
        foreach (var ch in key)
        {
            h = (h ^ ch) * 1099511628211UL;
        }

        h = (h ^ '|') * 1099511628211UL;
        foreach (var ch in salt)
        {
            h = (h ^ ch) * 1099511628211UL;
        }

        h += 0x9E3779B97F4A7C15UL;
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
        return h ^ (h >> 31);
    }

    /// <summary>A draw in [0, 1): a share of 0 never passes <c>Unit(…) &lt; share</c>, a share of 1 always does.</summary>
    public static double Unit(int seed, string key, string salt) => (Of(seed, key, salt) >> 11) * (1.0 / (1UL << 53));

    /// <summary>A draw between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public static TimeSpan Between(int seed, string key, string salt, TimeSpan min, TimeSpan max) =>
        min + (max - min) * Unit(seed, key, salt);
}
