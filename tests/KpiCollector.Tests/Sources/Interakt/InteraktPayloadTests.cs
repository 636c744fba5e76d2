using System.Text;
using KpiCollector.Sources.Interakt;
using KpiCollector.Sources.WhatsApp;
using Microsoft.Extensions.Options;
using KpiCollector.Tests.Configuration;

namespace KpiCollector.Tests.Sources.Interakt;

/// <summary>Interakt bodies into events: which types count, which time each event takes, and what is malformed; and the source's keys.</summary>
public sealed class InteraktPayloadTests
{
    private const string Asha = "917003705584";
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ACustomerMessage_IsInbound_AtItsReceivedTime_AndTheNumberIsOnlyADigest()
    {
        var at = Now.AddMinutes(-5).AddTicks(1234567);
        var events = Parse(InteraktBodies.Inbound(Asha, "60076f05-da52", at));

        var e = Assert.Single(events);
        Assert.Equal((WebhookEvent.Message, "60076f05-da52", InteraktPayload.Number, at.ToUnixTimeSeconds()), (e.Kind, e.Id, e.PhoneNumberId, e.Timestamp));
        Assert.Equal(WebhookPayload.ContactDigest(Asha), e.Contact);
        Assert.DoesNotContain(Asha, e.Contact, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sent", 0)]
    [InlineData("delivered", 2)]
    [InlineData("read", 4)]
    [InlineData("failed", 1)]
    public void EachApiStatus_TakesTheTimeItsFieldNames(string status, int secondsAfterSend)
    {
        var sent = Now.AddMinutes(-3);
        var e = Assert.Single(Parse(InteraktBodies.Status(Asha, "dfc668a2", status, sent, errorCode: status == "failed" ? "1013" : null)));

        Assert.Equal((WebhookEvent.Status, status, sent.AddSeconds(secondsAfterSend).ToUnixTimeSeconds()), (e.Kind, e.State, e.Timestamp));
        Assert.Equal(status == "failed" ? "1013" : null, e.ErrorCode);
        Assert.Equal(WebhookPayload.ContactDigest(Asha), e.Contact); // the same thread as the customer's messages
    }

    [Fact]
    public void ClicksCampaignsTestPingsAndNonCustomerMessages_AreAcknowledgedWithoutEvents()
    {
        string[] bodies =
        [
            InteraktBodies.Status(Asha, "c1", "read", Now, prefix: "message_campaign_"),
            InteraktBodies.Status(Asha, "c2", "clicked", Now),
            "{\"type\":\"Webhook Test\"}",
            InteraktBodies.Inbound(Asha, "m1", Now, kind: "PublicApiMessage"),
        ];
        Assert.All(bodies, b => Assert.Empty(Parse(b)));
    }

    [Theory]
    [InlineData("{\"type\":\"message_received\"", "not JSON")]
    [InlineData("[]", "$: not an object")]
    [InlineData("{\"version\":\"1.0\"}", "$.type: missing")]
    [InlineData("{\"type\":\"message_received\",\"data\":{\"customer\":{\"channel_phone_number\":\"91700\"},\"message\":{}}}", "$.data.message.id: missing")]
    [InlineData("{\"type\":\"message_received\",\"data\":{\"customer\":{},\"message\":{\"id\":\"x\"}}}", "$.data.customer.channel_phone_number: missing")]
    [InlineData("{\"type\":\"message_received\",\"data\":{\"customer\":{\"channel_phone_number\":\"91700\"},\"message\":{\"id\":\"x\"}}}", "$.data.message.received_at_utc: missing")]
    [InlineData("{\"type\":\"message_api_read\",\"timestamp\":\"2026-12-02T11:00:00\",\"data\":{\"customer\":{\"channel_phone_number\":\"91700\"},\"message\":{\"id\":\"x\",\"seen_at_utc\":\"yesterday\"}}}", "$.data.message.seen_at_utc: not an ISO 8601 time")]
    [InlineData("{\"type\":\"message_api_sent\",\"timestamp\":\"2200-01-01T00:00:00\",\"data\":{\"customer\":{\"channel_phone_number\":\"91700\"},\"message\":{\"id\":\"x\"}}}", "outside the plausible window")]
    public void MalformedOrImplausibleBodies_AreRefusedWithThePath(string body, string problem)
    {
        Assert.Null(InteraktPayload.Parse(Encoding.UTF8.GetBytes(body), Now, out var why));
        Assert.Contains(problem, why, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCountryCodeAndLocalNumber_StandInForAMissingChannelNumber()
    {
        var body = InteraktBodies.Inbound(Asha, "m2", Now).Replace("\"channel_phone_number\":\"" + Asha + "\"", "\"channel_phone_number\":null,\"country_code\":\"+91\",\"phone_number\":\"7003705584\"", StringComparison.Ordinal);
        Assert.Equal(WebhookPayload.ContactDigest(Asha), Assert.Single(Parse(body)).Contact);
    }

    [Fact]
    public void TheSettings_NameTheirFullKeys()
    {
        var failures = Assert.Throws<OptionsValidationException>(() => OptionsValidationTests.Bind(new()
        {
            ["KpiCollector:Sources:0:Name"] = "ik",
            ["KpiCollector:Sources:0:Platform"] = "interakt",
            ["KpiCollector:Sources:0:Interakt:ServiceWindow"] = "soon",
            ["KpiCollector:Sources:0:Interakt:MaxWebhookBytes"] = "10",
        })).Failures.ToList();

        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Sources:0:Interakt:SecretKey: required for platform 'interakt'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Sources:0:Interakt:ServiceWindow:", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("KpiCollector:Sources:0:Interakt:MaxWebhookBytes: 10 is out of range", StringComparison.Ordinal));
        Assert.DoesNotContain(failures, f => f.Contains(":BaseUrl", StringComparison.Ordinal) || f.Contains(":ApiToken", StringComparison.Ordinal));

        var valid = OptionsValidationTests.Bind(new()
        {
            ["KpiCollector:Sources:0:Name"] = "ik",
            ["KpiCollector:Sources:0:Platform"] = "interakt",
            ["KpiCollector:Sources:0:Interakt:SecretKey"] = InteraktBodies.SecretKey,
        });
        Assert.Equal(("24h", "3s"), (valid.Sources[0].SettingsOf<InteraktSettings>().ServiceWindow, valid.Sources[0].SettingsOf<InteraktSettings>().WebhookBodyTimeout));
    }

    private static IReadOnlyList<WebhookEvent> Parse(string body)
    {
        var events = InteraktPayload.Parse(Encoding.UTF8.GetBytes(body), Now, out var problem);
        Assert.True(events is not null, problem);
        return events;
    }
}
