using System.Globalization;
using System.Text;
using System.Text.Json;
using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using KpiCollector.Sources;
using KpiCollector.Storage;

namespace KpiCollector.Endpoints;

/// <summary>
/// <c>GET /export/conversations.csv</c> and <c>GET /export/conversations.json</c>: one row per stored conversation,
/// streamed from a store reader to the response as it is read, so a million rows take the memory of one row and a
/// write buffer (docs/drilldown.md). The fields are the normalized ones, no names and no message text.
/// </summary>
public static class ConversationExport
{
    public static readonly string[] Parameters = ["source", "from", "to"];

    /// <summary>Bytes buffered before a write to the response: few writes, constant memory.</summary>
    private const int FlushBytes = 64 * 1024;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private static readonly string[] Fields =
    [
        "source", "platform", "id", "channel", "status", "priority", "ticket_type", "team", "requester_id", "assignee_id",
        "created_at", "updated_at", "first_response_at", "first_responder", "first_human_response_at", "bot_handoff_at",
        "first_resolved_at", "resolved_at", "closed_at", "first_response_seconds", "first_human_response_seconds",
        "resolution_seconds", "agent_public_replies", "reopens", "handle_seconds", "waiting_on_customer_seconds",
        "csat_score", "csat_scale_min", "csat_scale_max", "link",
    ];

    public static void MapExportEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/export/conversations.csv", (HttpContext context, IStore store, SourceRegistry sources, TicketLinks links, Core.Sla.SlaEvaluator sla) =>
            Export(context, store, sources, links, sla.Policies, "text/csv; charset=utf-8", "conversations.csv", WriteCsvAsync));
        app.MapGet("/export/conversations.json", (HttpContext context, IStore store, SourceRegistry sources, TicketLinks links, Core.Sla.SlaEvaluator sla) =>
            Export(context, store, sources, links, sla.Policies, "application/json; charset=utf-8", "conversations.json", WriteJsonAsync));
    }

    /// <summary>The CSV header, in column order: the fields, then <c>sla_{policy}_met</c> and <c>sla_{policy}_breached</c> per policy.</summary>
    public static IReadOnlyList<string> CsvHeader(IReadOnlyList<SlaPolicy> policies) =>
        [.. Fields, .. policies.SelectMany(p => new[] { $"sla_{p.Name}_met", $"sla_{p.Name}_breached" })];

    /// <summary>Writes the rows as RFC 4180 CSV (CRLF line ends, fields quoted when they hold a comma, quote or line break).</summary>
    public static async Task<long> WriteCsvAsync(IEnumerable<StoredConversation> rows, Stream output, ExportContext context, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, Utf8, FlushBytes, leaveOpen: true);
        var line = new StringBuilder(FlushBytes + 4096);
        var header = CsvHeader(context.Policies);
        for (var i = 0; i < header.Count; i++)
        {
            line.Append(i == 0 ? "" : ",");
            Csv(line, header[i]);
        }

        line.Append("\r\n");
        long count = 0;
        var values = new string?[header.Count];
        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Values(row, context, values);
            for (var i = 0; i < values.Length; i++)
            {
                if (i > 0)
                {
                    line.Append(',');
                }

                Csv(line, values[i]);
            }

            line.Append("\r\n");
            count++;
            if (line.Length >= FlushBytes)
            {
                await writer.WriteAsync(line, cancellationToken);
                line.Clear();
            }
        }

        await writer.WriteAsync(line, cancellationToken);
        await writer.FlushAsync(cancellationToken);
        return count;
    }

    /// <summary>Writes the rows as one JSON array of objects, flushed as it grows.</summary>
    public static async Task<long> WriteJsonAsync(IEnumerable<StoredConversation> rows, Stream output, ExportContext context, CancellationToken cancellationToken)
    {
        await using var json = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true });
        json.WriteStartArray();
        long count = 0;
        var values = new string?[Fields.Length + (2 * context.Policies.Count)];
        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Values(row, context, values);
            json.WriteStartObject();
            for (var i = 0; i < Fields.Length; i++)
            {
                WriteField(json, Fields[i], values[i]);
            }

            json.WriteStartObject("sla");
            for (var p = 0; p < context.Policies.Count; p++)
            {
                json.WriteStartObject(context.Policies[p].Name);
                json.WriteNumber("met", int.Parse(values[Fields.Length + (2 * p)]!, CultureInfo.InvariantCulture));
                json.WriteNumber("breached", int.Parse(values[Fields.Length + (2 * p) + 1]!, CultureInfo.InvariantCulture));
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
            count++;
            if (json.BytesPending >= FlushBytes)
            {
                await json.FlushAsync(cancellationToken);
            }
        }

        json.WriteEndArray();
        await json.FlushAsync(cancellationToken);
        return count;
    }

    private static IResult Export(HttpContext http, IStore store, SourceRegistry sources, TicketLinks links, IReadOnlyList<SlaPolicy> policies,
        string contentType, string fileName, Func<IEnumerable<StoredConversation>, Stream, ExportContext, CancellationToken, Task<long>> write)
    {
        string? source;
        DateTimeOffset? from, to;
        try
        {
            QueryParameters.RejectUnknown(http.Request.Query, Parameters);
            source = QueryParameters.Source(http.Request.Query, sources);
            from = QueryParameters.Instant(http.Request.Query, "from");
            to = QueryParameters.Instant(http.Request.Query, "to");
            if (from is not null && to is not null && to <= from)
            {
                throw new QueryParameterException("to", "must be after from");
            }
        }
        catch (QueryParameterException ex)
        {
            return Results.Text(ex.Message + "\n", "text/plain; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);
        }

        var context = new ExportContext(policies, s => sources.TryStatusOf(s)?.Platform ?? "unknown", links.For);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        return Results.Stream(stream => write(store.ReadForExport(source, from, to), stream, context, http.RequestAborted), contentType);
    }

    private static void Values(StoredConversation row, ExportContext context, string?[] values)
    {
        var c = row.Conversation;
        var i = 0;
        values[i++] = c.Source;
        values[i++] = context.PlatformOf(c.Source);
        values[i++] = c.ExternalId;
        values[i++] = Channels.Normalize(c.Channel);
        values[i++] = c.Status.ToLabel();
        values[i++] = c.Priority;
        values[i++] = c.TicketType;
        values[i++] = c.Team;
        values[i++] = c.RequesterId;
        values[i++] = c.AssigneeId;
        values[i++] = Time(c.CreatedAt);
        values[i++] = Time(c.UpdatedAt);
        values[i++] = Time(c.FirstResponseAt);
        values[i++] = c.FirstResponderKind switch { ResponderKind.Bot => "bot", ResponderKind.Human => "human", _ => null };
        values[i++] = Time(c.FirstHumanResponseAt);
        values[i++] = Time(c.BotHandoffAt);
        values[i++] = Time(c.FirstResolvedAt);
        values[i++] = Time(c.ResolvedAt);
        values[i++] = Time(c.ClosedAt);
        values[i++] = Seconds(c.FirstResponseAt - c.CreatedAt);
        values[i++] = Seconds(c.FirstHumanResponseAt - c.CreatedAt);
        values[i++] = Seconds((c.FirstResolvedAt ?? c.ResolvedAt) - c.CreatedAt);
        values[i++] = Number(c.AgentPublicReplies);
        values[i++] = Number(c.Reopens);
        values[i++] = Seconds(c.HandleTime);
        values[i++] = Seconds(c.WaitingOnCustomer);
        values[i++] = c.Csat is { } csat ? Number(csat.Score) : null;
        values[i++] = c.Csat is { } min ? Number(min.ScaleMin) : null;
        values[i++] = c.Csat is { } max ? Number(max.ScaleMax) : null;
        values[i++] = context.LinkOf(c.Source, c.ExternalId);
        foreach (var policy in context.Policies)
        {
            int met = 0, breached = 0;
            foreach (var o in row.Outcomes)
            {
                if (o.Policy == policy.Name)
                {
                    met += o.Met ? 1 : 0;
                    breached += o.Met ? 0 : 1;
                }
            }

            values[i++] = met.ToString(CultureInfo.InvariantCulture);
            values[i++] = breached.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static void WriteField(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else if (name.EndsWith("_seconds", StringComparison.Ordinal) || name is "agent_public_replies" or "reopens" or "csat_score" or "csat_scale_min" or "csat_scale_max")
        {
            json.WriteNumber(name, double.Parse(value, CultureInfo.InvariantCulture));
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    /// <summary>RFC 4180: a field holding a comma, a double quote, CR or LF is quoted, its quotes doubled.</summary>
    internal static void Csv(StringBuilder line, string? value)
    {
        if (value is null)
        {
            return;
        }

        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            line.Append(value);
            return;
        }

        line.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }

    private static string? Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string? Seconds(TimeSpan? t) => t is { } v ? (v.TotalMilliseconds / 1000.0).ToString("0.###", CultureInfo.InvariantCulture) : null;

    private static string? Number(int? n) => n?.ToString(CultureInfo.InvariantCulture);

    private static string Number(double n) => n.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>What the export writers need beside the rows: the policies (columns), each source's platform, the links.</summary>
public sealed record ExportContext(IReadOnlyList<SlaPolicy> Policies, Func<string, string> PlatformOf, Func<string, string, string?> LinkOf);
