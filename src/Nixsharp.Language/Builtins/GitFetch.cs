// builtins.fetchGit: its argument read as Nix 2.8 reads a git input (a URL, or a set of url, ref,
// rev, name, submodules, shallow, allRefs, and the narHash/revCount/lastModified it must have),
// the fetch left to the store backend, and the result given the attributes Nix gives it.
namespace Nixsharp.Language.Builtins;

using System.Text;
using System.Text.RegularExpressions;
using Nixsharp.Formats.Hashes;
using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Syntax;

internal static partial class GitFetch
{
    private static readonly HashSet<string> KnownAttrs = new(StringComparer.Ordinal)
    {
        "type", "url", "ref", "rev", "shallow", "submodules", "lastModified", "revCount", "narHash", "allRefs", "name",
    };

    /// <summary>Branch and tag names git would refuse (see git-check-ref-format).</summary>
    [GeneratedRegex(@"//|^[./]|/\.|\.\.|[\x00-\x1f\x7f\s:?^~\[]|\\|\*|\.lock$|\.lock/|@\{|[/.]$|^@$|^$")]
    private static partial Regex BadRef();

    /// <summary>An input attribute's value: a string, a Boolean or an integer.</summary>
    private abstract record InputValue;
    private sealed record StringInput(string Value) : InputValue;
    private sealed record BoolInput(bool Value) : InputValue;
    private sealed record IntInput(long Value) : InputValue;

    public static Value FetchGit(EvalState st, Value arg, Pos pos)
    {
        var attrs = new SortedDictionary<string, InputValue>(StringComparer.Ordinal);
        var v = st.Force(arg, pos);
        if (v is AttrsValue args)
        {
            foreach (var n in args.SortedNames())
            {
                var value = st.Force(args.Get(n)!, args.PosOf(args.IndexOf(n)));
                switch (value)
                {
                    case PathValue or StringValue:
                        var s = st.CoerceToString(pos, value, new ContextBuilder(), false, false);
                        attrs[n.Name] = new StringInput(n.Name == "url" ? FixUrl(s) : s);
                        break;
                    case BoolValue flag: attrs[n.Name] = new BoolInput(flag.V); break;
                    case IntValue i: attrs[n.Name] = new IntInput(i.V); break;
                    default:
                        throw new TypeError($"fetchTree argument '{n.Name}' is {EvalState.ShowType(value)} while a string, Boolean or integer is expected");
                }
            }
        }
        else
        {
            var url = st.CoerceToString(pos, v, new ContextBuilder(), false, false);
            attrs["url"] = new StringInput(FixUrl(url));
        }
        attrs["type"] = new StringInput("git");

        foreach (var name in attrs.Keys)
            if (!KnownAttrs.Contains(name)) throw new EvalError($"unsupported Git input attribute '{name}'");
        if (!attrs.ContainsKey("url")) throw new EvalError("input attribute 'url' is missing");
        var inputUrl = Str(attrs, "url")!;
        var gitRef = Str(attrs, "ref");
        if (gitRef is not null && BadRef().IsMatch(gitRef)) throw new EvalError($"invalid Git branch/tag name '{gitRef}'");
        string? rev = null;
        if (Str(attrs, "rev") is { } revText) rev = ParseRev(revText);
        var request = new GitFetchRequest(inputUrl, gitRef, rev, Str(attrs, "name") ?? "source",
            Bool(attrs, "submodules") ?? false, Bool(attrs, "shallow") ?? false, Bool(attrs, "allRefs") ?? false);
        var expectedNarHash = Str(attrs, "narHash");
        Int(attrs, "revCount");
        Int(attrs, "lastModified");

        if (st.Settings.PureEval && rev is null)
            throw new EvalError($"in pure evaluation mode, 'fetchTree' requires a locked input, at {pos}");
        var store = st.Host.Store ?? throw new EvalError("'builtins.fetchGit' needs a store", pos);

        FetchedGit fetched;
        try
        {
            fetched = store.FetchGit(request);
            if (expectedNarHash is not null)
            {
                var expected = Hash.ParseAny(expectedNarHash, HashType.Sha256);
                var got = new Hash(HashType.Sha256, fetched.NarHash);
                if (!expected.Bytes.SequenceEqual(got.Bytes))
                    throw new HostError($"NAR hash mismatch in input '{InputUrl(request)}' ({fetched.StorePath}), expected '{expected.ToString(HashFormat.Sri, true)}', got '{got.ToString(HashFormat.Sri, true)}'");
            }
        }
        catch (NixError e) when (e is not StackOverflowError)
        {
            e.AddTrace(default, $"while fetching the input '{InputUrl(request)}'");
            throw;
        }
        catch (HashFormatException e)
        {
            throw new EvalError(e.Message);
        }

        var b = new AttrsBuilder(8);
        void Add(string name, Value value) => b.Add(st.Symbols.Intern(name), value);
        Add("outPath", StoreBuiltins.StorePathStringOf(fetched.StorePath));
        Add("submodules", B.Bool(request.Submodules));
        var shownRev = fetched.Rev ?? new string('0', 40);
        Add("rev", StringValue.Of(shownRev));
        Add("shortRev", StringValue.Of(shownRev.Substring(0, 7)));
        Add("revCount", IntValue.Of(fetched.RevCount ?? 0));
        Add("lastModified", IntValue.Of(fetched.LastModified));
        Add("lastModifiedDate", StringValue.Of(DateTimeOffset.FromUnixTimeSeconds(fetched.LastModified).UtcDateTime
            .ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture)));
        Add("narHash", StringValue.Of(new Hash(HashType.Sha256, fetched.NarHash).ToString(HashFormat.Sri, true)));
        return b.Build();

        string? Str(SortedDictionary<string, InputValue> a, string name) => a.TryGetValue(name, out var x)
            ? x is StringInput s ? s.Value : throw new EvalError($"input attribute '{name}' is not a string {Json(a)}")
            : null;
        bool? Bool(SortedDictionary<string, InputValue> a, string name) => a.TryGetValue(name, out var x)
            ? x is BoolInput bi ? bi.Value : throw new EvalError($"input attribute '{name}' is not a Boolean {Json(a)}")
            : null;
        long? Int(SortedDictionary<string, InputValue> a, string name) => a.TryGetValue(name, out var x)
            ? x is IntInput ii ? ii.Value : throw new EvalError($"input attribute '{name}' is not an integer {Json(a)}")
            : null;
    }

    /// <summary>A revision: a SHA-1 in any form Nix reads, as 40 hex digits.</summary>
    private static string ParseRev(string text)
    {
        try { return Convert.ToHexStringLower(Hash.ParseAny(text, HashType.Sha1).Bytes); }
        catch (HashFormatException e) { throw new EvalError(e.Message); }
    }

    /// <summary>Local paths become file:// URLs; "user@host:path" becomes an ssh:// URL.</summary>
    private static string FixUrl(string url)
    {
        if (url.Length > 0 && url[0] != '/' && ScpUrl().Match(url) is { Success: true } m)
            url = $"ssh://{m.Groups[1].Value}@{m.Groups[2].Value}/{m.Groups[3].Value}";
        return url.Contains("://", StringComparison.Ordinal) ? url : "file://" + url;
    }

    [GeneratedRegex("^([^/]*)@(.*):(.*)$")]
    private static partial Regex ScpUrl();

    /// <summary>The input as Nix shows it in traces: git+URL with ref, rev and shallow as query.</summary>
    private static string InputUrl(GitFetchRequest r)
    {
        var query = new List<string>();
        if (r.Ref is not null) query.Add("ref=" + r.Ref);
        if (r.Rev is not null) query.Add("rev=" + r.Rev);
        if (r.Shallow) query.Add("shallow=1");
        return "git+" + r.Url + (query.Count > 0 ? "?" + string.Join('&', query) : "");
    }

    private static string Json(SortedDictionary<string, InputValue> attrs)
    {
        var sb = new StringBuilder("{");
        foreach (var (k, val) in attrs)
        {
            if (sb.Length > 1) sb.Append(',');
            sb.Append('"').Append(k).Append("\":");
            sb.Append(val switch
            {
                StringInput s => "\"" + s.Value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
                BoolInput b => b.Value ? "true" : "false",
                IntInput i => i.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => "null",
            });
        }
        return sb.Append('}').ToString();
    }
}
