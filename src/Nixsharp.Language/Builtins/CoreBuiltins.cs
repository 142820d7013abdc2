// Type predicates, control (throw, abort, tryEval, seq, trace), imports and function
// introspection: the builtins that shape evaluation itself.
namespace Nixsharp.Language.Builtins;

using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Output;
using Nixsharp.Language.Syntax;

internal static class CoreBuiltins
{
    public static void Register(BuiltinRegistry r)
    {
        r.Add("__typeOf", 1, (st, a, pos) => StringValue.Of(st.Force(a[0], pos).TypeName));
        r.Add("isNull", 1, (st, a, pos) => B.Bool(st.Force(a[0], pos) is NullValue));
        r.Add("__isFunction", 1, (st, a, pos) => B.Bool(st.Force(a[0], pos) is LambdaValue or PrimOpValue or PrimOpAppValue));
        r.Add("__isInt", 1, (st, a, pos) => B.Bool(st.Force(a[0], pos) is IntValue));
        r.Add("__isFloat", 1, (st, a, pos) => B.Bool(st.Force(a[0], pos) is FloatValue));
        r.Add("__isString", 1, (st, a, pos) => B.Bool(st.Force(a[0], pos) is StringValue));
        r.Add("__isBool", 1, (st, a, pos) => B.Bool(st.Force(a[0], pos) is BoolValue));
        r.Add("__isPath", 1, (st, a, pos) => B.Bool(st.Force(a[0], pos) is PathValue));
        r.Add("__isAttrs", 1, (st, a, pos) => B.Bool(st.Force(a[0], pos) is AttrsValue));
        r.Add("__isList", 1, (st, a, pos) => B.Bool(st.Force(a[0], pos) is ListValue));

        r.Add("throw", 1, (st, a, pos) =>
        {
            var s = st.CoerceToString(pos, a[0], new ContextBuilder(), false, false);
            throw new ThrownError(s);
        });
        r.Add("abort", 1, (st, a, pos) =>
        {
            var s = st.CoerceToString(pos, a[0], new ContextBuilder(), false, false);
            throw new AbortError($"evaluation aborted with the following error message: '{s}'");
        });
        r.Add("__addErrorContext", 2, (st, a, pos) =>
        {
            try
            {
                return st.Force(a[1], pos);
            }
            catch (NixError e) when (e is not StackOverflowError)
            {
                var msg = st.CoerceToString(pos, a[0], new ContextBuilder(), false, false);
                e.AddTrace(default, msg);
                throw;
            }
        });
        r.Add("__tryEval", 1, (st, a, pos) =>
        {
            try
            {
                st.Force(a[0], pos);
                return new AttrsBuilder(2).Add(st.S.Value, a[0]).Add(st.S.Success, BoolValue.True).Build();
            }
            catch (AssertionError)
            {
                return new AttrsBuilder(2).Add(st.S.Value, BoolValue.False).Add(st.S.Success, BoolValue.False).Build();
            }
        });
        r.Add("__getEnv", 1, (st, a, pos) =>
        {
            var name = st.ForceStringNoContext(a[0], pos);
            return StringValue.Of(st.Settings.PureEval ? "" : st.Host.GetEnv(name) ?? "");
        });
        r.AddStrict("__seq", (st, x, y, pos) =>
        {
            st.Force(x, pos);
            return st.Force(y, pos);
        });
        r.Add("__deepSeq", 2, (st, a, pos) =>
        {
            st.ForceDeep(a[0]);
            return st.Force(a[1], pos);
        });
        r.Add("__trace", 2, (st, a, pos) =>
        {
            var v = st.Force(a[0], pos);
            st.Host.Log("trace: " + (v is StringValue s ? s.S : ValuePrinter.Print(st, v, false)));
            return st.Force(a[1], pos);
        });
        // Newer Nix: warn prints a warning and returns its second argument.
        r.Add("__warn", 2, (st, a, pos) =>
        {
            var msgV = st.Force(a[0], pos);
            if (msgV is not StringValue msg)
                throw new TypeError($"expected a string but found {EvalState.ShowType(msgV)}: {Output.ValuePrinter.Print(st, msgV, false)}", pos);
            st.Host.Log("evaluation warning: " + msg.S);
            if (st.Settings.AbortOnWarn)
                throw new EvalError("aborting to reveal stack trace of warning, as abort-on-warn is set", pos);
            return st.Force(a[1], pos);
        });
        r.Add("__traceVerbose", 2, (st, a, pos) => st.Force(a[1], pos));

        r.Add("__genericClosure", 1, GenericClosure);
        r.Add("__functionArgs", 1, (st, a, pos) =>
        {
            var f = st.Force(a[0], pos);
            if (f is PrimOpValue or PrimOpAppValue) return AttrsValue.Empty;
            if (f is not LambdaValue lam)
                throw new TypeError("'functionArgs' requires a function", pos);
            if (lam.Fn.Formals is null) return AttrsValue.Empty;
            var b = new AttrsBuilder(lam.Fn.Formals.Length);
            foreach (var formal in lam.Fn.Formals) b.Add(formal.Name, B.Bool(formal.Default is not null), formal.Pos);
            return b.Build();
        });

        r.Add("import", 1, (st, a, pos) => Import(st, a[0], null, pos));
        r.Add("scopedImport", 2, (st, a, pos) => Import(st, a[1], a[0], pos));
    }

    private static Value GenericClosure(EvalState st, Value[] a, Pos pos)
    {
        var args = st.ForceAttrs(a[0], pos);
        var startSet = AttrBuiltins.Need(st, "genericClosure", st.S.StartSet, args, pos);
        var work = new Queue<Value>(st.ForceList(startSet, pos).Items);
        var op = AttrBuiltins.Need(st, "genericClosure", st.S.Operator, args, pos);
        st.Force(op, pos);
        var done = new SortedSet<Value>(Comparer<Value>.Create((x, y) =>
            st.LessThan(x, y, pos) ? -1 : st.LessThan(y, x, pos) ? 1 : 0));
        var res = new List<Value>();
        while (work.Count > 0)
        {
            var e = work.Dequeue();
            var ea = st.ForceAttrs(e, pos);
            var key = ea.Get(st.S.Key) ?? throw new EvalError("attribute 'key' required", pos);
            key = st.Force(key, pos);
            if (!done.Add(key)) continue;
            res.Add(e);
            var next = st.ForceList(st.CallFunction(op, e, pos), pos);
            foreach (var n in next.Items)
            {
                st.Force(n, pos);
                work.Enqueue(n);
            }
        }
        return B.List(res);
    }

    /// <summary>Coerces a value to an absolute path (Nix's coerceToPath).</summary>
    public static string CoerceToPath(EvalState st, Value v, Pos pos, ContextBuilder? ctx = null)
    {
        var path = st.CoerceToString(pos, v, ctx ?? new ContextBuilder(), false, false);
        if (path.Length == 0 || path[0] != '/')
            throw new EvalError($"string '{path}' doesn't represent an absolute path", pos);
        return path;
    }

    private static Value Import(EvalState st, Value pathV, Value? scope, Pos pos)
    {
        var path = FileBuiltins.RealisePath(st, pathV, pos);
        if (scope is null) return st.EvalFile(path, pos);
        var attrs = st.ForceAttrs(scope, pos);
        var sc = Scope.ForNames(st.BaseScope, attrs.Names);
        var env = Env.Create(st.BaseEnv, attrs.Count);
        for (int i = 0; i < attrs.Count; i++) env.Set(i, attrs.Values[i]);
        var resolved = st.ResolveExprPath(path, pos);
        Expr e;
        try { e = st.ParseFile(resolved, sc); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HostError($"opening file '{resolved}': {FileBuiltins.DescribeIo(ex)}");
        }
        return e.Eval(st, env);
    }
}
