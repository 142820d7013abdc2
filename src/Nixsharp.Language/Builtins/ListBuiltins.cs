// Builtins over lists. Results that Nix computes lazily (map, genList, …) stay lazy here too.
namespace Nixsharp.Language.Builtins;

using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Syntax;

internal static class ListBuiltins
{
    public static void Register(BuiltinRegistry r)
    {
        r.Add("__elemAt", 2, (st, a, pos) => ElemAt(st, a[0], st.ForceInt(a[1], pos), pos));
        r.Add("__head", 1, (st, a, pos) => ElemAt(st, a[0], 0, pos));
        r.Add("__tail", 1, (st, a, pos) =>
        {
            var l = st.ForceList(a[0], pos);
            if (l.Count == 0) throw new EvalError("'tail' called on an empty list", pos);
            return ListValue.Of(l.Items.AsSpan(1).ToArray());
        });
        r.Add("map", 2, (st, a, pos) =>
        {
            var l = st.ForceList(a[1], pos);
            var res = new Value[l.Count];
            for (int i = 0; i < res.Length; i++) res[i] = Thunk.OfApp(a[0], l.Items[i]);
            return ListValue.Of(res);
        });
        r.Add("__filter", 2, (st, a, pos) =>
        {
            var l = st.ForceList(a[1], pos);
            var f = st.ForceFunction(a[0], pos);
            var res = new List<Value>(l.Count);
            bool same = true;
            foreach (var item in l.Items)
            {
                if (st.ForceBool(st.CallFunction(f, item, pos), pos)) res.Add(item);
                else same = false;
            }
            return same ? l : B.List(res);
        });
        r.Add("__elem", 2, (st, a, pos) =>
        {
            var l = st.ForceList(a[1], pos);
            var needle = st.Force(a[0], pos);
            if (needle is IntValue ni)
            {
                // PERF: membership of an integer, the common case, without the general comparison.
                var items = l.Items;
                for (int i = 0; i < items.Length; i++)
                {
                    var v = items[i];
                    if (v is Thunk) v = st.ForceIn(items, i, pos);
                    if (v is IntValue iv ? iv.V == ni.V : v is FloatValue fv && fv.V == ni.V) return BoolValue.True;
                }
                return BoolValue.False;
            }
            foreach (var item in l.Items) if (st.EqValues(needle, item)) return BoolValue.True;
            return BoolValue.False;
        });
        r.Add("__concatLists", 1, (st, a, pos) => Concat(st, st.ForceList(a[0], pos).Items, pos));
        r.Add("__length", 1, (st, a, pos) => IntValue.Of(st.ForceList(a[0], pos).Count));
        r.Add("__foldl'", 3, (st, a, pos) =>
        {
            var l = st.ForceList(a[2], pos);
            var f = st.ForceFunction(a[0], pos);
            Value acc = a[1];
            if (l.Count == 0) return st.Force(acc, pos);
            foreach (var item in l.Items) acc = st.CallFunction2(f, acc, item, pos);
            return st.Force(acc, pos);
        });
        r.Add("__any", 2, (st, a, pos) =>
        {
            var l = st.ForceList(a[1], pos);
            var f = st.ForceFunction(a[0], pos);
            foreach (var item in l.Items) if (st.ForceBool(st.CallFunction(f, item, pos), pos)) return BoolValue.True;
            return BoolValue.False;
        });
        r.Add("__all", 2, (st, a, pos) =>
        {
            var l = st.ForceList(a[1], pos);
            var f = st.ForceFunction(a[0], pos);
            foreach (var item in l.Items) if (!st.ForceBool(st.CallFunction(f, item, pos), pos)) return BoolValue.False;
            return BoolValue.True;
        });
        r.Add("__genList", 2, (st, a, pos) =>
        {
            var n = st.ForceInt(a[1], pos);
            if (n < 0 || n > Array.MaxLength) throw new EvalError($"cannot create list of size {n}", pos);
            var f = a[0];
            var res = new Value[n];
            for (long i = 0; i < n; i++) res[i] = Thunk.OfApp(f, IntValue.Of(i));
            return ListValue.Of(res);
        });
        r.Add("__sort", 2, (st, a, pos) =>
        {
            var l = st.ForceList(a[1], pos);
            var f = st.ForceFunction(a[0], pos);
            var items = (Value[])l.Items.Clone();
            for (int i = 0; i < items.Length; i++) st.ForceIn(items, i, pos);
            bool isLessThan = f is PrimOpValue { Name: "lessThan" };
            Func<Value, Value, bool> less = isLessThan
                ? (x, y) => st.LessThan(x, y, pos)
                : (x, y) => st.ForceBool(st.CallFunction2(f, x, y, pos), pos);
            MergeSort(items, less);
            return ListValue.Of(items);
        });
        r.Add("__partition", 2, (st, a, pos) =>
        {
            var l = st.ForceList(a[1], pos);
            var f = st.ForceFunction(a[0], pos);
            var right = new List<Value>();
            var wrong = new List<Value>();
            foreach (var item in l.Items)
            {
                st.Force(item, pos);
                (st.ForceBool(st.CallFunction(f, item, pos), pos) ? right : wrong).Add(item);
            }
            return new AttrsBuilder(2).Add(st.S.Right, B.List(right)).Add(st.S.Wrong, B.List(wrong)).Build();
        });
        r.Add("__groupBy", 2, (st, a, pos) =>
        {
            var l = st.ForceList(a[1], pos);
            var f = st.ForceFunction(a[0], pos);
            var groups = new Dictionary<Symbol, List<Value>>();
            var order = new List<Symbol>();
            foreach (var item in l.Items)
            {
                var key = st.Symbols.Intern(st.ForceStringNoContext(st.CallFunction(f, item, pos), pos));
                if (!groups.TryGetValue(key, out var g))
                {
                    g = new List<Value>();
                    groups[key] = g;
                    order.Add(key);
                }
                g.Add(item);
            }
            var b = new AttrsBuilder(order.Count);
            foreach (var k in order) b.Add(k, B.List(groups[k]));
            return b.Build();
        });
        r.Add("__concatMap", 2, (st, a, pos) =>
        {
            var l = st.ForceList(a[1], pos);
            var f = st.ForceFunction(a[0], pos);
            var parts = new Value[l.Count];
            for (int i = 0; i < parts.Length; i++)
            {
                var r = st.CallFunction(f, l.Items[i], pos);
                if (r is not ListValue)
                {
                    var err = new TypeError($"value is {EvalState.ShowType(r)} while a list was expected",
                        EvalState.DeterminePos(r, EvalState.DeterminePos(f, pos)));
                    err.AddTrace(pos, "while invoking 'concatMap'");
                    throw err;
                }
                parts[i] = r;
            }
            return Concat(st, parts, pos);
        });
    }

    private static Value ElemAt(EvalState st, Value list, long n, Pos pos)
    {
        var l = st.ForceList(list, pos);
        if (n < 0 || n >= l.Count) throw new EvalError($"list index {n} is out of bounds", pos);
        return st.ForceIn(l.Items, (int)n, pos);
    }

    /// <summary>`++`, concatLists and concatMap: one copy, or none when only one list is non-empty.</summary>
    internal static Value Concat(EvalState st, Value[] lists, Pos pos)
    {
        long total = 0;
        ListValue? nonEmpty = null;
        var forced = new ListValue[lists.Length];
        for (int i = 0; i < lists.Length; i++)
        {
            forced[i] = st.ForceList(lists[i], pos);
            total += forced[i].Count;
            if (forced[i].Count > 0) nonEmpty = forced[i];
        }
        if (nonEmpty is not null && total == nonEmpty.Count) return nonEmpty;
        if (total > Array.MaxLength) throw new EvalError($"cannot create list of size {total}", pos);
        var res = new Value[total];
        int at = 0;
        foreach (var l in forced)
        {
            l.Items.CopyTo(res, at);
            at += l.Count;
        }
        return ListValue.Of(res);
    }

    /// <summary>`a ++ b`: <see cref="Concat"/> of two lists without the argument arrays.</summary>
    internal static Value Concat2(EvalState st, Value a, Value b, Pos pos)
    {
        var la = st.ForceList(a, pos);
        var lb = st.ForceList(b, pos);
        if (lb.Count == 0) return la;
        if (la.Count == 0) return lb;
        long total = (long)la.Count + lb.Count;
        if (total > Array.MaxLength) throw new EvalError($"cannot create list of size {total}", pos);
        var res = new Value[total];
        la.Items.CopyTo(res, 0);
        lb.Items.CopyTo(res, la.Count);
        return new ListValue(res);
    }

    /// <summary>A stable sort that only asks "is x less than y", like std::stable_sort.</summary>
    internal static void MergeSort(Value[] items, Func<Value, Value, bool> less)
    {
        if (items.Length < 2) return;
        var tmp = new Value[items.Length];
        // Insertion sort for short runs, then bottom-up merges.
        const int Run = 8;
        for (int lo = 0; lo < items.Length; lo += Run)
        {
            int hi = Math.Min(lo + Run, items.Length);
            for (int i = lo + 1; i < hi; i++)
            {
                var x = items[i];
                int j = i - 1;
                while (j >= lo && less(x, items[j])) { items[j + 1] = items[j]; j--; }
                items[j + 1] = x;
            }
        }
        for (int width = Run; width < items.Length; width *= 2)
        {
            for (int lo = 0; lo < items.Length; lo += 2 * width)
            {
                int mid = Math.Min(lo + width, items.Length), hi = Math.Min(lo + 2 * width, items.Length);
                if (mid >= hi) continue;
                int i = lo, j = mid, k = lo;
                while (i < mid && j < hi) tmp[k++] = less(items[j], items[i]) ? items[j++] : items[i++];
                while (i < mid) tmp[k++] = items[i++];
                while (j < hi) tmp[k++] = items[j++];
                Array.Copy(tmp, lo, items, lo, hi - lo);
            }
        }
    }
}
