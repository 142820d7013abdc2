// Builtins over attribute sets.
namespace Nixsharp.Language.Builtins;

using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Syntax;

internal static class AttrBuiltins
{
    public static void Register(BuiltinRegistry r)
    {
        r.Add("__attrNames", 1, (st, a, pos) =>
        {
            var s = st.ForceAttrs(a[0], pos);
            var order = s.LexicographicOrder();
            var res = new Value[order.Length];
            for (int i = 0; i < res.Length; i++) res[i] = s.Names[order[i]].AsValue;
            return ListValue.Of(res);
        });
        r.Add("__attrValues", 1, (st, a, pos) =>
        {
            var s = st.ForceAttrs(a[0], pos);
            var order = s.LexicographicOrder();
            var res = new Value[order.Length];
            for (int i = 0; i < res.Length; i++) res[i] = s.Values[order[i]];
            return ListValue.Of(res);
        });
        r.Add("__getAttr", 2, (st, a, pos) =>
        {
            var name = st.ForceStringNoContext(a[0], pos);
            var s = st.ForceAttrs(a[1], pos);
            var v = Need(st, "getAttr", st.Symbols.Intern(name), s, pos);
            return st.Force(v, pos);
        });
        r.Add("__unsafeGetAttrPos", 2, (st, a, pos) =>
        {
            var name = st.ForceStringNoContext(a[0], pos);
            var s = st.ForceAttrs(a[1], pos);
            int i = s.IndexOf(st.Symbols.Intern(name));
            return i < 0 ? NullValue.Instance : st.MakePosValue(s.PosOf(i));
        });
        r.Add("__hasAttr", 2, (st, a, pos) =>
        {
            var name = st.ForceStringNoContext(a[0], pos);
            var s = st.ForceAttrs(a[1], pos);
            return B.Bool(s.Has(st.Symbols.Intern(name)));
        });
        r.Add("removeAttrs", 2, (st, a, pos) =>
        {
            var s = st.ForceAttrs(a[0], pos);
            var names = st.ForceList(a[1], pos);
            var remove = new HashSet<Symbol>();
            foreach (var n in names.Items) remove.Add(st.Symbols.Intern(st.ForceStringNoContext(n, pos)));
            if (remove.Count == 0) return s;
            var kn = new List<Symbol>(s.Count);
            var kv = new List<Value>(s.Count);
            var kp = new List<Pos>(s.Count);
            for (int i = 0; i < s.Count; i++)
            {
                if (remove.Contains(s.Names[i])) continue;
                kn.Add(s.Names[i]); kv.Add(s.Values[i]); kp.Add(s.PosOf(i));
            }
            return new AttrsValue(kn.ToArray(), kv.ToArray(), s.Positions is null ? null : kp.ToArray());
        });
        r.Add("__listToAttrs", 1, (st, a, pos) =>
        {
            var list = st.ForceList(a[0], pos);
            var b = new AttrsBuilder(list.Count);
            foreach (var item in list.Items)
            {
                var e = st.ForceAttrs(item, pos);
                var nameV = Need(st, "listToAttrs", st.S.Name, e, pos);
                var name = st.ForceStringNoContext(nameV, e.PosOf(e.IndexOf(st.S.Name)));
                int vi = e.IndexOf(st.S.Value);
                var sym = st.Symbols.Intern(name);
                // The first definition of a name wins; later ones need not even have a value.
                if (!SeenBefore(b, sym))
                {
                    var value = Need(st, "listToAttrs", st.S.Value, e, pos);
                    b.Add(sym, value, e.PosOf(vi));
                }
            }
            return b.Build();
        });
        r.Add("__intersectAttrs", 2, (st, a, pos) =>
        {
            var x = st.ForceAttrs(a[0], pos);
            var y = st.ForceAttrs(a[1], pos);
            var b = new AttrsBuilder(Math.Min(x.Count, y.Count));
            for (int i = 0; i < y.Count; i++)
                if (x.Has(y.Names[i])) b.Add(y.Names[i], y.Values[i], y.PosOf(i));
            return b.Build();
        });
        r.Add("__catAttrs", 2, (st, a, pos) =>
        {
            var name = st.Symbols.Intern(st.ForceStringNoContext(a[0], pos));
            var list = st.ForceList(a[1], pos);
            var res = new List<Value>();
            foreach (var item in list.Items)
            {
                var v = st.ForceAttrs(item, pos).Get(name);
                if (v is not null) res.Add(v);
            }
            return B.List(res);
        });
        r.Add("__mapAttrs", 2, (st, a, pos) =>
        {
            var s = st.ForceAttrs(a[1], pos);
            var f = a[0];
            var values = new Value[s.Count];
            for (int i = 0; i < s.Count; i++)
            {
                var name = s.Names[i].AsValue;
                var value = s.Values[i];
                // Two applications, as Nix builds them: (f name) value.
                values[i] = Thunk.OfApp(Thunk.OfApp(f, name), value);
            }
            // Nix's mapAttrs does not carry positions over to the result.
            return new AttrsValue(s.Names, values, null, s.Order);
        });
        r.Add("__zipAttrsWith", 2, (st, a, pos) =>
        {
            var f = a[0];
            var list = st.ForceList(a[1], pos);
            var order = new List<Symbol>();
            var groups = new Dictionary<Symbol, List<Value>>();
            foreach (var item in list.Items)
            {
                var s = st.ForceAttrs(item, pos);
                for (int i = 0; i < s.Count; i++)
                {
                    if (!groups.TryGetValue(s.Names[i], out var g))
                    {
                        g = new List<Value>();
                        groups[s.Names[i]] = g;
                        order.Add(s.Names[i]);
                    }
                    g.Add(s.Values[i]);
                }
            }
            var b = new AttrsBuilder(order.Count);
            foreach (var name in order)
            {
                var nameV = name.AsValue;
                var vals = B.List(groups[name]);
                b.Add(name, Thunk.OfApp(Thunk.OfApp(f, nameV), vals));
            }
            return b.Build();
        });
    }

    private static bool SeenBefore(AttrsBuilder b, Symbol sym) => b.Contains(sym);

    /// <summary>An attribute a builtin requires; Nix's "attribute 'x' missing for call to 'f'".</summary>
    public static Value Need(EvalState st, string funcName, Symbol name, AttrsValue set, Pos pos)
    {
        var v = set.Get(name);
        if (v is not null) return v;
        var err = new TypeError($"attribute '{name.Name}' missing for call to '{funcName}'",
            set.DefinitionPos.IsSet ? set.DefinitionPos : pos);
        if (set.DefinitionPos.IsSet) err.AddTrace(pos, $"while invoking '{funcName}'");
        throw err;
    }
}
