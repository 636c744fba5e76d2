using KpiCollector.Hosting;

var app = KpiCollectorApp.Build(args);
return await KpiCollectorApp.RunAsync(app);
