// Builtins that reach into the store: derivations, toFile, placeholder, path, filterSource,
// storePath, and the fetchers (fetchurl, fetchTarball, fetchGit), which check their arguments and
// hashes here and leave the fetching to the store backend.
namespace Nixsharp.Language.Builtins;

using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.StorePaths;
using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Syntax;

internal static class StoreBuiltins
{
    public static void Register(BuiltinRegistry r)
    {
        // Each checks its arguments as Nix does before it touches the store, so argument errors
        // read the same.
        r.Add("derivationStrict", 1, (st, a, pos) => DerivationBuiltins.DerivationStrict(st, a[0], pos));
        r.Add("__toFile", 2, (st, a, pos) =>
        {
            var name = st.ForceStringNoContext(a[0], pos);
            var ctx = new ContextBuilder();
            var contents = st.ForceString(a[1], ctx, pos);
            var refs = new List<string>();
            foreach (var el in ctx.Build()?.Items ?? Array.Empty<string>())
            {
                if (el[0] != '/')
                    throw new EvalError($"in 'toFile': the file named '{name}' must not contain a reference to a derivation but contains ({el})");
                refs.Add(el);
            }
            var store = st.Host.Store ?? throw NotSupported("toFile", pos);
            var path = store.AddTextToStore(name, contents, refs);
            return new StringValue(path, StringContext.Of(path));
        });
        r.Add("__filterSource", 2, (st, a, pos) =>
        {
            var ctx = new ContextBuilder();
            var path = CoreBuiltins.CoerceToPath(st, a[1], pos, ctx);
            // Only a real function will do here (a set with __functor will not), unlike path's filter.
            var filter = st.Force(a[0], pos);
            if (filter is not (LambdaValue or PrimOpValue or PrimOpAppValue))
                throw new TypeError($"first argument in call to 'filterSource' is not a function but {EvalState.ShowType(filter)}", pos);
            return AddPath(st, pos, PathUtil.BaseNameOf(path), path, filter, true, null, ctx);
        });
        r.Add("__path", 1, (st, a, pos) =>
        {
            var args = st.ForceAttrs(a[0], pos);
            var ctx = new ContextBuilder();
            string? path = null;
            string name = "";
            Value? filter = null;
            bool recursive = true;
            byte[]? expectedHash = null;
            // In the set's own order, as Nix goes through it: that decides which bad argument is reported.
            for (int i = 0; i < args.Count; i++)
            {
                var v = args.Values[i];
                var attrPos = args.PosOf(i);
                switch (args.Names[i].Name)
                {
                    case "path": path = CoreBuiltins.CoerceToPath(st, v, attrPos, ctx); break;
                    case "name": name = st.ForceStringNoContext(v, attrPos); break;
                    // Forced but not checked: a non-function fails when first called, and not at all
                    // if there is nothing to filter.
                    case "filter": filter = st.Force(v, pos); break;
                    case "recursive": recursive = st.ForceBool(v, attrPos); break;
                    case "sha256": expectedHash = ParseExpectedHash(st, st.ForceStringNoContext(v, attrPos), attrPos); break;
                    default: throw new EvalError($"unsupported argument '{args.Names[i].Name}' to 'addPath'", attrPos);
                }
            }
            if (path is null) throw new EvalError("'path' required", pos);
            if (name.Length == 0) name = PathUtil.BaseNameOf(path);
            return AddPath(st, pos, name, path, filter, recursive, expectedHash, ctx);
        });
        r.Add("__storePath", 1, (st, a, pos) => StorePath(st, a[0], pos));
        r.Add("__fetchurl", 1, (st, a, pos) => Fetch(st, a[0], pos, "fetchurl", unpack: false));
        r.Add("fetchTarball", 1, (st, a, pos) => Fetch(st, a[0], pos, "fetchTarball", unpack: true));
        r.Add("fetchMercurial", 1, (st, a, pos) =>
        {
            var v = st.Force(a[0], pos);
            if (v is AttrsValue args)
            {
                if (args.Get(st.Symbols["url"]) is null) throw new EvalError("'url' argument required", pos);
            }
            else st.CoerceToString(pos, v, new ContextBuilder(), false, false);
            throw NotSupported("fetchMercurial", pos);
        });
        r.Add("fetchGit", 1, (st, a, pos) => GitFetch.FetchGit(st, a[0], pos));
        r.Add("fetchTree", 1, (st, a, pos) =>
            throw new EvalError("experimental Nix feature 'flakes' is disabled; use '--extra-experimental-features flakes' to override"));
        r.Add("__addDrvOutputDependencies", 1, (st, a, pos) =>
        {
            var s = st.ForceStringValue(a[0], pos);
            var items = s.Context?.Items ?? Array.Empty<string>();
            if (items.Count != 1)
                throw new EvalError($"context of string '{s.S}' must have exactly one element, but has {items.Count}", pos);
            var el = items[0];
            if (el.StartsWith('=')) return s;
            if (el.StartsWith('!'))
                throw new EvalError($"`addDrvOutputDependencies` can only act on derivations, not on a derivation output such as '{ContextElement.Parse(el).Path}'", pos);
            if (!el.EndsWith(".drv", StringComparison.Ordinal))
                throw new EvalError($"path '{el}' is not a derivation", pos);
            return new StringValue(s.S, StringContext.Of("=" + el));
        });
        r.Add("placeholder", 1, (st, a, pos) =>
        {
            var output = st.ForceStringNoContext(a[0], pos);
            return StringValue.Of(Hashing.Placeholder(output));
        });
        // `derivation` is written in Nix on top of derivationStrict, as in Nix itself.
        r.Constant("derivation", Thunk.OfLazy(st => st.EvalDerivationWrapper()));
    }

    /// <summary>An expected SHA-256 in any form Nix takes; empty stands for a fake (zero) hash.</summary>
    private static byte[] ParseExpectedHash(EvalState st, string text, Pos pos)
    {
        if (text.Length == 0)
        {
            var zero = Hash.Zero(HashType.Sha256);
            st.Host.Log($"warning: found empty hash, assuming '{zero.ToString(HashFormat.Sri, true)}'");
            return zero.Bytes.ToArray();
        }
        return HashBuiltins.ParseHash(text, "sha256", pos).Bytes;
    }

    /// <summary>builtins.path and filterSource: copies (read-only: names) the tree at `path` in the
    /// store, filtered, and returns its store path as a string that refers to it.</summary>
    private static StringValue AddPath(EvalState st, Pos pos, string name, string path, Value? filter, bool recursive,
        byte[]? expectedHash, ContextBuilder pathContext)
    {
        try
        {
            var store = st.Host.Store ?? throw new EvalError($"cannot copy '{path}' to the store: this evaluator has no store", pos);
            // Whatever the path string refers to must be valid: derivation outputs are built.
            if (pathContext.Build()?.Items is { Count: > 0 } items)
            {
                store.RealiseContext(items, st.Settings.AllowImportFromDerivation);
                path = store.ToRealPath(path);
            }

            Func<string, bool>? keep = filter is null ? null : entry => CallFilter(st, filter, entry, pos);
            string? expectedPath = null;
            if (expectedHash is not null)
            {
                expectedPath = ByteString.FromUtf16(store.Paths.MakeFixedOutputPath(recursive, "sha256", expectedHash, ByteString.ToUtf16(name)));
                var baseName = expectedPath[(ByteString.FromUtf16(store.StoreDir).Length + 1)..];
                if (StorePathComputer.NameError(baseName) is { } error) throw new HostError(error);
                // A path that is already there is taken on trust, without reading the source.
                if (store.IsValidPath(expectedPath)) return StorePathString(expectedPath);
            }
            var result = store.AddPathToStore(path, name, recursive, keep);
            if (expectedPath is not null && expectedPath != result)
                throw new HostError($"store path mismatch in (possibly filtered) path added from '{path}'");
            return StorePathString(result);
        }
        catch (NixError e) when (e is not StackOverflowError)
        {
            e.AddTrace(pos, $"while adding path '{path}'");
            throw;
        }
    }

    private static StringValue StorePathString(string storePath) => new(storePath, StringContext.Of(storePath));

    /// <summary>Asks a path filter about one entry: the function gets the path and the entry's type
    /// and must answer with a Boolean.</summary>
    private static bool CallFilter(EvalState st, Value filter, string entry, Pos pos)
    {
        var type = st.Host.GetFileType(entry);
        if (type == HostFileType.Missing) throw new HostError($"getting status of '{entry}': No such file or directory");
        var answer = st.CallFunction(filter, new Value[] { StringValue.Of(entry), StringValue.Of(FileBuiltins.TypeName(type)) }, pos);
        return st.ForceBool(answer, pos);
    }

    /// <summary>builtins.storePath as read-only Nix 2.8 has it: the path must lie in the store (after
    /// resolving symlinks, unless it names a store object directly); the result is the path itself,
    /// referring to the store object it lies in, which is not checked to exist.</summary>
    private static StringValue StorePath(EvalState st, Value arg, Pos pos)
    {
        if (st.Settings.PureEval) throw new EvalError("'builtins.storePath' is not allowed in pure evaluation mode", pos);
        var path = CoreBuiltins.CoerceToPath(st, arg, pos);
        var store = st.Host.Store ?? throw new EvalError($"cannot use '{path}' as a store path: this evaluator has no store", pos);
        var storeDir = ByteString.FromUtf16(store.StoreDir);
        // A symlink that is itself a store object is kept, not followed.
        if (ParseStorePathError(storeDir, path) is not null) path = CanonPathFollowingSymlinks(st, path);
        if (!(path.Length >= storeDir.Length + 2 && path.StartsWith(storeDir, StringComparison.Ordinal) && path[storeDir.Length] == '/'))
            throw new EvalError($"path '{path}' is not in the Nix store", pos);
        int slash = path.IndexOf('/', storeDir.Length + 1);
        var objectPath = PathUtil.CanonPath(slash < 0 ? path : path.Substring(0, slash));
        if (ParseStorePathError(storeDir, objectPath) is { } error) throw new HostError(error);
        // Writing to a store, Nix makes sure the path exists (it would substitute it); nixsharp
        // has no substituters yet, so the path must already be valid.
        if (store.WritesToStore && !store.IsValidPath(objectPath))
            throw new EvalError($"path '{objectPath}' does not exist and cannot be created");
        return new StringValue(path, StringContext.Of(objectPath));
    }

    /// <summary>Why Nix would not take `path` for a store path (it makes the path canonical, then
    /// wants STOREDIR/HASH-NAME without looking at the character after the hash); null if it would.</summary>
    private static string? ParseStorePathError(string storeDir, string path)
    {
        var canonical = PathUtil.CanonPath(path);
        if (PathUtil.DirOf(canonical) != storeDir) return $"path '{canonical}' is not in the Nix store";
        var baseName = PathUtil.BaseNameOf(canonical);
        if (baseName.Length < StorePathComputer.HashPartLength + 1)
            return $"'{baseName}' is too short to be a valid store path";
        foreach (var c in baseName.AsSpan(0, StorePathComputer.HashPartLength))
        {
            if (NixBase32.Alphabet.IndexOf(c) < 0)
                return $"store path '{baseName}' contains illegal base-32 character '{c}'";
        }
        return StorePathComputer.NameError(baseName);
    }

    /// <summary>An absolute path made canonical with every symlink in it resolved, as Nix's
    /// canonPath(path, true): each component must exist.</summary>
    private static string CanonPathFollowingSymlinks(EvalState st, string path)
    {
        const int maxFollow = 1024;
        int followed = 0;
        var resolved = "";
        var rest = path;
        var resolvedType = HostFileType.Directory;
        while (true)
        {
            rest = rest.TrimStart('/');
            if (rest.Length == 0) break;
            int slash = rest.IndexOf('/');
            var component = slash < 0 ? rest : rest.Substring(0, slash);
            rest = slash < 0 ? "" : rest.Substring(slash);
            if (component == ".") continue;
            if (component == "..")
            {
                if (resolved.Length > 0) resolved = resolved.Substring(0, resolved.LastIndexOf('/'));
                resolvedType = HostFileType.Directory;
                continue;
            }
            var next = resolved + "/" + component;
            var type = st.Host.GetFileType(next);
            if (type == HostFileType.Missing)
            {
                var reason = resolvedType == HostFileType.Directory ? "No such file or directory" : "Not a directory";
                throw new HostError($"getting status of '{next}': {reason}");
            }
            if (type != HostFileType.Symlink)
            {
                resolved = next;
                resolvedType = type;
                continue;
            }
            if (++followed >= maxFollow) throw new HostError($"infinite symlink recursion in path '{rest}'");
            var target = st.Host.ReadLink(next) ?? "";
            rest = target + rest;
            // An absolute target starts again from the root, a relative one from the link's directory.
            if (target.StartsWith('/')) resolved = "";
            resolvedType = HostFileType.Directory;
        }
        return resolved.Length == 0 ? "/" : resolved;
    }

    private static EvalError NotSupported(string name, Syntax.Pos pos) =>
        new($"'builtins.{name}' is not supported yet", pos);

    /// <summary>fetchurl and fetchTarball: a URL (or a set with url, and optionally sha256 and
    /// name) fetched into the store; with a hash, a path already valid is taken without fetching,
    /// and what is fetched must match.</summary>
    private static Value Fetch(EvalState st, Value arg, Syntax.Pos pos, string who, bool unpack)
    {
        var v = st.Force(arg, pos);
        string? url = null;
        string name = "";
        byte[]? expectedHash = null;
        if (v is AttrsValue args)
        {
            foreach (var n in args.SortedNames())
            {
                var value = args.Get(n)!;
                switch (n.Name)
                {
                    case "url": url = st.ForceStringNoContext(value, pos); break;
                    case "sha256": expectedHash = ParseExpectedHash(st, st.ForceStringNoContext(value, pos), pos); break;
                    case "name": name = st.ForceStringNoContext(value, pos); break;
                    default: throw new EvalError($"unsupported argument '{n.Name}' to '{who}'", args.PosOf(args.IndexOf(n)));
                }
            }
            if (url is null) throw new EvalError("'url' argument required", pos);
        }
        else url = st.ForceStringNoContext(v, pos);

        if (unpack) url = ResolvePseudoUrl(url);
        // A tarball's tree is "source" unless named; a file is named after the URL's last part.
        if (name.Length == 0) name = unpack ? "source" : PathUtil.BaseNameOf(url);
        if (st.Settings.PureEval && expectedHash is null)
            throw new EvalError($"in pure evaluation mode, '{who}' requires a 'sha256' argument", pos);
        var store = st.Host.Store ?? throw NotSupported(who, pos);

        string? expectedPath = null;
        if (expectedHash is not null)
        {
            expectedPath = ByteString.FromUtf16(store.Paths.MakeFixedOutputPath(unpack, "sha256", expectedHash, ByteString.ToUtf16(name)));
            var baseName = expectedPath[(ByteString.FromUtf16(store.StoreDir).Length + 1)..];
            if (StorePathComputer.NameError(baseName) is { } error) throw new HostError(error);
        }
        // A path the expected hash names that is already valid is taken without fetching.
        var fetched = store.FetchUrl(url, name, unpack, expectedPath);
        if (expectedHash is not null && fetched.Sha256 is not null && !fetched.Sha256.AsSpan().SequenceEqual(expectedHash))
            throw new HostError($"hash mismatch in file downloaded from '{url}':\n" +
                                $"  specified: {new Hash(HashType.Sha256, expectedHash).ToString(HashFormat.Base32, true)}\n" +
                                $"  got:       {new Hash(HashType.Sha256, fetched.Sha256!).ToString(HashFormat.Base32, true)}")
                { ExitStatus = 102 };
        return StorePathString(fetched.StorePath);
    }

    /// <summary>"channel:NAME" stands for the channel's tarball on nixos.org.</summary>
    private static string ResolvePseudoUrl(string url) =>
        url.StartsWith("channel:", StringComparison.Ordinal)
            ? "https://nixos.org/channels/" + url.Substring("channel:".Length) + "/nixexprs.tar.xz"
            : url;

    public static StringValue StorePathStringOf(string storePath) => StorePathString(storePath);
}
