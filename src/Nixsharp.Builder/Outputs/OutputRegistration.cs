// After a successful builder: every declared output must exist; each is canonicalised (owner,
// modes, mtime; setuid bits and extended attributes go; foreign hard links are refused), scanned
// for references to the input closure and to the other outputs, hashed, checked (fixed-output
// hashes; allowedReferences and friends), moved into the store and registered, all outputs in
// one transaction, with the .drv as deriver. Nix 2.8's registerOutputs, without hash rewriting:
// nixsharp builds outputs at their final store paths (in the sandbox's store directory). A check
// (--check) compares the NAR hash of what was built with that of each valid output instead.
namespace Nixsharp.Builder.Outputs;

using Nixsharp.Builder.Building;
using Nixsharp.Builder.Linux;
using Nixsharp.Formats.Derivations;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Nar;
using Nixsharp.Store.Database;
using Nixsharp.Store.Local;

internal sealed class OutputRegistration
{
    private readonly LocalStore _store;
    private readonly string _drvPath;
    private readonly Derivation _drv;
    private readonly DerivationOptions _options;
    private readonly HashSet<string> _inputPaths;
    private readonly IReadOnlyDictionary<string, string> _outputs;
    private readonly Func<string, string> _builtAt;

    /// <param name="builtAt">Where an output (by name) was written: in the sandbox's store directory or in the store.</param>
    public OutputRegistration(LocalStore store, string drvPath, Derivation drv, DerivationOptions options,
        HashSet<string> inputPaths, IReadOnlyDictionary<string, string> outputs, Func<string, string> builtAt)
    {
        _store = store; _drvPath = drvPath; _drv = drv; _options = options; _inputPaths = inputPaths;
        _outputs = outputs; _builtAt = builtAt;
    }

    private sealed record Scanned(string Name, string Path, string BuiltAt, NativeMethods.FileStatus Status,
        IReadOnlySet<string> References, byte[] NarHash, long NarSize);

    public void Run()
    {
        // Outputs that were valid before the build stay as they are (a rebuild of the others).
        var toRegister = _outputs.Where(o => !_store.IsValidPath(o.Value)).ToDictionary(o => o.Key, o => o.Value, StringComparer.Ordinal);
        var referenceable = new HashSet<string>(_inputPaths, StringComparer.Ordinal);
        referenceable.UnionWith(_outputs.Values);
        uint euid = NativeMethods.GetEuid();

        var scanned = new Dictionary<string, Scanned>(StringComparer.Ordinal);
        foreach (var (name, path) in toRegister.OrderBy(o => o.Key, StringComparer.Ordinal))
            scanned[name] = Scan(name, path, referenceable, euid);

        CheckNoCycles(scanned);

        var infos = new Dictionary<string, ValidPathInfo>(StringComparer.Ordinal);
        BuildException? hashMismatch = null;
        foreach (var (name, s) in scanned)
        {
            var output = _drv.Outputs[name];
            string? ca = null;
            if (output.IsFixed)
            {
                var (mismatch, contentAddress) = CheckFixedOutput(s, output);
                hashMismatch ??= mismatch;
                ca = contentAddress;
            }
            infos[name] = new ValidPathInfo
            {
                Path = s.Path,
                NarHash = ValidPathInfo.FormatNarHash(s.NarHash),
                NarSize = s.NarSize,
                References = ValidPathInfo.PathSet(s.References),
                Deriver = _drvPath,
                Ultimate = true,
                ContentAddress = ca,
            };
        }
        // Unlike Nix 2.8, which registers the mismatching output under the path of what it got,
        // nothing is kept of a fixed-output build with the wrong hash.
        if (hashMismatch is not null) throw hashMismatch;

        OutputChecks.Check(_store, _drvPath, _options, infos);

        foreach (var (_, s) in scanned) MoveIntoStore(s.BuiltAt, _store.ToRealPath(s.Path));
        _store.Register(infos.Values.ToList());
    }

    /// <summary>Checks, canonicalises, hashes and scans the output built for `name`.</summary>
    private Scanned Scan(string name, string path, IReadOnlySet<string> referenceable, uint euid)
    {
        var actual = _builtAt(name);
        var st = NativeMethods.LStat(actual) ?? throw Rejected(
            $"builder for '{_drvPath}' failed to produce output path for output '{name}' at '{actual}'");
        // Writable by group or others: someone else may have interfered with the build.
        if (!st.IsSymlink && (st.Mode & 0x12 /* S_IWGRP | S_IWOTH */) != 0)
            throw Rejected($"suspicious ownership or permission on '{actual}' for output '{name}'; rejecting this build output");
        try
        {
            // Canonicalise before reading: a hard link to a file the builder does not own is refused here.
            StoreFiles.Canonicalise(actual, euid);
        }
        catch (IOException e) { throw Rejected(e.Message); }

        var scanner = new ReferenceScanner(referenceable);
        using var sink = new ScanningHashStream(scanner);
        NarWriter.Dump(actual, sink);
        return new Scanned(name, path, actual, st, new HashSet<string>(scanner.Found, StringComparer.Ordinal),
            sink.GetHash(), sink.BytesWritten);
    }

    /// <summary>--check: every output that is valid must have been built again exactly (the same
    /// NAR hash). The first that differs fails the check; with `keepDifferent` (--keep-failed) what
    /// was built is kept beside it as OUTPUT.check, as Nix does.</summary>
    public void CompareWithValid(bool keepDifferent)
    {
        var referenceable = new HashSet<string>(_inputPaths, StringComparer.Ordinal);
        referenceable.UnionWith(_outputs.Values);
        uint euid = NativeMethods.GetEuid();
        foreach (var (name, path) in _outputs.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            var valid = _store.QueryPathInfo(path);
            if (valid is null) continue;
            var built = Scan(name, path, referenceable, euid);
            if (Hash.ParseAnyPrefixed(valid.NarHash).Equals(new Hash(HashType.Sha256, built.NarHash))) continue;
            var realPath = _store.ToRealPath(path);
            var message = $"derivation '{_drvPath}' may not be deterministic: output '{realPath}' differs";
            if (keepDifferent)
            {
                var kept = realPath + CheckSuffix;
                MoveIntoStore(built.BuiltAt, kept);
                message += $" from '{kept}'";
            }
            throw new BuildException(BuildStatus.NotDeterministic, message);
        }
    }

    /// <summary>--repair: the damaged valid outputs among `paths` are replaced by what was built
    /// (LocalStore.ReplaceValidPathContentsLocked, under the build's output locks). An
    /// input-addressed output that came out different is registered anew with its new hash, as Nix
    /// does; a fixed output must come out as recorded. Run() then registers the outputs that were
    /// not valid.</summary>
    public void ReplaceDamaged(IReadOnlySet<string> paths)
    {
        var referenceable = new HashSet<string>(_inputPaths, StringComparer.Ordinal);
        referenceable.UnionWith(_outputs.Values);
        uint euid = NativeMethods.GetEuid();
        foreach (var (name, path) in _outputs.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            if (!paths.Contains(path) || _store.QueryPathInfo(path) is not { } valid) continue;
            var built = Scan(name, path, referenceable, euid);
            var builtHash = ValidPathInfo.FormatNarHash(built.NarHash);
            ValidPathInfo? reregister = null;
            if (!string.Equals(builtHash, valid.NarHash, StringComparison.Ordinal))
            {
                if (_drv.Outputs[name].IsFixed || valid.ContentAddress is not null)
                    throw new BuildException(BuildStatus.HashMismatch,
                        $"cannot repair '{path}': its rebuild by '{_drvPath}' has NAR hash '{ValidPathInfo.ShowNarHash(builtHash)}', not the recorded '{ValidPathInfo.ShowNarHash(valid.NarHash)}'");
                // Signatures were for the old contents.
                reregister = valid with
                {
                    NarHash = builtHash, NarSize = built.NarSize, References = ValidPathInfo.PathSet(built.References),
                    Deriver = _drvPath, Ultimate = true, Signatures = [],
                };
            }
            try { _store.ReplaceValidPathContentsLocked(path, built.BuiltAt, reregister); }
            catch (StoreException e) { throw new BuildException(BuildStatus.MiscFailure, e.Message); }
        }
    }

    /// <summary>Appended to an output's path to name a differing rebuild kept by --check --keep-failed.</summary>
    public const string CheckSuffix = ".check";

    private BuildException Rejected(string message) => new(BuildStatus.OutputRejected, message);

    /// <summary>Outputs may refer to each other, but not in a cycle.</summary>
    private void CheckNoCycles(Dictionary<string, Scanned> scanned)
    {
        var byPath = scanned.Values.ToDictionary(s => s.Path, s => s.Name, StringComparer.Ordinal);
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 visiting, 2 done
        void Visit(string name, string? parent)
        {
            if (state.TryGetValue(name, out var st))
            {
                if (st == 1)
                    throw Rejected($"cycle detected in build of '{_drvPath}' in the references of output '{name}' from output '{parent}'");
                return;
            }
            state[name] = 1;
            foreach (var r in scanned[name].References.Order(StringComparer.Ordinal))
                if (r != scanned[name].Path && byPath.TryGetValue(r, out var other)) Visit(other, name);
            state[name] = 2;
        }
        foreach (var name in scanned.Keys.Order(StringComparer.Ordinal)) Visit(name, null);
    }

    /// <summary>Hashes a fixed-output derivation's output as its outputHashMode says and compares
    /// it with outputHash. Returns the error to raise on a mismatch, and the content address.</summary>
    private (BuildException? Mismatch, string ContentAddress) CheckFixedOutput(Scanned s, DerivationOutput output)
    {
        bool recursive = output.HashAlgo.StartsWith("r:", StringComparison.Ordinal);
        var algo = recursive ? output.HashAlgo[2..] : output.HashAlgo;
        if (!recursive && (!s.Status.IsRegular || (s.Status.Mode & 0x40 /* S_IXUSR */) != 0))
            throw Rejected($"output path '{s.BuiltAt}' should be a non-executable regular file since recursive hashing is not enabled (outputHashMode=flat)");
        var others = s.References.Where(r => r != s.Path).Order(StringComparer.Ordinal).ToList();
        if (others.Count > 0)
            // Nix 2.8 would go on to register the output under another path; later Nix refuses, as here.
            throw Rejected($"the fixed-output derivation '{_drvPath}' must not reference store paths: " +
                           $"'{s.Path}' references {others.Count} distinct paths, e.g. '{others[0]}'");
        var hashPart = s.Path.Substring(s.Path.LastIndexOf('/') + 1, 32);
        byte[] got;
        using (var sink = new HashModuloStream(algo, hashPart))
        {
            if (recursive) NarWriter.Dump(s.BuiltAt, sink);
            else using (var f = File.OpenRead(s.BuiltAt)) f.CopyTo(sink, 1 << 16);
            got = sink.Finish();
        }
        var type = Hash.ParseType(algo);
        var wanted = new Hash(type, Convert.FromHexString(output.Hash));
        var gotHash = new Hash(type, got);
        var ca = $"fixed:{(recursive ? "r:" : "")}{algo}:{NixBase32.Encode(got)}";
        if (!wanted.Equals(gotHash))
            return (new BuildException(BuildStatus.HashMismatch,
                $"hash mismatch in fixed-output derivation '{_drvPath}':\n  specified: {wanted.ToString(HashFormat.Sri, true)}\n     got:    {gotHash.ToString(HashFormat.Sri, true)}"), ca);
        return (null, ca);
    }

    /// <summary>Renames a built output to its place in the store (a directory briefly made
    /// writable, as renaming a directory updates its "..").</summary>
    private static void MoveIntoStore(string from, string to)
    {
        if (from == to) return;
        StoreFiles.DeleteTree(to);
        var st = NativeMethods.LStat(from)!.Value;
        bool changePerm = NativeMethods.GetEuid() != 0 && st.IsDirectory && (st.Mode & 0x80) == 0;
        if (changePerm) File.SetUnixFileMode(from, (UnixFileMode)(st.Permissions | 0x80));
        NativeMethods.Rename(from, to);
        if (changePerm) File.SetUnixFileMode(to, (UnixFileMode)st.Permissions);
    }
}
