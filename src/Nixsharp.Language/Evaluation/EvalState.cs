// The evaluator: forcing, calling, comparing and coercing values, importing files, and the
// base environment of builtins. One instance per evaluation; all state lives here.
namespace Nixsharp.Language.Evaluation;

using System.Runtime.CompilerServices;
using System.Text;
using Nixsharp.Language.Builtins;
using Nixsharp.Language.Syntax;

public sealed partial class EvalState
{
    public SymbolTable Symbols { get; } = new();
    public WellKnownSymbols S { get; }
    public EvalSettings Settings { get; }
    public IEvalHost Host { get; }
    public bool ShowTrace => Settings.ShowTrace;

    /// <summary>The environment every file is evaluated in: builtins and global constants.</summary>
    public Env BaseEnv { get; private set; } = null!;
    public Scope BaseScope { get; private set; } = null!;
    public AttrsValue BuiltinsSet { get; private set; } = null!;
    public Builtins.RegexCache Regexes { get; } = new();

    private readonly Dictionary<string, Value> _fileEvalCache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _srcToStore = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Expr> _fileParseCache = new(StringComparer.Ordinal);
    private int _callDepth;

    public EvalState(EvalSettings settings, IEvalHost host)
    {
        Settings = settings;
        Host = host;
        S = new WellKnownSymbols(Symbols);
        CreateBaseEnv();
    }

    private void CreateBaseEnv()
    {
        var table = BuiltinTable.Create(this);
        var names = new List<Symbol>(table.Count);
        var values = new List<Value>(table.Count);
        var builtinsBuilder = new AttrsBuilder(table.Count);
        foreach (var (name, value) in table)
        {
            var sym = Symbols[name];
            names.Add(sym);
            values.Add(value);
            var shortName = name.StartsWith("__", StringComparison.Ordinal) ? name.Substring(2) : name;
            builtinsBuilder.Add(Symbols[shortName], value);
        }
        // `builtins` contains itself, like in Nix.
        var holder = Thunk.Pending();
        var builtinsSym = Symbols["builtins"];
        builtinsBuilder.Add(builtinsSym, holder);
        names.Insert(0, builtinsSym);
        values.Insert(0, holder);
        BuiltinsSet = builtinsBuilder.Build();
        holder.Resolve(BuiltinsSet);

        BaseScope = Scope.ForConstants(names, values);
        BaseEnv = Env.Create(null, values.Count);
        for (int i = 0; i < values.Count; i++) BaseEnv.Set(i, values[i]);
    }

    // ---------------------------------------------------------------- forcing

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Value Force(Value v, Pos pos = default) => v is Thunk t ? ForceThunk(t, pos) : v;

    /// <summary>Forces the value in slot `i` of a set's or list's value array.</summary>
    /// <remarks>PERF: when the result has no identity of its own that Nix could observe, it then
    /// replaces the thunk in the array, so later readers find it directly and the thunk can be
    /// freed. See <see cref="CanReplaceCell"/> for which results qualify.</remarks>
    public Value ForceIn(Value[] items, int i, Pos pos)
    {
        var v = items[i];
        if (v is not Thunk t) return v;
        var r = t.Result ?? ForceThunk(t, pos);
        if (CanReplaceCell(r)) items[i] = r;
        return r;
    }

    /// <summary>Whether a forced value may stand in a container in place of the thunk (the "value
    /// cell") it came from. Nix can tell cells apart in two ways: equality takes two references to
    /// the very same cell as equal without looking inside, and printing marks a list of up to two
    /// elements as «repeated» by its cell. So the replacement must compare equal to itself without
    /// forcing anything or failing: numbers (but a NaN float), strings, paths, Booleans and null;
    /// lists other than those of one or two elements (their identity is their element array); sets
    /// without a `type` (equality would force it, to tell derivations apart). Not functions.</remarks>
    private bool CanReplaceCell(Value r) => r switch
    {
        IntValue or StringValue or BoolValue or NullValue or PathValue => true,
        FloatValue f => !double.IsNaN(f.V),
        ListValue l => l.Count is 0 or > 2,
        AttrsValue a => a.IndexOf(S.Type) < 0,
        _ => false,
    };

    private uint _stackCheckTick;

    /// <summary>Fails cleanly before the stack runs out.</summary>
    /// <remarks>PERF: the runtime check is done on every 16th call only. Sixteen levels of
    /// evaluation use far less stack than the 64 KiB+ the check keeps in reserve.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckStack()
    {
        if ((++_stackCheckTick & 15) == 0 && !RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw StackOverflow();
    }

    private Value ForceThunk(Thunk t, Pos pos)
    {
        if (t.Result is { } r) return r;
        CheckStack();
        return t.Force(this, pos);
    }

    /// <summary>Where a value came from, for error positions (Nix's determinePos).</summary>
    public static Pos DeterminePos(Value v, Pos fallback) => v switch
    {
        AttrsValue a => a.DefinitionPos,
        LambdaValue l => l.Fn.Pos,
        Thunk { Result: { } r } => DeterminePos(r, fallback),
        _ => fallback,
    };

    public StackOverflowError StackOverflow()
    {
        var e = new StackOverflowError("stack overflow (possible infinite recursion)");
        Settings.OnStackOverflow?.Invoke(e);
        return e;
    }

    public AttrsValue ForceAttrs(Value v, Pos pos)
    {
        v = Force(v, pos);
        if (v is AttrsValue a) return a;
        throw new TypeError($"value is {ShowType(v)} while a set was expected", pos);
    }

    public ListValue ForceList(Value v, Pos pos)
    {
        v = Force(v, pos);
        if (v is ListValue l) return l;
        throw new TypeError($"value is {ShowType(v)} while a list was expected", pos);
    }

    public long ForceInt(Value v, Pos pos)
    {
        v = Force(v, pos);
        if (v is IntValue i) return i.V;
        throw new TypeError($"value is {ShowType(v)} while an integer was expected", pos);
    }

    /// <summary>An integer or float as a double (floats are expected, integers accepted).</summary>
    public double ForceFloat(Value v, Pos pos)
    {
        v = Force(v, pos);
        if (v is FloatValue f) return f.V;
        if (v is IntValue i) return i.V;
        throw new TypeError($"value is {ShowType(v)} while a float was expected", pos);
    }

    public bool ForceBool(Value v, Pos pos)
    {
        v = Force(v, pos);
        if (v is BoolValue b) return b.V;
        throw new TypeError($"value is {ShowType(v)} while a Boolean was expected", pos);
    }

    public Value ForceFunction(Value v, Pos pos)
    {
        v = Force(v, pos);
        if (v is LambdaValue or PrimOpValue or PrimOpAppValue) return v;
        if (v is AttrsValue a && a.Has(S.Functor)) return v;
        throw new TypeError($"value is {ShowType(v)} while a function was expected", pos);
    }

    public StringValue ForceStringValue(Value v, Pos pos)
    {
        v = Force(v, pos);
        if (v is StringValue s) return s;
        throw new TypeError($"value is {ShowType(v)} while a string was expected", pos);
    }

    public string ForceString(Value v, Pos pos) => ForceStringValue(v, pos).S;

    public string ForceString(Value v, ContextBuilder ctx, Pos pos)
    {
        var s = ForceStringValue(v, pos);
        ctx.Add(s.Context);
        return s.S;
    }

    public string ForceStringNoContext(Value v, Pos pos)
    {
        var s = ForceStringValue(v, pos);
        if (s.Context is { } c)
            throw new EvalError($"the string '{s.S}' is not allowed to refer to a store path (such as '{ContextElement.Parse(c.Items[0]).Path}')", pos);
        return s.S;
    }

    public bool EvalBool(Expr e, Env env, Pos pos)
    {
        var v = e.Eval(this, env);
        if (v is BoolValue b) return b.V;
        throw new TypeError($"value is {ShowType(v)} while a Boolean was expected", pos);
    }

    /// <summary>Forces a value and everything inside it (for --strict and deepSeq).</summary>
    public void ForceDeep(Value v)
    {
        var seen = new HashSet<Value>(ReferenceEqualityComparer.Instance);
        ForceDeep(v, seen);
    }

    private void ForceDeep(Value v, HashSet<Value> seen)
    {
        if (!seen.Add(v)) return;
        CheckStack();
        v = Force(v);
        if (v is AttrsValue a)
        {
            for (int i = 0; i < a.Count; i++)
            {
                try { ForceDeep(a.Values[i], seen); }
                catch (NixError e) when (e is not StackOverflowError)
                {
                    e.AddTrace(a.PosOf(i), $"while evaluating the attribute '{a.Names[i].Name}'");
                    throw;
                }
            }
        }
        else if (v is ListValue l)
        {
            foreach (var item in l.Items) ForceDeep(item, seen);
        }
    }

    // ---------------------------------------------------------------- type names

    public static string ShowType(Value v) => v switch
    {
        StringValue s => s.HasContext ? "a string with context" : "a string",
        PrimOpValue p => $"the built-in function '{p.Name}'",
        PrimOpAppValue pa => $"the partially applied built-in function '{pa.Op.Name}'",
        _ => v.TypeDescription,
    };

    // ---------------------------------------------------------------- calls

    public Value CallFunction(Value fn, Value arg, Pos pos)
    {
        fn = Force(fn, pos);
        if (fn is LambdaValue lam) return CallLambda(lam, arg, pos);
        if (fn is PrimOpValue op)
        {
            if (op.Arity == 1) return CallPrimOp(op, new[] { arg }, pos);
            return new PrimOpAppValue(op, new[] { arg });
        }
        if (fn is PrimOpAppValue app)
        {
            var args = new Value[app.Args.Length + 1];
            app.Args.CopyTo(args, 0);
            args[^1] = arg;
            if (args.Length == app.Op.Arity) return CallPrimOp(app.Op, args, pos);
            return new PrimOpAppValue(app.Op, args);
        }
        if (fn is AttrsValue attrs && attrs.Get(S.Functor) is { } functor)
        {
            var partial = CallFunction(functor, fn, pos);
            return CallFunction(partial, arg, pos);
        }
        throw new TypeError($"attempt to call something which is not a function but {ShowType(fn)}", pos);
    }

    public Value CallFunction(Value fn, Value[] args, Pos pos)
    {
        fn = Force(fn, pos);
        // PERF: a builtin given all its arguments at once skips the partial applications.
        if (fn is PrimOpValue op && op.Arity == args.Length) return CallPrimOp(op, args, pos);
        foreach (var a in args) fn = CallFunction(fn, a, pos);
        return fn;
    }

    private Value CallPrimOp(PrimOpValue op, Value[] args, Pos pos) => op.Fn(this, args, pos);

    /// <summary>`fn a b`: a call with two arguments, as the curried calls it stands for.</summary>
    public Value CallFunction2(Value fn, Value a, Value b, Pos pos)
    {
        fn = Force(fn, pos);
        if (fn is LambdaValue lam)
        {
            // PERF: `a: b: …` takes both arguments without building the closure `fn a`, which
            // nothing could see. Depth counting and traces want each call separately.
            if (lam.Fn.Body is LambdaExpr inner && PlainCalls)
            {
                var env1 = EnterLambda(lam.Fn, lam.Env, a, pos);
                return inner.Body.Eval(this, EnterLambda(inner, env1, b, pos));
            }
            return CallFunction(CallLambda(lam, a, pos), b, pos);
        }
        if (fn is PrimOpValue { Arity: 2 } op)
            return op.Fn2 is { } fn2 ? fn2(this, a, b, pos) : CallPrimOp(op, new[] { a, b }, pos);
        return CallFunction(CallFunction(fn, a, pos), b, pos);
    }

    /// <summary>Whether calls need no depth counting or trace frames (the usual case).</summary>
    private bool PlainCalls
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Settings.MaxCallDepth == 0 && !Settings.ShowTrace;
    }

    internal Value CallLambda(LambdaValue lam, Value arg, Pos pos)
    {
        var fn = lam.Fn;
        var env2 = EnterLambda(fn, lam.Env, arg, pos);
        // PERF: exception regions make unwinding a runaway recursion slow (a handler runs at every
        // level), so the plain call has none; depth counting and traces only when asked for.
        if (PlainCalls) return fn.Body.Eval(this, env2);
        return CallLambdaTracked(fn, env2, pos);
    }

    /// <summary>The environment of a call of `fn` (a closure over `closure`) with `arg`.</summary>
    private Env EnterLambda(LambdaExpr fn, Env closure, Value arg, Pos pos)
    {
        CheckStack();
        var max = Settings.MaxCallDepth;
        if (max > 0 && _callDepth >= max)
            throw new EvalError("stack overflow; max-call-depth exceeded", pos);

        if (fn.Formals is null) return Env.One(closure, arg);
        var env2 = Env.Create(closure, fn.SlotCount);
        var attrs = ForceAttrs(arg, pos);
        int displ = 0;
        if (fn.Arg is not null) env2.Set(displ++, arg);
        int used = 0;
        foreach (var f in fn.Formals)
        {
            var v = attrs.Get(f.Name);
            if (v is null)
            {
                if (f.Default is null)
                    throw new TypeError($"{fn.ShowNamePos()} called without required argument '{f.Name.Name}'", pos);
                env2.Set(displ++, f.Default.MaybeThunk(this, env2));
            }
            else
            {
                used++;
                env2.Set(displ++, v);
            }
        }
        if (!fn.Ellipsis && used != attrs.Count)
        {
            foreach (var name in attrs.Names)
            {
                if (fn.HasFormal(name)) continue;
                var formalNames = fn.Formals.Select(f => f.Name.Name).ToList();
                throw new TypeError($"{fn.ShowNamePos()} called with unexpected argument '{name.Name}'", pos)
                {
                    Suggestions = Suggest.BestMatches(formalNames, name.Name),
                };
            }
        }
        return env2;
    }

    private Value CallLambdaTracked(LambdaExpr fn, Env env2, Pos pos)
    {
        _callDepth++;
        try
        {
            return fn.Body.Eval(this, env2);
        }
        catch (NixError e) when (ShowTrace && e is not StackOverflowError)
        {
            e.AddTrace(fn.Pos, "while evaluating " + (fn.Name is not null ? $"'{fn.Name.Name}'" : "anonymous lambda"));
            e.AddTrace(pos, "from call site");
            throw;
        }
        finally
        {
            _callDepth--;
        }
    }

    /// <summary>Calls a function with automatic arguments (--arg/--argstr), as nix-instantiate does.</summary>
    public Value AutoCall(Value fn, AttrsValue autoArgs)
    {
        fn = Force(fn);
        if (fn is AttrsValue a && a.Get(S.Functor) is { } functor)
        {
            var v = Force(CallFunction(functor, fn, default));
            return AutoCall(v, autoArgs);
        }
        if (fn is not LambdaValue lam || lam.Fn.Formals is null) return fn;
        var b = new AttrsBuilder();
        if (lam.Fn.Ellipsis)
        {
            for (int i = 0; i < autoArgs.Count; i++) b.Add(autoArgs.Names[i], autoArgs.Values[i]);
        }
        else
        {
            foreach (var f in lam.Fn.Formals)
            {
                var v = autoArgs.Get(f.Name);
                if (v is not null) b.Add(f.Name, v);
                else if (f.Default is null)
                    throw new MissingArgumentError(
                        $"cannot evaluate a function that has an argument without a value ('{f.Name.Name}')\n\n" +
                        "Nix attempted to evaluate a function as a top level expression; in\n" +
                        "this case it must have its arguments supplied either by default\n" +
                        "values, or passed explicitly with '--arg' or '--argstr'. See\n" +
                        "https://nixos.org/manual/nix/stable/#ss-functions.", f.Pos);
            }
        }
        return Force(CallFunction(fn, b.Build(), default));
    }

    // ---------------------------------------------------------------- attributes

    public Symbol AttrNameOf(Expr e, Env env)
    {
        var v = e.Eval(this, env);
        return Symbols.Intern(ForceStringNoContext(v, e.Pos));
    }

    public NixError MissingAttribute(AttrsValue attrs, Symbol name, Pos pos) =>
        new EvalError($"attribute '{name.Name}' missing", pos)
        {
            Suggestions = Suggest.BestMatches(attrs.Names.Select(n => n.Name), name.Name),
        };

    public void ShowAttrPath(StringBuilder sb, AttrName[] path, Env env)
    {
        for (int i = 0; i < path.Length; i++)
        {
            if (i > 0) sb.Append('.');
            if (path[i].Symbol is { } s) sb.Append(s.Name);
            else
            {
                try { sb.Append(AttrNameOf(path[i].Expr!, env).Name); }
                catch (NixError) { sb.Append("\"${"); path[i].Expr!.Show(sb); sb.Append("}\""); }
            }
        }
    }

    public static AttrsValue Update(AttrsValue a, AttrsValue b)
    {
        if (a.Count == 0) return b;
        if (b.Count == 0) return a;
        if (b.Count * 16 <= a.Count) return UpdateFew(a, b);
        int n = a.Count + b.Count;
        var names = new Symbol[n];
        var values = new Value[n];
        var poss = a.Positions is not null || b.Positions is not null ? new Pos[n] : null;
        int i = 0, j = 0, k = 0;
        while (i < a.Count && j < b.Count)
        {
            int ia = a.Names[i].Id, ib = b.Names[j].Id;
            if (ia == ib)
            {
                names[k] = b.Names[j]; values[k] = b.Values[j]; if (poss is not null) poss[k] = b.PosOf(j);
                i++; j++;
            }
            else if (ia < ib)
            {
                names[k] = a.Names[i]; values[k] = a.Values[i]; if (poss is not null) poss[k] = a.PosOf(i);
                i++;
            }
            else
            {
                names[k] = b.Names[j]; values[k] = b.Values[j]; if (poss is not null) poss[k] = b.PosOf(j);
                j++;
            }
            k++;
        }
        for (; i < a.Count; i++, k++) { names[k] = a.Names[i]; values[k] = a.Values[i]; if (poss is not null) poss[k] = a.PosOf(i); }
        for (; j < b.Count; j++, k++) { names[k] = b.Names[j]; values[k] = b.Values[j]; if (poss is not null) poss[k] = b.PosOf(j); }
        if (k < n)
        {
            Array.Resize(ref names, k);
            Array.Resize(ref values, k);
            if (poss is not null) Array.Resize(ref poss, k);
        }
        return new AttrsValue(names, values, poss);
    }

    /// <summary>`a // b` where b is much smaller than a (overlays, `acc // { k = v; }`).</summary>
    /// <remarks>PERF: each of b's names is placed by binary search and the runs of a between them
    /// are copied in bulk. When b only replaces attributes, the result keeps a's name array (and
    /// its lexicographic order) and copies only the values.</remarks>
    private static AttrsValue UpdateFew(AttrsValue a, AttrsValue b)
    {
        int m = b.Count;
        Span<int> at = m <= 64 ? stackalloc int[m] : new int[m];
        int added = 0;
        for (int j = 0; j < m; j++)
        {
            at[j] = a.IndexOf(b.Names[j]);
            if (at[j] < 0)
            {
                at[j] = ~InsertionPoint(a.Names, b.Names[j].Id);
                added++;
            }
        }
        int n = a.Count + added;
        var values = new Value[n];
        var poss = a.Positions is not null || b.Positions is not null ? new Pos[n] : null;
        if (added == 0)
        {
            Array.Copy(a.Values, values, n);
            if (a.Positions is not null) Array.Copy(a.Positions, poss!, n);
            for (int j = 0; j < m; j++)
            {
                values[at[j]] = b.Values[j];
                if (poss is not null) poss[at[j]] = b.PosOf(j);
            }
            return new AttrsValue(a.Names, values, poss, a.Order);
        }
        var names = new Symbol[n];
        int src = 0, dst = 0;
        for (int j = 0; j < m; j++)
        {
            bool replaces = at[j] >= 0;
            int until = replaces ? at[j] : ~at[j];
            int run = until - src;
            Array.Copy(a.Names, src, names, dst, run);
            Array.Copy(a.Values, src, values, dst, run);
            if (a.Positions is not null) Array.Copy(a.Positions, src, poss!, dst, run);
            dst += run;
            src = replaces ? until + 1 : until;
            names[dst] = b.Names[j];
            values[dst] = b.Values[j];
            if (poss is not null) poss[dst] = b.PosOf(j);
            dst++;
        }
        int rest = a.Count - src;
        Array.Copy(a.Names, src, names, dst, rest);
        Array.Copy(a.Values, src, values, dst, rest);
        if (a.Positions is not null) Array.Copy(a.Positions, src, poss!, dst, rest);
        return new AttrsValue(names, values, poss);
    }

    /// <summary>The index of the first name whose id is greater than `id`.</summary>
    private static int InsertionPoint(Symbol[] names, int id)
    {
        int lo = 0, hi = names.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (names[mid].Id < id) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private Value? _derivation;
    /// <summary>The pseudo-file of `derivation`'s Nix code; Nix leaves it out of attribute traces.</summary>
    public const string DerivationNixPath = "//builtin/derivation.nix";

    /// <summary>`derivation`: a Nix-level wrapper over derivationStrict, as Nix defines it.</summary>
    public Value EvalDerivationWrapper()
    {
        if (_derivation is not null) return _derivation;
        const string code =
            "drvAttrs@{ outputs ? [ \"out\" ], ... }:\n" +
            "let\n" +
            "  strict = derivationStrict drvAttrs;\n" +
            "  common = drvAttrs // (builtins.listToAttrs outputList)\n" +
            "    // { all = map (o: o.value) outputList; inherit drvAttrs; };\n" +
            "  mkOutput = outputName: {\n" +
            "    name = outputName;\n" +
            "    value = common // {\n" +
            "      outPath = builtins.getAttr outputName strict;\n" +
            "      drvPath = strict.drvPath;\n" +
            "      type = \"derivation\";\n" +
            "      inherit outputName;\n" +
            "    };\n" +
            "  };\n" +
            "  outputList = map mkOutput outputs;\n" +
            "in (builtins.head outputList).value\n";
        var src = new SourceFile(SourceOrigin.File, DerivationNixPath, code);
        var e = Parser.Parse(src, Symbols, "/", Settings.Home, BaseScope);
        _derivation = e.Eval(this, BaseEnv);
        return _derivation;
    }

    public Value MakePosValue(Pos pos)
    {
        if (pos.File is null) return NullValue.Instance;
        var file = pos.File.Origin == SourceOrigin.File ? pos.File.Path : pos.File.Text;
        return new AttrsBuilder(3)
            .Add(S.File, StringValue.Of(file))
            .Add(S.Line, IntValue.Of(pos.Line))
            .Add(S.Column, IntValue.Of(pos.Column))
            .Build();
    }

    // ---------------------------------------------------------------- equality and ordering

    public bool EqValues(Value a, Value b)
    {
        if (a.IsThunk) a = Force(a);
        if (b.IsThunk) b = Force(b);
        // PERF: integers and strings are most of what `elem` and `==` compare.
        if (a is IntValue fi && b is IntValue fj) return fi.V == fj.V;
        if (a is StringValue fs && b is StringValue ft) return string.Equals(fs.S, ft.S, StringComparison.Ordinal);
        if (a is ListValue or AttrsValue) CheckStack();
        switch (a)
        {
            case IntValue ia:
                return b switch { IntValue ib => ia.V == ib.V, FloatValue fb => ia.V == fb.V, _ => false };
            case FloatValue fa:
                return b switch { FloatValue fb => fa.V == fb.V, IntValue ib => fa.V == ib.V, _ => false };
            case BoolValue ba:
                return b is BoolValue bb && ba.V == bb.V;
            case StringValue sa:
                return b is StringValue sb && string.Equals(sa.S, sb.S, StringComparison.Ordinal);
            case PathValue pa:
                return b is PathValue pb && string.Equals(pa.P, pb.P, StringComparison.Ordinal);
            case NullValue:
                return b is NullValue;
            case ListValue la:
            {
                if (b is not ListValue lb || la.Count != lb.Count) return false;
                for (int i = 0; i < la.Count; i++)
                {
                    // Nix treats the very same value cell as equal without looking inside.
                    if (ReferenceEquals(la.Items[i], lb.Items[i])) continue;
                    var x = ForceIn(la.Items, i, default);
                    if (!EqValues(x, ForceIn(lb.Items, i, default))) return false;
                }
                return true;
            }
            case AttrsValue aa:
            {
                if (b is not AttrsValue ab) return false;
                if (IsDerivation(aa) && IsDerivation(ab))
                {
                    var oa = aa.Get(S.OutPath);
                    var ob = ab.Get(S.OutPath);
                    if (oa is not null && ob is not null) return EqValues(oa, ob);
                }
                if (aa.Count != ab.Count) return false;
                for (int i = 0; i < aa.Count; i++)
                {
                    if (!ReferenceEquals(aa.Names[i], ab.Names[i])) return false;
                    if (ReferenceEquals(aa.Values[i], ab.Values[i])) continue;
                    var x = ForceIn(aa.Values, i, default);
                    if (!EqValues(x, ForceIn(ab.Values, i, default))) return false;
                }
                return true;
            }
            case LambdaValue or PrimOpValue or PrimOpAppValue:
                return false;
            default:
                throw new EvalError($"cannot compare {ShowType(a)} with {ShowType(b)}");
        }
    }

    public bool IsDerivation(AttrsValue a)
    {
        var t = a.Get(S.Type);
        if (t is null) return false;
        t = Force(t);
        return t is StringValue s && s.S == "derivation";
    }

    /// <summary>builtins.lessThan and sort's default order.</summary>
    public bool LessThan(Value a, Value b, Pos pos)
    {
        if (a.IsThunk) a = Force(a, pos);
        if (b.IsThunk) b = Force(b, pos);
        if (a is IntValue fi && b is IntValue fj) return fi.V < fj.V;
        if (a is FloatValue fa0 && b is IntValue ib0) return fa0.V < ib0.V;
        if (a is IntValue ia0 && b is FloatValue fb0) return ia0.V < fb0.V;
        switch (a)
        {
            case IntValue ia when b is IntValue ib: return ia.V < ib.V;
            case FloatValue fa when b is FloatValue fb: return fa.V < fb.V;
            case StringValue sa when b is StringValue sb: return string.CompareOrdinal(sa.S, sb.S) < 0;
            case PathValue pa when b is PathValue pb: return string.CompareOrdinal(pa.P, pb.P) < 0;
            case ListValue la when b is ListValue lb:
                CheckStack();
                for (int i = 0; ; i++)
                {
                    if (i == lb.Count) return false;
                    if (i == la.Count) return true;
                    if (!EqValues(la.Items[i], lb.Items[i])) return LessThan(la.Items[i], lb.Items[i], pos);
                }
        }
        // Nix reports incomparable values without a position.
        throw new EvalError($"cannot compare {ShowType(a)} with {ShowType(b)}");
    }

    // ---------------------------------------------------------------- strings

    /// <summary>Nix's coerceToString: how `${…}`, toString and string `+` turn values into text.</summary>
    public string CoerceToString(Pos pos, Value v, ContextBuilder ctx, bool coerceMore, bool copyToStore, bool canonicalizePath = true) =>
        CoerceToString(pos, v, ctx, coerceMore, copyToStore, canonicalizePath, 0);

    /// <param name="depth">Nesting through outPath/__toString; a cycle there must end in an error,
    /// not a loop (the recursive calls are tail calls, so the stack alone would not stop it).</param>
    private string CoerceToString(Pos pos, Value v, ContextBuilder ctx, bool coerceMore, bool copyToStore, bool canonicalizePath, int depth)
    {
        if (depth > 100_000) throw StackOverflow();
        CheckStack();
        v = Force(v, pos);
        switch (v)
        {
            case StringValue s:
                ctx.Add(s.Context);
                return s.S;
            case PathValue p:
            {
                var path = canonicalizePath ? PathUtil.CanonPath(p.P) : p.P;
                return copyToStore ? CopyPathToStore(ctx, path, pos) : path;
            }
            case AttrsValue a:
            {
                var ts = a.Get(S.ToStringSym);
                if (ts is not null)
                {
                    var r = CallFunction(ts, a, pos);
                    return CoerceToString(pos, r, ctx, coerceMore, copyToStore, true, depth + 1);
                }
                var outPath = a.Get(S.OutPath);
                if (outPath is null) throw new TypeError("cannot coerce a set to a string", pos);
                return CoerceToString(pos, outPath, ctx, coerceMore, copyToStore, true, depth + 1);
            }
        }
        if (coerceMore)
        {
            switch (v)
            {
                case BoolValue b: return b.V ? "1" : "";
                case IntValue i: return i.V.ToString(System.Globalization.CultureInfo.InvariantCulture);
                case FloatValue f: return Output.NumberFormat.FormatFixed6(f.V);
                case NullValue: return "";
                case ListValue l:
                {
                    var sb = new StringBuilder();
                    for (int n = 0; n < l.Count; n++)
                    {
                        var item = l.Items[n];
                        sb.Append(CoerceToString(pos, item, ctx, coerceMore, copyToStore, true, depth + 1));
                        if (n < l.Count - 1)
                        {
                            var forced = Force(item);
                            if (forced is not ListValue { Count: 0 }) sb.Append(' ');
                        }
                    }
                    return sb.ToString();
                }
            }
        }
        throw new TypeError($"cannot coerce {ShowType(v)} to a string", pos);
    }

    public string CopyPathToStore(ContextBuilder ctx, string path, Pos pos)
    {
        if (Host.GetFileType(path) == HostFileType.Missing)
            throw new HostError($"getting status of '{path}': No such file or directory");
        if (path.EndsWith(".drv", StringComparison.Ordinal))
            throw new EvalError("file names are not allowed to end in '.drv'");
        var store = Host.Store ?? throw new EvalError(
            $"cannot copy '{path}' to the store: this evaluator has no store", pos);
        if (!_srcToStore.TryGetValue(path, out var result))
        {
            result = store.AddPathToStore(path, PathUtil.BaseNameOf(path), true, null);
            _srcToStore[path] = result;
        }
        ctx.Add(result);
        return result;
    }

    public Value ConcatStrings(ConcatStringsExpr e, Env env)
    {
        var parts = e.Parts;
        // PERF: `a + b` on numbers is the common case; it needs no string machinery at all.
        if (!e.ForceString && parts.Count == 2)
        {
            var a = parts[0].Expr.Eval(this, env);
            if (a is IntValue ia)
            {
                var b = parts[1].Expr.Eval(this, env);
                if (b is IntValue ib) return IntValue.Of(AddInts(ia.V, ib.V, parts[1].Pos));
                if (b is FloatValue fb) return new FloatValue(ia.V + fb.V);
                throw new EvalError($"cannot add {ShowType(b)} to an integer", parts[1].Pos);
            }
            if (a is FloatValue fa)
            {
                var b = parts[1].Expr.Eval(this, env);
                if (b is IntValue ib) return new FloatValue(fa.V + ib.V);
                if (b is FloatValue fb) return new FloatValue(fa.V + fb.V);
                throw new EvalError($"cannot add {ShowType(b)} to a float", parts[1].Pos);
            }
            return ConcatGeneral(e, env, a);
        }
        return ConcatGeneral(e, env, null);
    }

    /// <param name="first">The first part's value when the caller already evaluated it.</param>
    private Value ConcatGeneral(ConcatStringsExpr e, Env env, Value? first)
    {
        var parts = e.Parts;
        ContextBuilder? ctx = null; // PERF: made only when a piece has context
        // PERF: the pieces are joined once at the end, which allocates only the result; up to
        // four of them wait on the stack.
        var few = new FourStrings();
        Span<string?> pieces = parts.Count <= 4 ? few : new string?[parts.Count];
        int count = 0;
        long length = 0;
        long n = 0;
        double nf = 0;
        int kind = 0; // 0 string, 1 int, 2 float, 3 path
        bool isFirst = !e.ForceString;
        for (int idx = 0; idx < parts.Count; idx++)
        {
            var (ppos, pexpr) = parts[idx];
            var v = idx == 0 && first is not null ? first : pexpr.Eval(this, env);
            if (isFirst)
            {
                kind = v switch { IntValue => 1, FloatValue => 2, PathValue => 3, _ => 0 };
            }
            if (kind == 1)
            {
                if (v is IntValue iv) n = AddInts(n, iv.V, ppos);
                else if (v is FloatValue fv) { kind = 2; nf = n; nf += fv.V; }
                else throw new EvalError($"cannot add {ShowType(v)} to an integer", ppos);
            }
            else if (kind == 2)
            {
                if (v is IntValue iv) nf += iv.V;
                else if (v is FloatValue fv) nf += fv.V;
                else throw new EvalError($"cannot add {ShowType(v)} to a float", ppos);
            }
            else
            {
                string piece;
                if (v is StringValue sv)
                {
                    // What CoerceToString does with a string, without the call.
                    if (parts.Count == 1 && kind == 0) return sv;
                    if (sv.Context is { } c) (ctx ??= new ContextBuilder()).Add(c);
                    piece = sv.S;
                }
                else piece = CoerceToString(ppos, v, ctx ??= new ContextBuilder(), false, kind == 0, !isFirst);
                length += piece.Length;
                CheckStringLength(length, ppos);
                pieces[count++] = piece;
            }
            isFirst = false;
        }
        if (kind == 1) return IntValue.Of(n);
        if (kind == 2) return new FloatValue(nf);
        var str = count switch
        {
            0 => "",
            1 => pieces[0]!,
            _ => string.Concat(pieces[..count]),
        };
        var context = ctx?.Build();
        if (kind == 3)
        {
            if (context is not null)
                throw new EvalError("a string that refers to a store path cannot be appended to a path", e.Pos);
            return new PathValue(PathUtil.CanonPath(str));
        }
        return new StringValue(str, context);
    }

    [InlineArray(4)]
    private struct FourStrings
    {
        private string? _first;
    }

    /// <summary>.NET strings stop at about 2^30 characters; beyond that is a clean error.</summary>
    public static void CheckStringLength(long length, Pos pos)
    {
        if (length > 0x3FFF_FFDF) throw new EvalError($"string of {length} bytes is too long (at most {0x3FFF_FFDF})", pos);
    }

    public long AddInts(long a, long b, Pos pos)
    {
        long r = unchecked(a + b);
        if (Settings.IntegerOverflowIsError && ((a ^ r) & (b ^ r)) < 0)
            throw new EvalError($"integer overflow in adding {a} + {b}", pos);
        return r;
    }

    // ---------------------------------------------------------------- files

    public SourceFile ReadSource(string path) => new(SourceOrigin.File, path, Host.ReadFile(path));

    public Expr ParseString(string text, string basePath, Scope? scope = null) =>
        Parser.Parse(new SourceFile(SourceOrigin.String, "", text), Symbols, basePath, Settings.Home, scope ?? BaseScope);

    public Expr ParseStdin(string text, string basePath) =>
        Parser.Parse(new SourceFile(SourceOrigin.Stdin, "", text), Symbols, basePath, Settings.Home, BaseScope);

    public Expr ParseFile(string path, Scope? scope = null)
    {
        var src = ReadSource(path);
        return Parser.Parse(src, Symbols, PathUtil.DirOf(path), Settings.Home, scope ?? BaseScope);
    }

    /// <summary>Follows symlinks and appends /default.nix to directories, as Nix's import does.</summary>
    public string ResolveExprPath(string path, Pos pos)
    {
        int follow = 0;
        while (true)
        {
            if (++follow >= 1024) throw new EvalError($"too many symbolic links encountered while traversing the path '{path}'", pos);
            var t = Host.GetFileType(path);
            if (t == HostFileType.Missing)
                throw new HostError($"getting status of '{path}': No such file or directory");
            if (t != HostFileType.Symlink)
            {
                if (t == HostFileType.Directory) return PathUtil.CanonPath(path + "/default.nix");
                return path;
            }
            var target = Host.ReadLink(path)!;
            path = PathUtil.AbsPath(target, PathUtil.DirOf(path));
        }
    }

    public Value EvalFile(string path, Pos pos)
    {
        if (_fileEvalCache.TryGetValue(path, out var cached)) return cached;
        if (path == CorePackages.FetchurlNix.Path)
        {
            var src = new SourceFile(SourceOrigin.File, path, CorePackages.FetchurlNix.Source);
            var fe = Parser.Parse(src, Symbols, "/__corepkgs__", Settings.Home, BaseScope);
            return _fileEvalCache[path] = fe.Eval(this, BaseEnv);
        }
        if (CorePackages.NixsharpLibrary.Contains(path)) return EvalLibraryFile(path);
        var resolved = ResolveExprPath(path, pos);
        if (_fileEvalCache.TryGetValue(resolved, out cached)) return cached;
        Expr e;
        try
        {
            if (!_fileParseCache.TryGetValue(resolved, out e!))
            {
                e = ParseFile(resolved);
                _fileParseCache[resolved] = e;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HostError($"opening file '{resolved}': {Builtins.FileBuiltins.DescribeIo(ex)}");
        }
        Value v;
        try
        {
            v = e.Eval(this, BaseEnv);
        }
        catch (NixError err) when (err is not StackOverflowError)
        {
            err.AddTrace(default, $"while evaluating the file '{resolved}':");
            throw;
        }
        _fileEvalCache[resolved] = v;
        _fileEvalCache[path] = v;
        return v;
    }

    /// <summary>A file of the built-in &lt;nixsharp&gt; library, which exists only in the binary.</summary>
    private Value EvalLibraryFile(string path)
    {
        var (resolved, text) = CorePackages.NixsharpLibrary.Resolve(path)
            ?? throw new HostError($"getting status of '{path}': No such file or directory");
        if (_fileEvalCache.TryGetValue(resolved, out var cached)) return _fileEvalCache[path] = cached;
        var fe = Parser.Parse(new SourceFile(SourceOrigin.File, resolved, text), Symbols, PathUtil.DirOf(resolved), Settings.Home, BaseScope);
        Value v;
        try
        {
            v = fe.Eval(this, BaseEnv);
        }
        catch (NixError err) when (err is not StackOverflowError)
        {
            err.AddTrace(default, $"while evaluating the file '{resolved}':");
            throw;
        }
        _fileEvalCache[resolved] = v;
        return _fileEvalCache[path] = v;
    }

    private readonly Dictionary<string, string?> _searchPathResolved = new(StringComparer.Ordinal);

    /// <summary>Resolves a &lt;name&gt; lookup through the search path.</summary>
    public string FindFile(IEnumerable<(string Prefix, string Path)> searchPath, string path, Pos pos)
    {
        foreach (var (prefix, root) in searchPath)
        {
            string suffix;
            if (prefix.Length == 0) suffix = "/" + path;
            else
            {
                if (!path.StartsWith(prefix, StringComparison.Ordinal)) continue;
                if (path.Length > prefix.Length && path[prefix.Length] != '/') continue;
                suffix = path.Length == prefix.Length ? "" : "/" + path.Substring(prefix.Length);
            }
            var resolved = ResolveSearchPathEntry(root);
            if (resolved is null) continue;
            var candidate = resolved + suffix;
            if (Host.GetFileTypeFollow(candidate) != HostFileType.Missing) return PathUtil.CanonPath(candidate);
        }
        if (path.StartsWith("nix/", StringComparison.Ordinal))
            return "/__corepkgs__/" + path.Substring(4);
        // The built-in library, unless the search path has its own (as -I nixsharp=DIR gives).
        if (CorePackages.NixsharpLibrary.Find(path) is { } library) return library;
        throw new ThrownError(Settings.PureEval
            ? $"cannot look up '<{path}>' in pure evaluation mode (use '--impure' to override)"
            : $"file '{path}' was not found in the Nix search path (add it using $NIX_PATH or -I)", pos);
    }

    /// <summary>A search-path entry as a directory, or null (with Nix's warning) when it does not exist.</summary>
    private string? ResolveSearchPathEntry(string entry)
    {
        if (_searchPathResolved.TryGetValue(entry, out var r)) return r;
        if (entry.Contains("://", StringComparison.Ordinal))
        {
            Host.Log($"warning: Nix search path entry '{entry}' cannot be downloaded, ignoring");
            r = null;
        }
        else
        {
            var abs = PathUtil.AbsPath(entry, Settings.WorkingDirectory);
            if (Host.GetFileTypeFollow(abs) != HostFileType.Missing) r = abs;
            else
            {
                Host.Log($"warning: Nix search path entry '{entry}' does not exist, ignoring");
                r = null;
            }
        }
        _searchPathResolved[entry] = r;
        return r;
    }
}
