// A store derivation (.drv): outputs, inputs, builder, arguments and environment, and its
// ATerm text form exactly as Nix writes it.
namespace Nixsharp.Formats.Derivations;

using System.Text;

/// <summary>An output: input-addressed (Path known, no hash) or fixed-output (HashAlgo and Hash set).</summary>
public sealed record DerivationOutput(string Path, string HashAlgo, string Hash)
{
    public bool IsFixed => Hash.Length > 0;
}

public sealed class Derivation
{
    public string Name { get; init; } = "";
    /// <summary>Output name → output, in name order.</summary>
    public SortedDictionary<string, DerivationOutput> Outputs { get; } = new(StringComparer.Ordinal);
    /// <summary>Input derivation path → the outputs used, both in byte order.</summary>
    public SortedDictionary<string, SortedSet<string>> InputDrvs { get; } = new(StringComparer.Ordinal);
    public SortedSet<string> InputSrcs { get; } = new(StringComparer.Ordinal);
    public string Platform { get; set; } = "";
    public string Builder { get; set; } = "";
    public List<string> Args { get; } = new();
    /// <summary>Environment variables, in the UTF-8 byte order Nix writes them in.</summary>
    public SortedDictionary<string, string> Env { get; } = new(Utf8ByteOrderComparer.Instance);

    /// <summary>Fixed-output: exactly one output, named "out", with a hash.</summary>
    public bool IsFixedOutput => Outputs.Count == 1 && Outputs.TryGetValue("out", out var o) && o.IsFixed;

    /// <summary>The ATerm text. With maskOutputs, output paths and the environment variables named
    /// after outputs are blank (for hashing modulo); actualInputs, when given, replaces InputDrvs
    /// (input hashes in place of paths).</summary>
    public string Unparse(bool maskOutputs, IReadOnlyDictionary<string, SortedSet<string>>? actualInputs = null)
    {
        var sb = new StringBuilder(256);
        sb.Append("Derive([");
        bool first = true;
        foreach (var (name, o) in Outputs)
        {
            if (!first) sb.Append(',');
            first = false;
            sb.Append('(');
            Str(sb, name); sb.Append(',');
            Str(sb, maskOutputs ? "" : o.Path); sb.Append(',');
            Str(sb, o.HashAlgo); sb.Append(',');
            Str(sb, o.Hash);
            sb.Append(')');
        }
        sb.Append("],[");
        first = true;
        IEnumerable<KeyValuePair<string, SortedSet<string>>> inputs = actualInputs is null
            ? InputDrvs
            : actualInputs.OrderBy(k => k.Key, StringComparer.Ordinal);
        foreach (var (path, outs) in inputs)
        {
            if (!first) sb.Append(',');
            first = false;
            sb.Append('(');
            Str(sb, path);
            sb.Append(',');
            StrList(sb, outs);
            sb.Append(')');
        }
        sb.Append("],");
        StrList(sb, InputSrcs);
        sb.Append(',');
        Str(sb, Platform); sb.Append(',');
        Str(sb, Builder); sb.Append(',');
        StrList(sb, Args);
        sb.Append(",[");
        first = true;
        foreach (var (k, v) in Env)
        {
            if (!first) sb.Append(',');
            first = false;
            sb.Append('(');
            Str(sb, k); sb.Append(',');
            Str(sb, maskOutputs && Outputs.ContainsKey(k) ? "" : v);
            sb.Append(')');
        }
        sb.Append("])");
        return sb.ToString();
    }

    private static void StrList(StringBuilder sb, IEnumerable<string> items)
    {
        sb.Append('[');
        bool first = true;
        foreach (var s in items)
        {
            if (!first) sb.Append(',');
            first = false;
            Str(sb, s);
        }
        sb.Append(']');
    }

    /// <summary>An ATerm string: quotes, with \" \\ \n \r \t escaped.</summary>
    private static void Str(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }
}
