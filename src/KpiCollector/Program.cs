using KpiCollector.Checks;
using KpiCollector.Hosting;

if (CheckCommand.IsCheck(args))
{
    return await CheckCommand.RunAsync(args, Console.Out, Console.Error);
}

var app = KpiCollectorApp.Build(args);
return await KpiCollectorApp.RunAsync(app);
