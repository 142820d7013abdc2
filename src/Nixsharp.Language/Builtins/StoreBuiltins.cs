// Builtins that reach into the store: derivations, toFile and placeholder work (paths are
// computed as in read-only Nix); fetchers and filtered copies check their arguments, then fail
// with a clear "not supported yet" until the store layer lands.
namespace Nixsharp.Language.Builtins;

using Nixsharp.Language.Evaluation;

internal static class StoreBuiltins
{
    public static void Register(BuiltinRegistry r)
    {
        // Each checks its arguments as Nix does before it would touch the store, so argument
        // errors read the same; the store work itself comes with the store layer.
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
            return new StringValue(path, StringContext.From(new[] { path }));
        });
        r.Add("__filterSource", 2, (st, a, pos) =>
        {
            CoreBuiltins.CoerceToPath(st, a[1], pos);
            st.ForceFunction(a[0], pos);
            throw NotSupported("filterSource", pos);
        });
        r.Add("__path", 1, (st, a, pos) =>
        {
            var args = st.ForceAttrs(a[0], pos);
            string? path = null;
            foreach (var n in args.SortedNames())
            {
                var v = args.Get(n)!;
                switch (n.Name)
                {
                    case "path": path = CoreBuiltins.CoerceToPath(st, v, pos); break;
                    case "name": st.ForceStringNoContext(v, pos); break;
                    case "filter": st.ForceFunction(v, pos); break;
                    case "recursive": st.ForceBool(v, pos); break;
                    case "sha256": st.ForceStringNoContext(v, pos); break;
                    default: throw new EvalError($"unsupported argument '{n.Name}' to 'addPath'", args.PosOf(args.IndexOf(n)));
                }
            }
            if (path is null) throw new EvalError("'path' required", pos);
            throw NotSupported("path", pos);
        });
        r.Add("__storePath", 1, (st, a, pos) =>
        {
            CoreBuiltins.CoerceToPath(st, a[0], pos);
            throw NotSupported("storePath", pos);
        });
        r.Add("__fetchurl", 1, (st, a, pos) => Fetch(st, a[0], pos, "fetchurl"));
        r.Add("fetchTarball", 1, (st, a, pos) => Fetch(st, a[0], pos, "fetchTarball"));
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
        r.Add("fetchGit", 1, (st, a, pos) =>
        {
            var v = st.Force(a[0], pos);
            if (v is AttrsValue args && args.Get(st.Symbols["url"]) is null)
                throw new EvalError("input attribute 'url' is missing");
            throw NotSupported("fetchGit", pos);
        });
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
            return new StringValue(s.S, StringContext.From(new[] { "=" + el }));
        });
        r.Add("placeholder", 1, (st, a, pos) =>
        {
            var output = st.ForceStringNoContext(a[0], pos);
            return StringValue.Of(Hashing.Placeholder(output));
        });
        // `derivation` is written in Nix on top of derivationStrict, as in Nix itself.
        r.Constant("derivation", Thunk.OfLazy(st => st.EvalDerivationWrapper()));
    }

    private static EvalError NotSupported(string name, Syntax.Pos pos) =>
        new($"'builtins.{name}' is not supported yet: fetching and filtered copies come with nixsharp's store layer", pos);

    private static Value Fetch(EvalState st, Value arg, Syntax.Pos pos, string who)
    {
        var v = st.Force(arg, pos);
        if (v is AttrsValue args)
        {
            string? url = null;
            foreach (var n in args.SortedNames())
            {
                var value = args.Get(n)!;
                switch (n.Name)
                {
                    case "url": url = st.ForceStringNoContext(value, pos); break;
                    case "sha256": st.ForceStringNoContext(value, pos); break;
                    case "name": st.ForceStringNoContext(value, pos); break;
                    default: throw new EvalError($"unsupported argument '{n.Name}' to '{who}'", args.PosOf(args.IndexOf(n)));
                }
            }
            if (url is null) throw new EvalError("'url' argument required", pos);
        }
        else st.ForceStringNoContext(v, pos);
        throw NotSupported(who, pos);
    }
}
