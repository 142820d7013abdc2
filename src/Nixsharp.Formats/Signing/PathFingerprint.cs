// What a signature of a store path signs: "1;PATH;sha256:NARHASH(base 32);NARSIZE;REF1,REF2,…"
// with the references as full store paths in byte order. Path, contents (through the NAR hash)
// and references are covered; the deriver, the content address and the cache's file fields are not.
namespace Nixsharp.Formats.Signing;

using System.Globalization;
using System.Text;
using Nixsharp.Formats.Hashes;

public static class PathFingerprint
{
    public static string Of(string storePath, Hash narHash, long narSize, IEnumerable<string> references)
    {
        if (narHash.Type != HashType.Sha256)
            throw new FormatException($"cannot calculate the fingerprint of path '{storePath}': its NAR hash is not SHA-256");
        if (narSize <= 0)
            throw new FormatException($"cannot calculate the fingerprint of path '{storePath}': its NAR size is not known");
        var sb = new StringBuilder("1;").Append(storePath).Append(';')
            .Append(narHash.ToString(HashFormat.Base32, includeAlgo: true)).Append(';')
            .Append(narSize.ToString(CultureInfo.InvariantCulture)).Append(';');
        bool first = true;
        foreach (var r in references.Order(StringComparer.Ordinal))
        {
            if (!first) sb.Append(',');
            sb.Append(r);
            first = false;
        }
        return sb.ToString();
    }
}
