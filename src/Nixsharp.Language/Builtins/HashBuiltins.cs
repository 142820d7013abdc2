// hashString, hashFile and convertHash.
namespace Nixsharp.Language.Builtins;

using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Syntax;

internal static class HashBuiltins
{
    public static void Register(BuiltinRegistry r)
    {
        r.Add("__hashString", 2, (st, a, pos) =>
        {
            var algo = st.ForceStringNoContext(a[0], pos);
            CheckAlgo(algo, pos);
            var s = st.ForceString(a[1], pos);
            return StringValue.Of(Hashing.ToBase16(Hashing.Compute(algo, ByteString.ToBytes(s))));
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
            var (alg, bytes) = ParseHash(hash, algo, pos);
            return StringValue.Of(format switch
            {
                "base16" => Hashing.ToBase16(bytes),
                "nix32" or "base32" => Hashing.ToBase32(bytes),
                "base64" => Convert.ToBase64String(bytes),
                "sri" => alg + "-" + Convert.ToBase64String(bytes),
                _ => throw new EvalError($"unknown hash format '{format}', expect 'base16', 'base32', 'nix32', 'base64', or 'sri'", pos),
            });
        });
    }

    private static void CheckAlgo(string algo, Pos pos)
    {
        if (Hashing.SizeOf(algo) < 0)
            throw new UsageError($"unknown hash algorithm '{algo}'");
    }

    /// <summary>Parses "algo:…", "algo-base64" (SRI) or a bare hash with a known algorithm.</summary>
    public static (string Algo, byte[] Bytes) ParseHash(string hash, string? algo, Pos pos)
    {
        string rest = hash;
        bool sri = false;
        int colon = hash.IndexOf(':');
        int dash = hash.IndexOf('-');
        if (colon >= 0) { algo = hash.Substring(0, colon); rest = hash.Substring(colon + 1); }
        else if (dash >= 0 && Hashing.SizeOf(hash.Substring(0, dash)) > 0)
        {
            algo = hash.Substring(0, dash); rest = hash.Substring(dash + 1); sri = true;
        }
        if (algo is null) throw new EvalError($"hash '{hash}' does not include a type, nor is the type otherwise known from context", pos);
        int size = Hashing.SizeOf(algo);
        if (size < 0) throw new EvalError($"unknown hash algorithm '{algo}'", pos);
        byte[]? bytes = null;
        if (!sri && rest.Length == size * 2) bytes = Hashing.FromBase16(rest, size);
        else if (!sri && rest.Length == (size * 8 - 1) / 5 + 1) bytes = Hashing.FromBase32(rest, size);
        if (bytes is null)
        {
            try
            {
                var b = Convert.FromBase64String(rest);
                if (b.Length == size) bytes = b;
            }
            catch (FormatException) { }
        }
        if (bytes is null) throw new EvalError($"hash '{hash}' has wrong length for hash algorithm '{algo}'", pos);
        return (algo, bytes);
    }
}
