# syntax=docker/dockerfile:1
# KpiCollector container image: build with the .NET SDK, run on the ASP.NET Core runtime as a non-root user.
#   docker build -t kpicollector:local .
#   docker build --target simulator -t kpicollector-simulator:local .   # the platform API simulator (port 9471)
#   docker run -p 9470:9470 kpicollector:local          # demo mode: no source configured
# Configuration comes from environment variables (KPICOLLECTOR__SOURCES__0__NAME=...), credentials from mounted
# secrets (KPICOLLECTOR__SOURCES__0__APITOKENFILE=/run/secrets/...): see README.md, "Configuration".

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so the layer is reused while only sources change. The SDK is the
# image's (pinned by its tag); global.json, which pins developer machines to a feature band, is left out on purpose.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/KpiCollector/KpiCollector.csproj src/KpiCollector/
COPY src/KpiCollector.Core/KpiCollector.Core.csproj src/KpiCollector.Core/
COPY src/KpiCollector.Simulator/KpiCollector.Simulator.csproj src/KpiCollector.Simulator/
RUN dotnet restore src/KpiCollector/KpiCollector.csproj && dotnet restore src/KpiCollector.Simulator/KpiCollector.Simulator.csproj
COPY src/ src/
RUN dotnet publish src/KpiCollector/KpiCollector.csproj --no-restore -c Release -o /app \
 && dotnet publish src/KpiCollector.Simulator/KpiCollector.Simulator.csproj --no-restore -c Release -o /simulator

# The simulator: Zendesk, Freshdesk, Chatwoot and WhatsApp Cloud API faces over simulated traffic, and the signed
# WhatsApp webhooks it posts (docs/sources.md, "The simulator's API faces"). For demos and tests, never production.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS simulator
WORKDIR /simulator
COPY --from=build /simulator ./
ENV ASPNETCORE_URLS=http://+:9471 \
    ASPNETCORE_HTTP_PORTS=
EXPOSE 9471
USER $APP_UID
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9471 && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "KpiCollector.Simulator.dll"]

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
# The store lives on a volume (docker-compose.yml: kpicollector-data); the folder belongs to the non-root user so a
# fresh named volume inherits that ownership.
RUN mkdir -p /var/lib/kpicollector && chown "$APP_UID" /var/lib/kpicollector
COPY --from=build /app ./
# Listen on 9470 on every interface; the base image's ASPNETCORE_HTTP_PORTS=8080 is cleared so it cannot compete.
ENV ASPNETCORE_URLS=http://+:9470 \
    ASPNETCORE_HTTP_PORTS= \
    KPICOLLECTOR__STORE__PATH=/var/lib/kpicollector/kpicollector.db
EXPOSE 9470
VOLUME /var/lib/kpicollector
# The non-root user of the .NET images (UID 1654).
USER $APP_UID
# /healthz answers 200 while the process serves. The runtime image has neither curl nor wget: bash's /dev/tcp
# sends a plain HTTP/1.0 request and the status line is checked.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9470 && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "KpiCollector.dll"]
