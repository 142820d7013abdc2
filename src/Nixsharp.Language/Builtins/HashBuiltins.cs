// hashString, hashFile and convertHash.
namespace Nixsharp.Language.Builtins;

using Nixsharp.Formats.Hashes;
using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Syntax;

internal static class HashBuiltins
{
    /// <summary>The hash of a byte string's bytes. PERF: a long string is encoded and hashed a
    /// block at a time rather than copied whole into a byte array first.</summary>
    private static byte[] HashString(string algo, string s)
    {
        const int Block = 16 * 1024;
        if (s.Length <= Block) return Hashing.Compute(algo, ByteString.ToBytes(s));
        using var hash = Formats.Hashes.HashAlgorithms.Create(algo);
        Span<byte> buffer = stackalloc byte[Block];
        for (int at = 0; at < s.Length; at += Block)
        {
            int n = System.Text.Encoding.Latin1.GetBytes(s.AsSpan(at, Math.Min(Block, s.Length - at)), buffer);
            hash.AppendData(buffer[..n]);
        }
        return hash.GetHashAndReset();
    }

    public static void Register(BuiltinRegistry r)
    {
        r.Add("__hashString", 2, (st, a, pos) =>
        {
            var algo = st.ForceStringNoContext(a[0], pos);
            CheckAlgo(algo, pos);
            var s = st.ForceString(a[1], pos);
            return StringValue.Of(Hashing.ToBase16(HashString(algo, s)));
        });
        r.Add("__hashFile", 2, (st, a, pos) =>
        {
            var algo = st.ForceStringNoContext(a[0], pos);
            CheckAlgo(algo, pos);
            var path = FileBuiltins.RealisePath(st, a[1], pos);
            string content;
            try { content = st.Host.ReadFile(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new HostError($"opening file '{path}': {FileBuiltins.DescribeIo(e)}");
            }
            return StringValue.Of(Hashing.ToBase16(Hashing.Compute(algo, ByteString.ToBytes(content))));
        });
        r.Add("__convertHash", 1, (st, a, pos) =>
        {
            var args = st.ForceAttrs(a[0], pos);
            var hash = st.ForceStringNoContext(AttrBuiltins.Need(st, "convertHash", st.Symbols["hash"], args, pos), pos);
            string? algo = args.Get(st.Symbols["hashAlgo"]) is { } av ? st.ForceStringNoContext(av, pos) : null;
            var format = st.ForceStringNoContext(AttrBuiltins.Need(st, "convertHash", st.Symbols["toHashFormat"], args, pos), pos);
            var parsed = ParseHashValue(hash, algo);
            return StringValue.Of(format switch
            {
                "base16" => parsed.ToString(HashFormat.Base16, false),
                "nix32" or "base32" => parsed.ToString(HashFormat.Base32, false),
                "base64" => parsed.ToString(HashFormat.Base64, false),
                "sri" => parsed.ToString(HashFormat.Sri, true),
                _ => throw new EvalError($"unknown hash format '{format}', expect 'base16', 'base32', 'nix32', 'base64', or 'sri'", pos),
            });
        });
    }

    private static void CheckAlgo(string algo, Pos pos)
    {
        if (Hashing.SizeOf(algo) < 0)
            throw new UsageError($"unknown hash algorithm '{algo}'");
    }

    /// <summary>Parses "algo:…", "algo-base64" (SRI) or a bare hash whose algorithm is given,
    /// with Nix 2.8's rules and messages (the wire-format layer's Hash.ParseAny). An unknown
    /// algorithm is a usage error, as in Nix.</summary>
    public static (string Algo, byte[] Bytes) ParseHash(string original, string? algo, Pos pos)
    {
        var hash = ParseHashValue(original, algo);
        return (hash.AlgorithmName, hash.Bytes.ToArray());
    }

    private static Hash ParseHashValue(string original, string? algo)
    {
        try
        {
            return Hash.ParseAny(original, algo is null ? null : Hash.ParseType(algo));
        }
        catch (UnknownHashAlgorithmException e)
        {
            throw new UsageError(e.Message);
        }
        catch (HashFormatException e)
        {
            throw new EvalError(e.Message);
        }
    }
}
