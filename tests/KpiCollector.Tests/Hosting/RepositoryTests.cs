using System.Diagnostics;
using System.Text.RegularExpressions;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// The repository is self-contained: every comment, doc, dashboard description and rule that names a Markdown
/// document names one the repository has (docs/architecture.md says where each rule is written).
/// </summary>
public sealed partial class RepositoryTests
{
    /// <summary>
    /// Known citations of documents not in the repository yet, each with why. An entry fails the test as soon as it is
    /// no longer needed (the file stops citing the document, or the document arrives), so the list only shrinks.
    /// </summary>
    private static readonly (string File, string Cited, string Why)[] Pending =
    [
    ];

    /// <summary>This file names missing documents on purpose (the pending list, the test data), so it is not scanned.</summary>
    private const string ThisFile = "tests/KpiCollector.Tests/Hosting/RepositoryTests.cs";

    [Fact]
    public void EveryCitedDocument_IsInTheRepository()
    {
        var root = DemoModeTests.RepoRoot();
        var tracked = TrackedFiles(root);
        var names = tracked.Select(f => Path.GetFileName(f)).ToHashSet(StringComparer.Ordinal);
        var missing = new List<string>();
        var used = new HashSet<(string, string)>();
        foreach (var file in tracked.Where(f => f != ThisFile))
        {
            var text = ReadText(Path.Combine(root, file));
            if (text is null)
            {
                continue;
            }

            foreach (var (line, cited) in Citations(text))
            {
                if (Exists(root, file, cited, names))
                {
                    continue;
                }

                var name = cited.Split('/').Last();
                if (Pending.Any(p => p.File == file && p.Cited == name))
                {
                    used.Add((file, name));
                    continue;
                }

                missing.Add($"{file}:{line} cites {cited}, which is not in the repository: point it at a file in docs/ and bring what the reader needs there");
            }
        }

        foreach (var p in Pending.Where(p => !used.Contains((p.File, p.Cited))))
        {
            missing.Add($"RepositoryTests.Pending lists {p.File} citing {p.Cited}, which is no longer a missing citation: remove the entry");
        }

        Assert.True(missing.Count == 0, string.Join('\n', missing));
    }

    [Fact]
    public void Citations_FindPathsAndBareNames_AndSkipUrls()
    {
        var text = "see no-such-guide.md section 5\n(docs/metrics.md, \"SLA\") and [x](../elsewhere/no-such-plan.md)\n"
            + "https://example.com/a/README.md and docs/*.md\n";

        var found = Citations(text).ToList();

        Assert.Equal(new[] { (1, "no-such-guide.md"), (2, "docs/metrics.md"), (2, "../elsewhere/no-such-plan.md") }, found);
    }

    [Fact]
    public void Exists_ResolvesFromTheFile_FromTheRoot_OrByName()
    {
        var root = DemoModeTests.RepoRoot();
        var names = new HashSet<string>(StringComparer.Ordinal) { "metrics.md", "README.md" };

        Assert.True(Exists(root, "docs/sources.md", "metrics.md", names));
        Assert.True(Exists(root, "src/KpiCollector/Program.cs", "docs/metrics.md", names));
        Assert.True(Exists(root, "docs/sources.md", "../README.md", names));
        Assert.False(Exists(root, "docs/metrics.md", "../elsewhere/no-such-guide.md", names));
        Assert.False(Exists(root, "src/KpiCollector/Program.cs", "no-such-guide.md", names));
    }

    /// <summary>Each Markdown file name or path a text names, with its line, URLs left out.</summary>
    private static IEnumerable<(int Line, string Cited)> Citations(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = Url().Replace(lines[i], " ");
            foreach (Match m in MarkdownName().Matches(line))
            {
                yield return (i + 1, m.Value.TrimEnd('.'));
            }
        }
    }

    /// <summary>
    /// A citation resolves relative to the citing file (Markdown links), or to the repository root (docs/...), or, as
    /// a bare name, to any tracked file of that name.
    /// </summary>
    private static bool Exists(string root, string file, string cited, HashSet<string> names)
    {
        var fromFile = Path.GetFullPath(Path.Combine(root, Path.GetDirectoryName(file) ?? "", cited));
        var fromRoot = Path.GetFullPath(Path.Combine(root, cited));
        return Inside(root, fromFile) && File.Exists(fromFile)
            || Inside(root, fromRoot) && File.Exists(fromRoot)
            || !cited.Contains('/', StringComparison.Ordinal) && names.Contains(cited);
    }

    private static bool Inside(string root, string path) =>
        path.StartsWith(Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static List<string> TrackedFiles(string root)
    {
        var psi = new ProcessStartInfo("git", ["-C", root, "ls-files", "-z"]) { RedirectStandardOutput = true };
        using var git = Process.Start(psi)!;
        var output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        Assert.Equal(0, git.ExitCode);
        var files = output.Split('\0', StringSplitOptions.RemoveEmptyEntries).ToList();
        Assert.Contains("docs/metrics.md", files); // the listing really is the repository's
        Assert.Contains(ThisFile, files); // and the exclusion names a real file
        return files;
    }

    /// <summary>The file's text, or null for a binary or a file the work tree does not have.</summary>
    private static string? ReadText(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var text = File.ReadAllText(path);
        return text.Contains('\0', StringComparison.Ordinal) ? null : text;
    }

    [GeneratedRegex(@"[a-zA-Z][a-zA-Z0-9+.-]*://\S+")]
    private static partial Regex Url();

    [GeneratedRegex(@"(?<![\w/.-])(?:\.{1,2}/|[\w-]+/)*[\w][\w.-]*\.md\b")]
    private static partial Regex MarkdownName();
}
