// String-context introspection: what a string depends on, and ways to drop or add to that.
namespace Nixsharp.Language.Builtins;

using Nixsharp.Language.Evaluation;

internal static class ContextBuiltins
{
    public static void Register(BuiltinRegistry r)
    {
        r.Add("__unsafeDiscardStringContext", 1, (st, a, pos) =>
        {
            var s = st.CoerceToString(pos, a[0], new ContextBuilder(), false, true);
            return StringValue.Of(s);
        });
        r.Add("__hasContext", 1, (st, a, pos) => B.Bool(st.ForceStringValue(a[0], pos).HasContext));
        r.Add("__unsafeDiscardOutputDependency", 1, (st, a, pos) =>
        {
            var ctx = new ContextBuilder();
            var s = st.CoerceToString(pos, a[0], ctx, false, true);
            var items = ctx.Build()?.Items ?? Array.Empty<string>();
            var res = items.Select(i => ContextElement.Parse(i) is { Kind: ContextElementKind.AllOutputs } ce ? ce.Path : i);
            return new StringValue(s, StringContext.From(res));
        });
        r.Add("__getContext", 1, (st, a, pos) =>
        {
            var sv = st.ForceStringValue(a[0], pos);
            var info = new SortedDictionary<string, (bool Path, bool All, List<string> Outputs)>(StringComparer.Ordinal);
            foreach (var el in sv.Context?.Items ?? Array.Empty<string>())
            {
                var ce = ContextElement.Parse(el);
                var e = Get(info, ce.Path);
                info[ce.Path] = ce.Kind switch
                {
                    ContextElementKind.AllOutputs => (e.Path, true, e.Outputs),
                    ContextElementKind.Output => (e.Path, e.All, Add(e.Outputs, ce.Output)),
                    _ => (true, e.All, e.Outputs),
                };
            }
            var b = new AttrsBuilder(info.Count);
            var sAll = st.Symbols["allOutputs"];
            var sOut = st.Symbols["outputs"];
            foreach (var (path, e) in info)
            {
                var inner = new AttrsBuilder(3);
                if (e.Path) inner.Add(st.S.Path, BoolValue.True);
                if (e.All) inner.Add(sAll, BoolValue.True);
                if (e.Outputs.Count > 0)
                    inner.Add(sOut, ListValue.Of(e.Outputs.Select(o => (Value)StringValue.Of(o)).ToArray()));
                b.Add(st.Symbols.Intern(path), inner.Build());
            }
            return b.Build();
        });
        r.Add("__appendContext", 2, (st, a, pos) =>
        {
            var sv = st.ForceStringValue(a[0], pos);
            var ctx = new ContextBuilder();
            ctx.Add(sv.Context);
            var spec = st.ForceAttrs(a[1], pos);
            var sAll = st.Symbols["allOutputs"];
            var sOut = st.Symbols["outputs"];
            for (int i = 0; i < spec.Count; i++)
            {
                var path = spec.Names[i].Name;
                if (!path.StartsWith(st.Settings.StoreDir + "/", StringComparison.Ordinal))
                {
                    var shown = new System.Text.StringBuilder();
                    Syntax.Expr.ShowId(shown, path);
                    throw new EvalError($"Context key '{shown}' is not a store path", spec.PosOf(i));
                }
                var info = st.ForceAttrs(spec.Values[i], pos);
                if (info.Get(st.S.Path) is { } pv && st.ForceBool(pv, pos)) ctx.Add(path);
                if (info.Get(sAll) is { } av && st.ForceBool(av, pos))
                {
                    if (!path.EndsWith(".drv", StringComparison.Ordinal))
                        throw new EvalError($"tried to add all-outputs context of {path}, which is not a derivation, to a string", pos);
                    ctx.Add("=" + path);
                }
                if (info.Get(sOut) is { } ov)
                {
                    var outs = st.ForceList(ov, pos);
                    if (outs.Count > 0 && !path.EndsWith(".drv", StringComparison.Ordinal))
                        throw new EvalError($"tried to add derivation output context of {path}, which is not a derivation, to a string", pos);
                    foreach (var o in outs.Items) ctx.Add("!" + st.ForceStringNoContext(o, pos) + "!" + path);
                }
            }
            return new StringValue(sv.S, ctx.Build());
        });
    }

    private static List<string> Add(List<string> list, string item)
    {
        list.Add(item);
        return list;
    }

    private static (bool Path, bool All, List<string> Outputs) Get(
        SortedDictionary<string, (bool Path, bool All, List<string> Outputs)> d, string k) =>
        d.TryGetValue(k, out var e) ? e : (false, false, new List<string>());
}
