using System.Text.RegularExpressions;
using KpiCollector.StackTests.Support;

namespace KpiCollector.StackTests;

/// <summary>
/// The alert style of the monitoring mixins (mixtool's lint rules), and the runbooks: every alert has its own
/// section in docs/runbooks.md and its runbook_url points at it.
/// </summary>
public sealed partial class AlertStyleTests
{
    private const string RunbookBase = "https://github.com/kpicollector/kpicollector/blob/main/docs/runbooks.md#";

    public static TheoryData<string> AlertNames() => new(Rules.Alerts.Select(a => a.Name).Distinct());

    [Theory]
    [MemberData(nameof(AlertNames))]
    public void Name_IsCamelCaseWithTheHelpdeskOrKpiCollectorPrefix(string name) =>
        Assert.Matches("^(Helpdesk|KpiCollector)([A-Z][a-z0-9]*)+$", name);

    [Fact]
    public void Severity_IsCriticalWarningOrInfo_AndOnlyHelpdeskAlertsPage()
    {
        Assert.All(Rules.Alerts, a => Assert.Contains(a.Labels.GetValueOrDefault("severity"), new[] { "critical", "warning", "info" }));
        Assert.All(Rules.Alerts.Where(a => a.Labels["severity"] == "critical"), a => Assert.StartsWith("HelpdeskSla", a.Name, StringComparison.Ordinal));
    }

    [Fact]
    public void Summary_IsAStaticSentence_SharedByTheAlertsOfOneName()
    {
        foreach (var alert in Rules.Alerts)
        {
            var summary = alert.Annotations.GetValueOrDefault("summary", "");
            Assert.False(summary.Contains("{{", StringComparison.Ordinal), $"{alert}: the summary must not be templated");
            Assert.Matches("^[A-Z].*\\.$", summary);
        }

        Assert.All(Rules.Alerts.GroupBy(a => a.Name), g => Assert.Single(g.Select(a => a.Annotations["summary"]).Distinct()));
    }

    [Fact]
    public void Description_IsTemplatedWithTheValue_AndTheSourceAndChannelTheAlertIsAbout()
    {
        foreach (var alert in Rules.Alerts)
        {
            var description = alert.Annotations.GetValueOrDefault("description", "");
            Assert.True(description.Contains("$value", StringComparison.Ordinal), $"{alert}: the description must show $value");
            if (alert.Name.StartsWith("Helpdesk", StringComparison.Ordinal))
            {
                Assert.True(description.Contains("$labels.source", StringComparison.Ordinal) && description.Contains("$labels.channel", StringComparison.Ordinal),
                    $"{alert}: the description must name the source and the channel");
            }
            else if (alert.Name.StartsWith("KpiCollectorSource", StringComparison.Ordinal) || alert.Name == "KpiCollectorSlaMetricsAbsent")
            {
                Assert.True(description.Contains("$labels.source", StringComparison.Ordinal), $"{alert}: the description must name the source");
            }
        }
    }

    [Fact]
    public void RunbookUrl_PointsAtTheAlertsOwnSectionOfDocsRunbooks()
    {
        var anchors = RunbookSections().Select(s => s.Anchor).ToHashSet();
        foreach (var alert in Rules.Alerts)
        {
            var url = alert.Annotations.GetValueOrDefault("runbook_url", "");
            Assert.Equal(RunbookBase + alert.Name.ToLowerInvariant(), url);
            Assert.True(anchors.Contains(url[RunbookBase.Length..]), $"docs/runbooks.md has no section '## {alert.Name}'");
        }
    }

    [Fact]
    public void Runbooks_HaveOneCompleteSectionPerAlert_AndNoneForAlertsThatDoNotExist()
    {
        var sections = RunbookSections().ToList();
        Assert.Equal(Rules.Alerts.Select(a => a.Name).Distinct().Order(), sections.Select(s => s.Title).Order());
        foreach (var (title, _, body) in sections)
        {
            foreach (var part in new[] { "### Meaning", "### First checks", "### Likely causes", "### How to silence" })
            {
                Assert.True(body.Contains(part, StringComparison.Ordinal), $"runbook section {title} lacks '{part}'");
            }
        }
    }

    /// <summary>The level-2 sections of docs/runbooks.md with GitHub's anchor for each heading.</summary>
    private static IEnumerable<(string Title, string Anchor, string Body)> RunbookSections()
    {
        var text = File.ReadAllText(Repo.Runbooks);
        var headings = Heading().Matches(text).ToList();
        for (var i = 0; i < headings.Count; i++)
        {
            var title = headings[i].Groups["title"].Value.Trim();
            var end = i + 1 < headings.Count ? headings[i + 1].Index : text.Length;
            var body = text[headings[i].Index..end];
            var anchor = Regex.Replace(title.ToLowerInvariant(), "[^a-z0-9 _-]", "").Replace(' ', '-');
            yield return (title, anchor, body);
        }
    }

    [GeneratedRegex("^## (?<title>.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();
}
