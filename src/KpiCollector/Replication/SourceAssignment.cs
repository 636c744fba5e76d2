using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace KpiCollector.Replication;

/// <summary>
/// Which live replica should own each source: every replica computes the same answer from the same inputs, with no
/// coordinator. Each source goes to the replica that ranks highest for it (rendezvous hashing: a stable, per-source
/// order of the replicas) among those still under their share (floor or ceiling of sources / replicas), so shares differ
/// by at most one and a replica joining or leaving moves few sources.
/// </summary>
public static class SourceAssignment
{
    public static IReadOnlyDictionary<string, string> Assign(IEnumerable<string> sources, IEnumerable<string> replicas)
    {
        var live = replicas.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var all = sources.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        if (live.Count == 0)
        {
            return owners;
        }

        // Shares of floor(n / r), and one more for n mod r of the replicas: whichever reach it first.
        var share = all.Count / live.Count;
        var larger = all.Count % live.Count;
        var load = live.ToDictionary(r => r, _ => 0, StringComparer.Ordinal);
        foreach (var source in all)
        {
            var full = load.Values.Count(l => l > share);
            var owner = live
                .Where(r => load[r] < share || (load[r] == share && full < larger))
                .OrderByDescending(r => Rank(source, r))
                .ThenBy(r => r, StringComparer.Ordinal)
                .First();
            owners[source] = owner;
            load[owner]++;
        }

        return owners;
    }

    private static ulong Rank(string source, string replica) =>
        BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"{source}\n{replica}")));
}
