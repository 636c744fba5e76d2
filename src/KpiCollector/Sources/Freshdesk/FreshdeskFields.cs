using System.Globalization;
using System.Text.Json;
using KpiCollector.Core.Records;

namespace KpiCollector.Sources.Freshdesk;

/// <summary>
/// The one table per account that maps Freshdesk's status and source codes onto normalized statuses and channels.
/// Codes are account-specific (custom statuses from 6, custom sources, WhatsApp = 13 on some accounts), so the names
/// come from <c>/api/v2/ticket_fields</c> at start; configured overrides (<c>Freshdesk:Statuses</c>,
/// <c>Freshdesk:SourceChannels</c>) win over what the names suggest.
/// </summary>
internal sealed class FreshdeskFields
{
    /// <summary>The documented default sources, for a code the account's fields do not list.</summary>
    private static readonly Dictionary<int, string> DefaultSources = new()
    {
        [1] = "Email", [2] = "Portal", [3] = "Phone", [7] = "Chat", [9] = "Feedback Widget", [10] = "Outbound Email",
    };

    private readonly Dictionary<int, string> _statusLabels;
    private readonly Dictionary<int, string> _sourceNames;
    private readonly Dictionary<int, ConversationStatus> _statusOverrides;
    private readonly Dictionary<int, string> _channelOverrides;

    public FreshdeskFields(Dictionary<int, string> statusLabels, Dictionary<int, string> sourceNames, Dictionary<int, ConversationStatus> statusOverrides, Dictionary<int, string> channelOverrides)
    {
        _statusLabels = statusLabels;
        _sourceNames = sourceNames;
        _statusOverrides = statusOverrides;
        _channelOverrides = channelOverrides;
    }

    /// <summary>Whether the account's fields name this status code (or an override maps it).</summary>
    public bool Knows(int status) => status is >= 2 and <= 5 || _statusOverrides.ContainsKey(status) || _statusLabels.ContainsKey(status);

    /// <summary>The status codes the account knows that count towards the backlog (2 Open, 3 Pending and custom ones not mapped to an end).</summary>
    public IReadOnlyList<int> OpenStatuses() =>
        [.. new[] { 2, 3, 4, 5 }.Concat(_statusLabels.Keys).Concat(_statusOverrides.Keys).Distinct().Where(c => !Status(c).IsEnded()).Order()];

    public bool KnowsSource(int source) => _channelOverrides.ContainsKey(source) || _sourceNames.ContainsKey(source) || DefaultSources.ContainsKey(source);

    public ConversationStatus Status(int code)
    {
        if (_statusOverrides.TryGetValue(code, out var configured))
        {
            return configured;
        }

        return code switch
        {
            2 => ConversationStatus.Open,
            3 => ConversationStatus.Pending,
            4 => ConversationStatus.Solved,
            5 => ConversationStatus.Closed,
            _ => StatusFromLabel(_statusLabels.GetValueOrDefault(code)),
        };
    }

    public string Channel(int? code)
    {
        if (code is not { } c)
        {
            return Channels.Other;
        }

        return _channelOverrides.TryGetValue(c, out var configured)
            ? configured
            : ChannelFromName(_sourceNames.GetValueOrDefault(c) ?? DefaultSources.GetValueOrDefault(c));
    }

    /// <summary>A custom status by its agent label: waiting on the customer is pending, on a third party on hold.</summary>
    internal static ConversationStatus StatusFromLabel(string? label)
    {
        var l = label?.ToLowerInvariant() ?? "";
        return l switch
        {
            _ when l.Contains("hold", StringComparison.Ordinal) || l.Contains("third party", StringComparison.Ordinal) => ConversationStatus.OnHold,
            _ when l.Contains("customer", StringComparison.Ordinal) || l.Contains("pending", StringComparison.Ordinal) || l.Contains("awaiting", StringComparison.Ordinal) => ConversationStatus.Pending,
            _ when l.Contains("resolved", StringComparison.Ordinal) || l.Contains("solved", StringComparison.Ordinal) => ConversationStatus.Solved,
            _ when l.Contains("closed", StringComparison.Ordinal) => ConversationStatus.Closed,
            _ => ConversationStatus.Open,
        };
    }

    /// <summary>A source by its name: <c>Whatsapp</c>, <c>Email</c>, <c>Outbound Email</c>, <c>Phone</c>, <c>Chat</c>, <c>Web Chat</c>, <c>Portal</c>, ...</summary>
    internal static string ChannelFromName(string? name)
    {
        var n = name?.ToLowerInvariant() ?? "";
        bool Has(params string[] words) => words.Any(w => n.Contains(w, StringComparison.Ordinal));
        return n switch
        {
            _ when Has("whatsapp") => Channels.WhatsApp,
            _ when Has("sms", "text message") => Channels.Sms,
            _ when Has("facebook", "twitter", "instagram", "line", "telegram", "viber", "wechat", "social") => Channels.Social,
            _ when Has("mail") => Channels.Email,
            _ when Has("phone", "call", "voice") => Channels.Phone,
            _ when Has("chat", "mobihelp", "bot") => Channels.Chat,
            _ when Has("portal", "widget", "forum", "web", "feedback") => Channels.Web,
            _ when Has("api") => Channels.Api,
            _ => Channels.Other,
        };
    }

    /// <summary>
    /// Reads the <c>default_status</c> and <c>default_source</c> choices. Their shapes differ (status:
    /// <c>{"2": ["Open", "Being Processed"]}</c>; source: <c>{"Email": 1}</c>), so both directions are accepted, and
    /// arrays of <c>{id|value, label|name}</c> objects too.
    /// </summary>
    public static (Dictionary<int, string> Statuses, Dictionary<int, string> Sources) Read(IEnumerable<FreshdeskField> fields)
    {
        var statuses = new Dictionary<int, string>();
        var sources = new Dictionary<int, string>();
        foreach (var field in fields)
        {
            var target = (field.Type ?? field.Name) switch
            {
                "default_status" or "status" => statuses,
                "default_source" or "source" => sources,
                _ => null,
            };
            if (target is not null)
            {
                ReadChoices(field.Choices, target);
            }
        }

        return (statuses, sources);
    }

    private static void ReadChoices(JsonElement choices, Dictionary<int, string> into)
    {
        if (choices.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in choices.EnumerateObject())
            {
                if (int.TryParse(p.Name, NumberStyles.Integer, CultureInfo.InvariantCulture, out var code))
                {
                    into[code] = Label(p.Value) ?? p.Name;
                }
                else if (p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out var value))
                {
                    into[value] = p.Name;
                }
            }
        }
        else if (choices.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in choices.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.Object))
            {
                var id = item.TryGetProperty("id", out var i) && i.TryGetInt32(out var n) ? n
                    : item.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var m) ? m : (int?)null;
                var label = item.TryGetProperty("label", out var l) ? Label(l) : item.TryGetProperty("name", out var nm) ? Label(nm) : null;
                if (id is { } code && label is not null)
                {
                    into[code] = label;
                }
            }
        }
    }

    private static string? Label(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Array => value.EnumerateArray().Select(Label).FirstOrDefault(s => s is not null),
        _ => null,
    };
}
