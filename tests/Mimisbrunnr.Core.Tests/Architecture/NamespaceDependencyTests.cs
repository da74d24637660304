using System.Text.RegularExpressions;

namespace Mimisbrunnr.Tests.Architecture;

/// <summary>
/// The namespaces of src/ depend on each other one way only. Read from the sources: a file depends on the namespaces
/// it imports (<c>using Mimisbrunnr.X;</c>) and on those it names qualified (<c>Mimisbrunnr.X.Type</c>, or
/// <c>X.Type</c> for a sibling namespace). Code in a namespace also sees its parent namespaces without importing them,
/// which a source scan cannot tell apart from its own types; so parents must depend on nothing of their children.
/// </summary>
public sealed partial class NamespaceDependencyTests
{
    [Fact]
    public void The_namespaces_of_src_have_no_cycle()
    {
        var graph = NamespaceGraph.FromSources(SourceFiles());

        var cycle = graph.FindCycle();

        Assert.True(cycle is null, $"namespace cycle: {string.Join(" -> ", cycle ?? [])}\n{graph.Explain(cycle ?? [])}");
    }

    [Fact]
    public void A_parent_namespace_depends_on_none_below_it()
    {
        var graph = NamespaceGraph.FromSources(SourceFiles());

        var upward = graph.Edges
            .Where(e => e.To.StartsWith(e.From + ".", StringComparison.Ordinal))
            .Select(e => $"{e.From} -> {e.To} ({e.File})")
            .ToList();

        Assert.True(upward.Count == 0, "a parent namespace uses a child one, which sees it implicitly:\n" + string.Join("\n", upward));
    }

    [Fact]
    public void The_scan_finds_a_cycle_when_there_is_one()
    {
        var graph = NamespaceGraph.FromSources(
        [
            ("a.cs", "using Mimisbrunnr.B;\nnamespace Mimisbrunnr.A;\nclass X { }"),
            ("b.cs", "namespace Mimisbrunnr.B;\nclass Y { C.Z? z; }"),
            ("c.cs", "namespace Mimisbrunnr.C;\nclass Z { Mimisbrunnr.A.X? x; }"),
            ("d.cs", "namespace Mimisbrunnr.D;\n// using Mimisbrunnr.A; in a comment is no dependency\nclass W { }"),
        ]);

        Assert.Equal(["Mimisbrunnr.A", "Mimisbrunnr.B", "Mimisbrunnr.C", "Mimisbrunnr.A"], graph.FindCycle());
        Assert.DoesNotContain(graph.Edges, e => e.From == "Mimisbrunnr.D");
    }

    private static IEnumerable<(string Path, string Text)> SourceFiles()
    {
        var src = Path.Combine(RepositoryRoot(), "src");
        return Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(p => (Path.GetRelativePath(src, p), File.ReadAllText(p)));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mimisbrunnr.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    private sealed partial class NamespaceGraph
    {
        private NamespaceGraph(List<(string From, string To, string File)> edges) => Edges = edges;

        public List<(string From, string To, string File)> Edges { get; }

        public static NamespaceGraph FromSources(IEnumerable<(string Path, string Text)> files)
        {
            var declared = new List<(string Path, string Namespace, string Code)>();
            foreach (var (path, text) in files)
            {
                if (FileNamespace().Match(text) is { Success: true } match)
                {
                    declared.Add((path, match.Groups[1].Value, LineComment().Replace(text, string.Empty)));
                }
            }

            // Longest first, so that Mimisbrunnr.Client.Verification wins over Mimisbrunnr.Client.
            var known = declared.Select(d => d.Namespace).Distinct().OrderByDescending(n => n.Length).ToList();
            var edges = new HashSet<(string, string, string)>();
            foreach (var (path, ns, code) in declared)
            {
                foreach (Match use in Using().Matches(code))
                {
                    Add(use.Groups[1].Value);
                }

                foreach (Match qualified in Qualified().Matches(code))
                {
                    Add(qualified.Groups[1].Value);
                }

                // A sibling named by its last part, as in Routing.EventFilter inside Mimisbrunnr.Registry.
                foreach (var other in known.Where(k => k.StartsWith("Mimisbrunnr.", StringComparison.Ordinal)))
                {
                    var shortName = other["Mimisbrunnr.".Length..];
                    if (Regex.IsMatch(code, @"(?<![\w.])" + Regex.Escape(shortName) + @"\.[A-Z]\w*"))
                    {
                        Add(other);
                    }
                }

                void Add(string target)
                {
                    var to = known.FirstOrDefault(k => target == k || target.StartsWith(k + ".", StringComparison.Ordinal));
                    if (to is not null && to != ns)
                    {
                        edges.Add((ns, to, path));
                    }
                }
            }

            return new NamespaceGraph([.. edges.OrderBy(e => e.Item1).ThenBy(e => e.Item2).ThenBy(e => e.Item3)]);
        }

        /// <summary>A cycle as the namespaces along it (the first repeated at the end), or null.</summary>
        public List<string>? FindCycle()
        {
            var next = Edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).Distinct().Order().ToList());
            var state = new Dictionary<string, int>(); // 1: on the path, 2: done
            var path = new List<string>();
            foreach (var start in next.Keys.Order())
            {
                if (Visit(start) is { } cycle)
                {
                    return cycle;
                }
            }

            return null;

            List<string>? Visit(string node)
            {
                if (state.GetValueOrDefault(node) == 2)
                {
                    return null;
                }

                if (state.GetValueOrDefault(node) == 1)
                {
                    return [.. path.Skip(path.IndexOf(node)), node];
                }

                state[node] = 1;
                path.Add(node);
                foreach (var to in next.GetValueOrDefault(node) ?? [])
                {
                    if (Visit(to) is { } cycle)
                    {
                        return cycle;
                    }
                }

                path.RemoveAt(path.Count - 1);
                state[node] = 2;
                return null;
            }
        }

        public string Explain(IReadOnlyList<string> cycle) =>
            string.Join("\n", cycle.Zip(cycle.Skip(1)).SelectMany(pair =>
                Edges.Where(e => e.From == pair.First && e.To == pair.Second).Take(3).Select(e => $"  {e.From} -> {e.To}: {e.File}")));

        [GeneratedRegex(@"^namespace\s+([\w.]+)\s*;", RegexOptions.Multiline)]
        private static partial Regex FileNamespace();

        [GeneratedRegex(@"^using\s+(Mimisbrunnr[\w.]*)\s*;", RegexOptions.Multiline)]
        private static partial Regex Using();

        [GeneratedRegex(@"\b(Mimisbrunnr(?:\.\w+)+)\.\w")]
        private static partial Regex Qualified();

        [GeneratedRegex(@"//.*$", RegexOptions.Multiline)]
        private static partial Regex LineComment();
    }
}
