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
        // Sorted as they are written: the text lists inputs by hash.
        var inputs = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
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
        var (text, length) = drv.UnparseUtf8Rented(maskOutputs, inputs);
        var hash = SHA256.HashData(text.AsSpan(0, length));
        System.Buffers.ArrayPool<byte>.Shared.Return(text);
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

    /// <summary>What a store checks when it registers a .drv: the outputs are of a kind that may go
    /// together, and each output path (and the environment variable of the same name) is the one
    /// the derivation determines. Nix 2.8 checks the variable but not the written path of a fixed
    /// output, as it recomputes that path when reading; here both must be right. Deferred outputs
    /// (empty path, no hash) have nothing to check, as in Nix.</summary>
    /// <param name="drvPath">The .drv's store path; its name (without ".drv") names the outputs.</param>
    /// <exception cref="FormatException">With Nix 2.8's message, e.g. "derivation '…' has incorrect
    /// output '…', should be '…'".</exception>
    public void CheckOutputs(string drvPath, Derivation drv)
    {
        _paths.CheckStorePath(drvPath);
        if (!drvPath.EndsWith(".drv", StringComparison.Ordinal))
            throw new FormatException($"'{drvPath}' is not a derivation");
        var baseName = drvPath.AsSpan(_paths.StoreDir.Length + 1 + StorePathComputer.HashPartLength + 1);
        var drvName = baseName[..^".drv".Length].ToString();
        CheckOutputKinds(drv);

        Dictionary<string, byte[]>? hashesModulo = null; // computed only if needed, as it reads the inputs
        foreach (var (name, output) in drv.Outputs)
        {
            string expected;
            if (output.IsFixed)
            {
                bool recursive = output.HashAlgo.StartsWith("r:", StringComparison.Ordinal);
                var hash = Hash.ParseNonSriUnprefixed(output.Hash, Hash.ParseType(recursive ? output.HashAlgo[2..] : output.HashAlgo));
                expected = _paths.MakeFixedOutputPath(recursive, hash.AlgorithmName, hash.Bytes, drvName);
            }
            else if (output.HashAlgo.Length == 0 && output.Path.Length != 0)
            {
                hashesModulo ??= HashModulo(drv, true);
                expected = _paths.MakeOutputPath(name, hashesModulo[name], drvName);
            }
            else continue;
            if (output.Path != expected)
                throw new FormatException($"derivation '{drvPath}' has incorrect output '{output.Path}', should be '{expected}'");
            if (!drv.Env.TryGetValue(name, out var envValue) || envValue != expected)
                throw new FormatException($"derivation '{drvPath}' has incorrect environment variable '{name}', should be '{expected}'");
        }
    }

    /// <summary>Nix's rules for which outputs may be combined: all input-addressed, one fixed output
    /// named "out", all floating, or all deferred.</summary>
    private static void CheckOutputKinds(Derivation drv)
    {
        int inputAddressed = 0, fixedOutputs = 0, floating = 0, deferred = 0;
        foreach (var o in drv.Outputs.Values)
        {
            if (o.IsFixed) fixedOutputs++;
            else if (o.HashAlgo.Length != 0) floating++;
            else if (o.Path.Length == 0) deferred++;
            else inputAddressed++;
        }
        int kinds = (inputAddressed > 0 ? 1 : 0) + (fixedOutputs > 0 ? 1 : 0) + (floating > 0 ? 1 : 0) + (deferred > 0 ? 1 : 0);
        if (kinds == 0) throw new FormatException("must have at least one output");
        if (kinds > 1) throw new FormatException("can't mix derivation output types");
        if (fixedOutputs > 1) throw new FormatException("only one fixed output is allowed for now");
        if (fixedOutputs == 1 && !drv.Outputs.ContainsKey("out")) throw new FormatException("single fixed output must be named \"out\"");
    }

    /// <summary>The .drv file's store path: a text path whose references are all the inputs.</summary>
    public string DrvPath(Derivation drv)
    {
        var refs = new SortedSet<string>(drv.InputSrcs, StringComparer.Ordinal);
        foreach (var p in drv.InputDrvs.Keys) refs.Add(p);
        return _paths.ComputeTextPath(drv.Name + ".drv", drv.UnparseUtf8(false), refs);
    }
}
