// Builtins over strings: conversion, slicing, regular expressions, versions.
// Strings are byte strings, so lengths and offsets are in bytes, as in Nix.
namespace Nixsharp.Language.Builtins;

using System.Text;
using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Syntax;

internal static class StringBuiltins
{
    public static void Register(BuiltinRegistry r)
    {
        r.Add("toString", 1, (st, a, pos) =>
        {
            // PERF: integers and strings, the usual arguments, without the general coercion.
            var v = st.Force(a[0], pos);
            if (v is StringValue) return v;
            if (v is IntValue i) return StringValue.Of(i.V.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var ctx = new ContextBuilder();
            var s = st.CoerceToString(pos, a[0], ctx, true, false);
            return new StringValue(s, ctx.Build());
        });
        r.Add("__substring", 3, (st, a, pos) =>
        {
            // Nix 2.8 reads both numbers as 32-bit ints; a negative length means "to the end".
            int start = unchecked((int)st.ForceInt(a[0], pos));
            int len = unchecked((int)st.ForceInt(a[1], pos));
            var ctx = new ContextBuilder();
            var s = st.CoerceToString(pos, a[2], ctx, false, true);
            if (start < 0) throw new EvalError("negative start position in 'substring'", pos);
            if (start >= s.Length) return new StringValue("", ctx.Build());
            int take = len < 0 ? s.Length - start : Math.Min(len, s.Length - start);
            return new StringValue(s.Substring(start, take), ctx.Build());
        });
        r.Add("__stringLength", 1, (st, a, pos) =>
        {
            var s = st.CoerceToString(pos, a[0], new ContextBuilder(), false, true);
            return IntValue.Of(s.Length);
        });
        r.Add("__concatStringsSep", 2, (st, a, pos) =>
        {
            var ctx = new ContextBuilder();
            var sep = st.ForceString(a[0], ctx, pos);
            var l = st.ForceList(a[1], pos);
            var sb = new StringBuilder();
            for (int i = 0; i < l.Count; i++)
            {
                var piece = st.CoerceToString(pos, l.Items[i], ctx, false, true);
                EvalState.CheckStringLength((long)sb.Length + sep.Length + piece.Length, pos);
                if (i > 0) sb.Append(sep);
                sb.Append(piece);
            }
            return new StringValue(sb.ToString(), ctx.Build());
        });
        r.Add("__replaceStrings", 3, ReplaceStrings);
        r.Add("__match", 2, (st, a, pos) =>
        {
            var re = st.ForceStringNoContext(a[0], pos);
            var regex = CompileRegex(st, re, pos);
            var s = st.ForceString(a[1], pos);
            var m = regex.Match(s);
            if (!m.Success || m.Index != 0 || m.Length != s.Length)
            {
                // The regex is anchored by construction; a partial match means no match.
                return NullValue.Instance;
            }
            var res = new Value[m.Groups.Count - 1];
            for (int i = 1; i < m.Groups.Count; i++)
                res[i - 1] = m.Groups[i].Success ? StringValue.Of(m.Groups[i].Value) : NullValue.Instance;
            return ListValue.Of(res);
        });
        r.Add("__split", 2, (st, a, pos) =>
        {
            var re = st.ForceStringNoContext(a[0], pos);
            var regex = CompileRegex(st, re, pos, anchored: false);
            var s = st.ForceString(a[1], pos);
            var res = new List<Value>();
            int prev = 0;
            var m = regex.Match(s);
            if (!m.Success) return ListValue.Of(new Value[] { StringValue.Of(s) });
            while (m.Success)
            {
                res.Add(StringValue.Of(s.Substring(prev, m.Index - prev)));
                var groups = new Value[m.Groups.Count - 1];
                for (int i = 1; i < m.Groups.Count; i++)
                    groups[i - 1] = m.Groups[i].Success ? StringValue.Of(m.Groups[i].Value) : NullValue.Instance;
                res.Add(ListValue.Of(groups));
                prev = m.Index + m.Length;
                if (m.Length == 0)
                {
                    // An empty match: the next one must start further on, as with std::regex_iterator.
                    if (prev >= s.Length) break;
                    m = NextAfterEmpty(regex, s, prev);
                }
                else m = m.NextMatch();
            }
            res.Add(StringValue.Of(s.Substring(prev)));
            return B.List(res);
        });
        r.Add("__parseDrvName", 1, (st, a, pos) =>
        {
            var s = st.ForceStringNoContext(a[0], pos);
            var (name, version) = ParseDrvName(s);
            return new AttrsBuilder(2).Add(st.S.Name, StringValue.Of(name))
                .Add(st.Symbols["version"], StringValue.Of(version)).Build();
        });
        r.Add("__compareVersions", 2, (st, a, pos) =>
        {
            var v1 = st.ForceStringNoContext(a[0], pos);
            var v2 = st.ForceStringNoContext(a[1], pos);
            return IntValue.Of(CompareVersions(v1, v2));
        });
        r.Add("__splitVersion", 1, (st, a, pos) =>
        {
            var v = st.ForceStringNoContext(a[0], pos);
            var res = new List<Value>();
            int p = 0;
            while (p < v.Length)
            {
                var c = NextComponent(v, ref p);
                if (c.Length == 0) break;
                res.Add(StringValue.Of(c));
            }
            return B.List(res);
        });
        r.Add("baseNameOf", 1, (st, a, pos) =>
        {
            var ctx = new ContextBuilder();
            var s = st.CoerceToString(pos, a[0], ctx, false, false);
            return new StringValue(PathUtil.BaseNameOf(s), ctx.Build());
        });
        r.Add("dirOf", 1, (st, a, pos) =>
        {
            var ctx = new ContextBuilder();
            var v = st.Force(a[0], pos);
            var s = st.CoerceToString(pos, v, ctx, false, false);
            var dir = PathUtil.DirOf(s);
            return v is PathValue ? new PathValue(dir) : new StringValue(dir, ctx.Build());
        });
    }

    /// <summary>The next match after an empty one at `prev`: not another empty match there.</summary>
    private static System.Text.RegularExpressions.Match NextAfterEmpty(System.Text.RegularExpressions.Regex regex, string s, int prev)
    {
        var m = regex.Match(s, prev);
        if (m.Success && m.Length == 0 && m.Index == prev) m = regex.Match(s, prev + 1);
        return m;
    }

    private static System.Text.RegularExpressions.Regex CompileRegex(EvalState st, string re, Pos pos, bool anchored = true)
    {
        try
        {
            return anchored ? st.Regexes.GetWhole(re) : st.Regexes.Get(re);
        }
        catch (RegexSyntaxException)
        {
            throw new EvalError($"invalid regular expression '{re}'", pos);
        }
    }

    private static Value ReplaceStrings(EvalState st, Value[] a, Pos pos)
    {
        var from = st.ForceList(a[0], pos);
        var to = st.ForceList(a[1], pos);
        if (from.Count != to.Count)
            throw new EvalError("'from' and 'to' arguments to 'replaceStrings' have different lengths", pos);
        var fromS = new string[from.Count];
        for (int i = 0; i < fromS.Length; i++) fromS[i] = st.ForceString(from.Items[i], pos);
        var toS = new (string S, StringContext? Ctx)[to.Count];
        for (int i = 0; i < toS.Length; i++)
        {
            var sv = st.ForceStringValue(to.Items[i], pos);
            toS[i] = (sv.S, sv.Context);
        }
        var ctx = new ContextBuilder();
        var s = st.ForceString(a[2], ctx, pos);
        var sb = new StringBuilder(s.Length);
        for (int p = 0; p <= s.Length;)
        {
            bool found = false;
            for (int i = 0; i < fromS.Length; i++)
            {
                var f = fromS[i];
                if (string.CompareOrdinal(s, p, f, 0, f.Length) == 0 && p + f.Length <= s.Length)
                {
                    found = true;
                    sb.Append(toS[i].S);
                    if (f.Length == 0)
                    {
                        if (p < s.Length) sb.Append(s[p]);
                        p++;
                    }
                    else p += f.Length;
                    ctx.Add(toS[i].Ctx);
                    break;
                }
            }
            if (!found)
            {
                if (p < s.Length) sb.Append(s[p]);
                p++;
            }
        }
        return new StringValue(sb.ToString(), ctx.Build());
    }

    public static (string Name, string Version) ParseDrvName(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '-' && i + 1 < s.Length && !IsAlpha(s[i + 1]))
                return (s.Substring(0, i), s.Substring(i + 1));
        }
        return (s, "");
    }

    private static bool IsAlpha(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z');
    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    public static string NextComponent(string s, ref int p)
    {
        while (p < s.Length && (s[p] == '.' || s[p] == '-')) p++;
        if (p >= s.Length) return "";
        int start = p;
        if (IsDigit(s[p])) while (p < s.Length && IsDigit(s[p])) p++;
        else while (p < s.Length && !IsDigit(s[p]) && s[p] != '.' && s[p] != '-') p++;
        return s.Substring(start, p - start);
    }

    private static int? ToInt(string c)
    {
        // Nix parses components as C ints: all digits and within 32 bits.
        if (c.Length == 0) return null;
        foreach (var ch in c) if (!IsDigit(ch)) return null;
        return int.TryParse(c, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    private static bool ComponentsLess(string c1, string c2)
    {
        var n1 = ToInt(c1);
        var n2 = ToInt(c2);
        if (n1 is not null && n2 is not null) return n1 < n2;
        if (c1.Length == 0 && n2 is not null) return true;
        if (c1 == "pre" && c2 != "pre") return true;
        if (c2 == "pre") return false;
        if (n2 is not null) return true;
        if (n1 is not null) return false;
        return string.CompareOrdinal(c1, c2) < 0;
    }

    public static int CompareVersions(string v1, string v2)
    {
        int p1 = 0, p2 = 0;
        while (p1 < v1.Length || p2 < v2.Length)
        {
            var c1 = NextComponent(v1, ref p1);
            var c2 = NextComponent(v2, ref p2);
            if (ComponentsLess(c1, c2)) return -1;
            if (ComponentsLess(c2, c1)) return 1;
        }
        return 0;
    }
}
