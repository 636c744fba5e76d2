namespace KpiCollector.Simulator;

/// <summary>
/// <c>dotnet run --project src/KpiCollector.Simulator</c>: the simulated platform APIs on http://127.0.0.1:9471.
/// An explicit class (not top-level statements) so that it never clashes with the host's <c>Program</c>, which
/// references this project as a library.
/// </summary>
public static class SimulatorProgram
{
    /// <returns>0 after a clean stop (Ctrl-C, SIGTERM), 2 for invalid configuration.</returns>
    public static async Task<int> Main(string[] args)
    {
        WebApplication app;
        try
        {
            app = SimulatorApp.Build(args);
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 2;
        }

        await app.RunAsync();
        return 0;
    }
}
