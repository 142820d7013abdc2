// Nix's "hash modulo" of a derivation: the hash that output paths are computed from. Fixed-output
// inputs contribute only their declared content hash, so changing how a fixed output is fetched
// does not change everything that depends on it.
namespace Nixsharp.Formats.Derivations;

using System.Security.Cryptography;
using System.Text;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.StorePaths;

public sealed class DerivationHasher
{
    private readonly StorePathComputer _paths;
    private readonly Func<string, Derivation?> _readDerivation;
    // drv path -> output name -> hash modulo (of the unmasked derivation), as Nix's drvHashes cache.
    private readonly Dictionary<string, Dictionary<string, byte[]>> _cache = new(StringComparer.Ordinal);

    /// <param name="readDerivation">Loads an input derivation that this hasher has not seen.</param>
    public DerivationHasher(StorePathComputer paths, Func<string, Derivation?> readDerivation)
    {
        _paths = paths;
        _readDerivation = readDerivation;
    }

    /// <summary>Output name → hash modulo.</summary>
    public Dictionary<string, byte[]> HashModulo(Derivation drv, bool maskOutputs)
    {
        var res = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (drv.IsFixedOutput)
        {
            foreach (var (name, o) in drv.Outputs)
            {
                var s = $"fixed:out:{o.HashAlgo}:{o.Hash}:{o.Path}";
                res[name] = SHA256.HashData(Encoding.UTF8.GetBytes(s));
            }
            return res;
        }
        var inputs = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (drvPath, outputs) in drv.InputDrvs)
        {
            var hashes = HashOfPath(drvPath);
            foreach (var output in outputs)
            {
                if (!hashes.TryGetValue(output, out var h))
                    throw new FormatException($"derivation '{drvPath}' has no output '{output}'");
                var key = HashAlgorithms.ToBase16(h);
                if (!inputs.TryGetValue(key, out var set)) inputs[key] = set = new SortedSet<string>(StringComparer.Ordinal);
                set.Add(output);
            }
        }
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(drv.Unparse(maskOutputs, inputs)));
        foreach (var name in drv.Outputs.Keys) res[name] = hash;
        return res;
    }

    private Dictionary<string, byte[]> HashOfPath(string drvPath)
    {
        if (_cache.TryGetValue(drvPath, out var h)) return h;
        var drv = _readDerivation(drvPath) ?? throw new FormatException($"derivation '{drvPath}' is not known to this store");
        h = HashModulo(drv, false);
        _cache[drvPath] = h;
        return h;
    }

    /// <summary>Remembers a derivation's hash (right after it was written or computed).</summary>
    public void Remember(string drvPath, Derivation drv) => _cache[drvPath] = HashModulo(drv, false);

    /// <summary>Fills in input-addressed output paths and the matching environment variables.</summary>
    public void FillInputAddressedOutputs(Derivation drv)
    {
        var hashes = HashModulo(drv, true);
        foreach (var name in drv.Outputs.Keys.ToList())
        {
            var path = _paths.MakeOutputPath(name, hashes[name], drv.Name);
            drv.Outputs[name] = new DerivationOutput(path, "", "");
            drv.Env[name] = path;
        }
    }

    /// <summary>The .drv file's store path: a text path whose references are all the inputs.</summary>
    public string DrvPath(Derivation drv)
    {
        var refs = new SortedSet<string>(drv.InputSrcs, StringComparer.Ordinal);
        foreach (var p in drv.InputDrvs.Keys) refs.Add(p);
        return _paths.ComputeTextPath(drv.Name + ".drv", Encoding.UTF8.GetBytes(drv.Unparse(false)), refs);
    }
}
