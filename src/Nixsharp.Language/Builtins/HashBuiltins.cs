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

    /// <summary>Parses "algo:…", "algo-base64" (SRI) or a bare hash whose algorithm is given,
    /// with Nix 2.8's rules and messages (hex, Nix base-32 or base-64 told apart by length).</summary>
    public static (string Algo, byte[] Bytes) ParseHash(string original, string? algo, Pos pos)
    {
        string rest = original;
        bool sri = false;
        string? parsedAlgo = null;
        int colon = original.IndexOf(':');
        if (colon >= 0) { parsedAlgo = original.Substring(0, colon); rest = original.Substring(colon + 1); }
        else
        {
            int dash = original.IndexOf('-');
            if (dash >= 0) { parsedAlgo = original.Substring(0, dash); rest = original.Substring(dash + 1); sri = true; }
        }
        if (parsedAlgo is not null && Hashing.SizeOf(parsedAlgo) < 0)
            throw new UsageError($"unknown hash algorithm '{parsedAlgo}'");
        if (parsedAlgo is null && algo is null)
            throw new EvalError($"hash '{rest}' does not include a type, nor is the type otherwise known from context");
        if (parsedAlgo is not null && algo is not null && parsedAlgo != algo)
            throw new EvalError($"hash '{original}' should have type '{algo}'");
        var type = parsedAlgo ?? algo!;
        if (Hashing.SizeOf(type) < 0) throw new UsageError($"unknown hash algorithm '{type}'");
        int size = Hashing.SizeOf(type);
        if (!sri && rest.Length == size * 2)
            return (type, Hashing.FromBase16(rest, size) ?? throw new EvalError($"invalid base-16 hash '{rest}'"));
        if (!sri && rest.Length == Nixsharp.Formats.Hashes.NixBase32.EncodedLength(size))
            return (type, Hashing.FromBase32(rest, size) ?? throw new EvalError($"invalid base-32 hash '{rest}'"));
        if (sri || rest.Length == (size + 2) / 3 * 4)
        {
            byte[] d;
            // Nix's decoder names the bad character in a way that prints as nothing.
            try { d = Convert.FromBase64String(rest); }
            catch (FormatException) { throw new EvalError("invalid character in Base64 string: ''"); }
            if (d.Length != size) throw new EvalError($"invalid {(sri ? "SRI" : "base-64")} hash '{rest}'");
            return (type, d);
        }
        throw new EvalError($"hash '{rest}' has wrong length for hash type '{type}'");
    }
}
