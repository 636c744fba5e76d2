using KpiCollector.Sources;
using KpiCollector.Configuration;
using KpiCollector.Hosting;
using Microsoft.Extensions.Options;

namespace KpiCollector.Checks;

/// <summary>
/// <c>KpiCollector check config</c> and <c>KpiCollector check sources</c>: the configuration checked exactly as the
/// start checks it (the same sources, binding, validator and messages; exit 2 when invalid), then either printed with
/// each value's origin and every secret redacted (exit 0), or each source asked once (exit 0 when every source can be
/// polled, else 1). Neither opens the store; <c>check config</c> contacts nothing. The arguments after the subcommand
/// are the usual configuration arguments (<c>--KpiCollector:Sources:0:Name=x</c>).
/// </summary>
public static class CheckCommand
{
    public const string Name = "check";

    public const string Usage = """
        Usage: KpiCollector check config  [--Key=value ...]   validate the configuration and print it, secrets redacted
               KpiCollector check sources [--Key=value ...]   ask each configured source once: reachable, authenticated, permissions, budget
        Exit codes: 0 valid / every source can be polled; 1 a source cannot be polled; 2 invalid configuration or usage.
        """;

    /// <summary>True when the command line asks for a check rather than the collector.</summary>
    public static bool IsCheck(string[] args) => args.Length > 0 && args[0] == Name;

    /// <summary>Runs the check <paramref name="args"/> asks for (<c>check config|sources ...</c>) and returns the exit code.</summary>
    /// <param name="settings">Configuration given in memory, over the other sources (as <see cref="KpiCollectorApp.Build"/> takes it).</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, IEnumerable<KeyValuePair<string, string?>>? settings = null, CancellationToken cancellationToken = default)
    {
        var subcommand = args.Length > 1 ? args[1] : "";
        if (subcommand is not ("config" or "sources"))
        {
            error.WriteLine(subcommand.Length == 0 ? "check: say what to check." : $"check: unknown subcommand '{subcommand}'.");
            error.WriteLine(Usage);
            return 2;
        }

        var builder = KpiCollectorApp.CreateBuilder(args[2..], settings);
        KpiCollectorOptions options;
        PlatformCatalog platforms;
        try
        {
            (options, platforms) = KpiCollectorApp.LoadOptions(builder.Configuration);
        }
        catch (OptionsValidationException ex)
        {
            error.WriteLine("Invalid configuration, the collector would not start:");
            error.WriteLine(KpiCollectorApp.FormatFailures(ex));
            return 2;
        }

        return subcommand == "config"
            ? Config(options, platforms, builder.Configuration, output, error)
            : await SourcesCheck.RunAsync(options, platforms, output, cancellationToken) ? 0 : 1;
    }

    private static int Config(KpiCollectorOptions options, PlatformCatalog platforms, IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var (entries, unknown) = EffectiveConfiguration.Describe(options, configuration, platforms);
        output.WriteLine($"Configuration is valid: {options.Sources.Count} source{(options.Sources.Count == 1 ? "" : "s")}.");
        if (options.DemoMode)
        {
            error.WriteLine("warning: no source is configured (KpiCollector:Sources is empty): the collector would run in DEMO MODE, every KPI from the built-in simulator.");
        }

        foreach (var key in unknown)
        {
            error.WriteLine($"warning: {key} is set but is not a configuration key; it is ignored (a typo?).");
        }

        output.WriteLine($"Effective configuration (secrets shown as {EffectiveConfiguration.Redacted}; origin in brackets):");
        var width = entries.Max(e => e.Key.Length + e.Value.Length) + 3;
        foreach (var e in entries)
        {
            output.WriteLine($"  {(e.Key + " = " + e.Value).PadRight(width)}  [{e.Origin}]");
        }

        return 0;
    }
}
