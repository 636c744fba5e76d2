using KpiCollector.Replication;

namespace KpiCollector.Tests.Replication;

public sealed class SourceAssignmentTests
{
    private static readonly string[] Twelve = [.. Enumerable.Range(1, 12).Select(i => $"source-{i:D2}")];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(12)]
    [InlineData(20)]
    public void EverySourceGetsOneLiveReplica_AndSharesDifferByAtMostOne(int replicas)
    {
        var live = Enumerable.Range(1, replicas).Select(i => $"replica-{i}").ToList();

        var owners = SourceAssignment.Assign(Twelve, live);

        Assert.Equal(Twelve, owners.Keys.Order(StringComparer.Ordinal));
        Assert.All(owners.Values, o => Assert.Contains(o, live));
        var shares = live.Select(r => owners.Values.Count(o => o == r)).ToList();
        Assert.True(shares.Max() - shares.Min() <= 1, $"shares {string.Join(", ", shares)}");
    }

    [Fact]
    public void EveryReplicaComputesTheSameAnswer_WhateverTheOrderItListsThingsIn()
    {
        var a = SourceAssignment.Assign(Twelve, ["r-a", "r-b", "r-c"]);
        var b = SourceAssignment.Assign(Twelve.Reverse(), ["r-c", "r-a", "r-b", "r-a"]);

        Assert.Equal(a.OrderBy(x => x.Key), b.OrderBy(x => x.Key));
    }

    [Fact]
    public void AReplicaLeaving_MovesOnlyItsSourcesAndAFewForBalance()
    {
        var three = SourceAssignment.Assign(Twelve, ["r-a", "r-b", "r-c"]);
        var two = SourceAssignment.Assign(Twelve, ["r-a", "r-b"]);

        var moved = Twelve.Count(s => three[s] != two[s]);
        var orphaned = three.Count(x => x.Value == "r-c");
        Assert.Equal(4, orphaned);
        Assert.InRange(moved, orphaned, orphaned + 4);
        Assert.DoesNotContain("r-c", two.Values);
    }

    [Fact]
    public void NoLiveReplica_AssignsNothing() =>
        Assert.Empty(SourceAssignment.Assign(Twelve, []));
}
