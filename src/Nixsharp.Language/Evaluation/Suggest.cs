// "Did you mean …?" candidates: names within edit distance 2, closest first, at most five.
namespace Nixsharp.Language.Evaluation;

public static class Suggest
{
    public static IReadOnlyList<string>? BestMatches(IEnumerable<string> candidates, string query)
    {
        var list = candidates
            .Distinct(StringComparer.Ordinal)
            .Select(c => (Distance: Levenshtein(query, c), Name: c))
            .Where(x => x.Distance <= 2)
            .OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal)
            .Take(5)
            .Select(x => x.Name)
            .ToList();
        return list.Count == 0 ? null : list;
    }

    public static int Levenshtein(string a, string b)
    {
        var v0 = new int[b.Length + 1];
        var v1 = new int[b.Length + 1];
        for (int i = 0; i <= b.Length; i++) v0[i] = i;
        for (int i = 0; i < a.Length; i++)
        {
            v1[0] = i + 1;
            for (int j = 0; j < b.Length; j++)
            {
                int del = v0[j + 1] + 1, ins = v1[j] + 1, sub = a[i] == b[j] ? v0[j] : v0[j] + 1;
                v1[j + 1] = Math.Min(del, Math.Min(ins, sub));
            }
            (v0, v1) = (v1, v0);
        }
        return v0[b.Length];
    }

    /// <summary>"a", "one of a or b", "one of a, b or c".</summary>
    public static string Format(IReadOnlyList<string> s)
    {
        if (s.Count == 1) return s[0];
        var res = "one of " + s[0];
        for (int i = 1; i < s.Count; i++) res += (i == s.Count - 1 ? " or " : ", ") + s[i];
        return res;
    }
}
