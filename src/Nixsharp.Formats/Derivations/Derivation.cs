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
    public string Unparse(bool maskOutputs, SortedDictionary<string, SortedSet<string>>? actualInputs = null)
    {
        var sb = UnparseTo(maskOutputs, actualInputs);
        var text = sb.ToString();
        ReleaseBuilder(sb);
        return text;
    }

    /// <summary>The ATerm text as UTF-8 bytes (what a .drv file holds).</summary>
    public byte[] UnparseUtf8(bool maskOutputs)
    {
        var (buffer, length) = UnparseUtf8Rented(maskOutputs);
        var bytes = buffer.AsSpan(0, length).ToArray();
        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        return bytes;
    }

    /// <summary>The ATerm text as UTF-8 bytes, into a buffer rented from the shared pool (return it
    /// with ArrayPool.Shared.Return); for hashing, where the text itself is not kept.</summary>
    public (byte[] Buffer, int Length) UnparseUtf8Rented(bool maskOutputs, SortedDictionary<string, SortedSet<string>>? actualInputs = null)
    {
        var sb = UnparseTo(maskOutputs, actualInputs);
        int max = 0;
        foreach (var chunk in sb.GetChunks()) max += Encoding.UTF8.GetMaxByteCount(chunk.Length);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(max);
        int length = 0;
        foreach (var chunk in sb.GetChunks()) length += Encoding.UTF8.GetBytes(chunk.Span, buffer.AsSpan(length));
        ReleaseBuilder(sb);
        return (buffer, length);
    }

    // One builder per thread, reused: derivations are unparsed several times each (hash modulo,
    // checking, writing) and growing a fresh builder every time is most of their allocation.
    [ThreadStatic] private static StringBuilder? s_builder;

    private static void ReleaseBuilder(StringBuilder sb)
    {
        // A huge one (a derivation with a big environment) is not worth keeping.
        if (sb.Capacity <= 1 << 20) s_builder = sb;
    }

    private StringBuilder UnparseTo(bool maskOutputs, SortedDictionary<string, SortedSet<string>>? actualInputs)
    {
        // One chunk big enough for most derivations: Clear() keeps only the last chunk of a builder
        // that grew, so a small one would allocate its growth again on every use.
        var sb = s_builder ?? new StringBuilder(16 * 1024);
        s_builder = null;
        sb.Clear();
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
        foreach (var (path, outs) in actualInputs ?? InputDrvs)
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
        return sb;
    }

    private static readonly System.Buffers.SearchValues<char> Escaped = System.Buffers.SearchValues.Create("\"\\\n\r\t");

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
        var rest = s.AsSpan();
        // Runs without anything to escape are appended whole.
        for (int i; (i = rest.IndexOfAny(Escaped)) >= 0; rest = rest[(i + 1)..])
        {
            sb.Append(rest[..i]);
            sb.Append(rest[i] switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                _ => "\\t",
            });
        }
        sb.Append(rest);
        sb.Append('"');
    }
}
