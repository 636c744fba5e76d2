using KpiCollector.Configuration;
using KpiCollector.Sources;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace KpiCollector.Tests.Configuration;

/// <summary>The store's and the leases' keys: each mistake names its key, and a password never comes from a committed file or the command line.</summary>
public sealed class StoreOptionsTests
{
    [Theory]
    [InlineData("KpiCollector:Store:Provider", "mysql", "KpiCollector:Store:Provider: 'mysql' is not a store provider; use sqlite (the default: one file) or postgres")]
    [InlineData("KpiCollector:Store:Provider", "postgres", "KpiCollector:Store:ConnectionString: the postgres provider needs a connection string; set the environment variable KPICOLLECTOR__STORE__CONNECTIONSTRING or KpiCollector:Store:ConnectionStringFile.")]
    [InlineData("KpiCollector:Leases:Duration", "soon", "KpiCollector:Leases:Duration: 'soon' is not a positive duration")]
    [InlineData("KpiCollector:Leases:Duration", "1s", "KpiCollector:Leases:Duration: '1s' is out of range; give 3s to 10m")]
    [InlineData("KpiCollector:Leases:ReplicaId", "  ", "KpiCollector:Leases:ReplicaId: give 1 to 128 printable characters")]
    public void AWrongValue_NamesItsKey(string key, string value, string expected)
    {
        var failures = Fail(new() { [key] = value });

        Assert.Contains(failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void AConnectionStringThatDoesNotParse_OrBothForms_AreRefused_WithoutEchoingTheString()
    {
        var unparseable = Fail(new()
        {
            ["KpiCollector:Store:Provider"] = "postgres",
            ["KpiCollector:Store:ConnectionString"] = "Host=db;Password=hunter2-xyz;Bogus Key Here=1",
        });
        Assert.Contains(unparseable, f => f.StartsWith("KpiCollector:Store:ConnectionString: the connection string does not parse", StringComparison.Ordinal));
        Assert.DoesNotContain(unparseable, f => f.Contains("hunter2", StringComparison.Ordinal));

        using var dir = new TempDirectory();
        var file = dir.File("pg");
        File.WriteAllText(file, "Host=db;Username=k\n");
        var both = Fail(new()
        {
            ["KpiCollector:Store:Provider"] = "postgres",
            ["KpiCollector:Store:ConnectionString"] = "Host=db",
            ["KpiCollector:Store:ConnectionStringFile"] = file,
        });
        Assert.Contains(both, f => f.StartsWith("KpiCollector:Store:ConnectionString: both it and KpiCollector:Store:ConnectionStringFile are set", StringComparison.Ordinal));

        var missing = Fail(new() { ["KpiCollector:Store:Provider"] = "postgres", ["KpiCollector:Store:ConnectionStringFile"] = dir.File("absent") });
        Assert.Contains(missing, f => f.StartsWith("KpiCollector:Store:ConnectionStringFile: the file", StringComparison.Ordinal));
    }

    [Fact]
    public void AConnectionStringFile_IsRead_AndPostgresWithoutAnyProblemIsValid()
    {
        using var dir = new TempDirectory();
        var file = dir.File("pg");
        File.WriteAllText(file, "Host=db.example;Database=kpi;Username=kpi;Password=from-a-file\n");

        var options = Bind(new() { ["KpiCollector:Store:Provider"] = "postgres", ["KpiCollector:Store:ConnectionStringFile"] = file });

        Assert.True(options.Store.IsPostgres);
        Assert.Equal("Host=db.example;Database=kpi;Username=kpi;Password=from-a-file", options.Store.EffectiveConnectionString);
        Assert.Equal("15s", options.Leases.Duration);
        Assert.Equal($"{Environment.MachineName}-{Environment.ProcessId}", options.Leases.EffectiveReplicaId);
    }

    [Fact]
    public void APasswordInAConnectionStringOnTheCommandLine_IsRefused_AndOneWithoutAPasswordIsNot()
    {
        var withPassword = new ConfigurationBuilder()
            .AddCommandLine(["--KpiCollector:Store:Provider=postgres", "--KpiCollector:Store:ConnectionString=Host=db;Username=k;Password=cli-Pa55"])
            .Build();
        var failure = Assert.Single(ConfigurationShape.Check(withPassword, BuiltInPlatforms.Catalog()).Failures);
        Assert.Equal("KpiCollector:Store:ConnectionString: a connection string with a password is not accepted from the command line; set the environment variable KPICOLLECTOR__STORE__CONNECTIONSTRING, or write it to a file and name the file in KpiCollector:Store:ConnectionStringFile, and remove it from there.", failure);
        Assert.DoesNotContain("cli-Pa55", failure, StringComparison.Ordinal);

        var withoutPassword = new ConfigurationBuilder()
            .AddCommandLine(["--KpiCollector:Store:Provider=postgres", "--KpiCollector:Store:ConnectionString=Host=db;Username=k"])
            .Build();
        Assert.Empty(ConfigurationShape.Check(withoutPassword, BuiltInPlatforms.Catalog()).Failures);
    }

    private static KpiCollectorOptions Bind(Dictionary<string, string?> values) => OptionsValidationTests.Bind(values);

    private static IReadOnlyList<string> Fail(Dictionary<string, string?> values) =>
        Assert.Throws<OptionsValidationException>(() => Bind(values)).Failures.ToList();
}
