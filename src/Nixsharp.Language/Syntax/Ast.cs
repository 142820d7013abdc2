// The syntax tree, which is also the executable form: each node knows how to bind its variables
// (Bind), evaluate itself (Eval) and print itself as `nix-instantiate --parse` does (Show).
namespace Nixsharp.Language.Syntax;

using System.Runtime.CompilerServices;
using System.Text;
using Nixsharp.Language.Evaluation;

public abstract class Expr
{
    public Pos Pos;

    /// <summary>Evaluates to weak head normal form (never returns a thunk).</summary>
    public abstract Value Eval(EvalState state, Env env);

    /// <summary>A value for this expression that may be left unevaluated (Nix's maybeThunk).</summary>
    public virtual Value MaybeThunk(EvalState state, Env env) => Thunk.OfExpr(this, env);

    public abstract void Bind(Scope scope);
    public abstract void Show(StringBuilder sb);

    public override string ToString()
    {
        var sb = new StringBuilder();
        Show(sb);
        return sb.ToString();
    }

    /// <summary>Lets a lambda learn the attribute name it is bound to (for messages).</summary>
    public virtual void SetName(Symbol name) { }

    public static void ShowString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': case '\\': case '$': sb.Append('\\').Append(c); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }

    public static void ShowId(StringBuilder sb, string s)
    {
        if (s.Length == 0) { sb.Append("\"\""); return; }
        if (s == "if") { sb.Append('"').Append(s).Append('"'); return; }
        char c0 = s[0];
        if (!(c0 is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_')) { ShowString(sb, s); return; }
        foreach (var c in s)
            if (!(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '\'' or '-'))
            {
                ShowString(sb, s);
                return;
            }
        sb.Append(s);
    }
}

/// <summary>An attribute name in a path: static (Symbol) or computed (Expr).</summary>
public readonly struct AttrName
{
    public readonly Symbol? Symbol;
    public readonly Expr? Expr;
    public AttrName(Symbol s) { Symbol = s; Expr = null; }
    public AttrName(Expr e) { Symbol = null; Expr = e; }

    public static void ShowPath(StringBuilder sb, IReadOnlyList<AttrName> path)
    {
        for (int i = 0; i < path.Count; i++)
        {
            if (i > 0) sb.Append('.');
            if (path[i].Symbol is { } s) Expr.ShowId(sb, s.Name);
            else { sb.Append("\"${"); path[i].Expr!.Show(sb); sb.Append("}\""); }
        }
    }
}

// ---------------------------------------------------------------- literals

public sealed class IntExpr : Expr
{
    public readonly IntValue Value;
    public IntExpr(long v) { Value = IntValue.Of(v); }
    public override Value Eval(EvalState state, Env env) => Value;
    public override Value MaybeThunk(EvalState state, Env env) => Value;
    public override void Bind(Scope scope) { }
    public override void Show(StringBuilder sb) => sb.Append(Value.V);
}

public sealed class FloatExpr : Expr
{
    public readonly FloatValue Value;
    public FloatExpr(double v) { Value = new FloatValue(v); }
    public override Value Eval(EvalState state, Env env) => Value;
    public override Value MaybeThunk(EvalState state, Env env) => Value;
    public override void Bind(Scope scope) { }
    public override void Show(StringBuilder sb) => sb.Append(Output.NumberFormat.FormatFloat(Value.V));
}

public sealed class StringExpr : Expr
{
    public readonly StringValue Value;
    public StringExpr(string s) { Value = StringValue.Of(s); }
    public override Value Eval(EvalState state, Env env) => Value;
    public override Value MaybeThunk(EvalState state, Env env) => Value;
    public override void Bind(Scope scope) { }
    public override void Show(StringBuilder sb) => ShowString(sb, Value.S);
}

public sealed class PathExpr : Expr
{
    public readonly PathValue Value;
    public PathExpr(string p) { Value = new PathValue(p); }
    public override Value Eval(EvalState state, Env env) => Value;
    public override Value MaybeThunk(EvalState state, Env env) => Value;
    public override void Bind(Scope scope) { }
    public override void Show(StringBuilder sb) => sb.Append(Value.P);
}

// ---------------------------------------------------------------- variables

public sealed class VarExpr : Expr
{
    public readonly Symbol Name;
    private int _level, _slot = -1;
    private int[]? _withLevels; // non-null when the variable comes from enclosing `with`s
    private Value? _constant;   // set for builtins: no environment walk at run time

    /// <summary>The fixed value of a variable bound to a builtin (null for other variables).</summary>
    internal Value? Constant => _constant;

    public VarExpr(Pos pos, Symbol name) { Pos = pos; Name = name; }

    public override void Bind(Scope scope)
    {
        List<int>? withs = null;
        int level = 0;
        for (var s = scope; s is not null; s = s.Up, level++)
        {
            if (s.IsWith) (withs ??= new()).Add(level);
            else if (s.TryGet(Name, out var slot))
            {
                _level = level;
                _slot = slot;
                if (s.Constants is { } c) _constant = c[slot];
                return;
            }
        }
        if (withs is null) throw new UndefinedVarError($"undefined variable '{Name.Name}'", Pos);
        _withLevels = withs.ToArray();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Value? Lookup(Env env)
    {
        var e = env;
        for (int i = _level; i > 0; i--) e = e.Up!;
        return e.Get(_slot);
    }

    public override Value Eval(EvalState state, Env env)
    {
        if (_constant is not null) return _constant.IsThunk ? state.Force(_constant, Pos) : _constant;
        if (_withLevels is null)
        {
            var v = Lookup(env)!;
            return v.IsThunk ? state.Force(v, Pos) : v;
        }
        var w = LookupWith(state, env);
        return w.IsThunk ? state.Force(w, Pos) : w;
    }

    public override Value MaybeThunk(EvalState state, Env env)
    {
        if (_constant is not null) return _constant;
        if (_withLevels is null)
        {
            // Sharing the slot's value (not a new thunk) is what makes `x` and `y = x` identical.
            var v = Lookup(env);
            if (v is not null) return v;
        }
        return Thunk.OfExpr(this, env);
    }

    private Value LookupWith(EvalState state, Env env)
    {
        var levels = _withLevels!;
        var e = env;
        int at = 0;
        foreach (var level in levels)
        {
            for (; at < level; at++) e = e.Up!;
            var holder = e.S0!;
            // Nix evaluates the `with` set without a position of its own.
            var attrs = state.ForceAttrs(holder, default);
            var v = attrs.Get(Name);
            if (v is not null) return v;
        }
        throw new UndefinedVarError($"undefined variable '{Name.Name}'", Pos);
    }

    public override void Show(StringBuilder sb) => ShowId(sb, Name.Name);
}

public sealed class CurPosExpr : Expr
{
    public CurPosExpr(Pos pos) { Pos = pos; }
    public override Value Eval(EvalState state, Env env) => state.MakePosValue(Pos);
    public override void Bind(Scope scope) { }
    public override void Show(StringBuilder sb) => sb.Append("__curPos");
}

// ---------------------------------------------------------------- attribute access

public sealed class SelectExpr : Expr
{
    public readonly Expr Target;
    public readonly AttrName[] Path;
    public readonly Expr? Default;

    public SelectExpr(Pos pos, Expr target, AttrName[] path, Expr? def)
    {
        Pos = pos; Target = target; Path = path; Default = def;
    }

    // PERF: `builtins.x` names a builtin that can never change; it is looked up once, at bind time.
    private Value? _fixed;

    public override void Bind(Scope scope)
    {
        Target.Bind(scope);
        Default?.Bind(scope);
        foreach (var a in Path) a.Expr?.Bind(scope);
        _fixed = FixedValue();
    }

    /// <summary>The value of a static path into a builtin set when it is already known and final
    /// (no thunk left to force, no position to report in a trace), else null.</summary>
    private Value? FixedValue()
    {
        if (Target is not VarExpr { Constant: { } c }) return null;
        Value? v = c is Thunk t ? t.Result : c;
        foreach (var a in Path)
        {
            if (a.Symbol is null || v is not AttrsValue av) return null;
            int i = av.IndexOf(a.Symbol);
            if (i < 0 || av.PosOf(i).IsSet) return null;
            v = av.Values[i] is Thunk { Result: { } r } ? r : av.Values[i];
        }
        return v is Thunk ? null : v;
    }

    public override Value Eval(EvalState state, Env env)
    {
        if (_fixed is not null) return _fixed;
        Value v = Target.Eval(state, env);
        Pos attrPos = default;
        // The value array and slot the last step read from.
        Value[]? holder = null;
        int slot = 0;
        try
        {
            foreach (var a in Path)
            {
                var name = a.Symbol ?? state.AttrNameOf(a.Expr!, env);
                if (Default is not null)
                {
                    v = state.Force(v, Pos);
                    if (v is not AttrsValue av) return Default.Eval(state, env);
                    int i = av.IndexOf(name);
                    if (i < 0) return Default.Eval(state, env);
                    holder = av.Values;
                    slot = i;
                    v = holder[i];
                    attrPos = av.PosOf(i);
                }
                else
                {
                    var av = state.ForceAttrs(v, Pos);
                    int i = av.IndexOf(name);
                    if (i < 0) throw state.MissingAttribute(av, name, Pos);
                    holder = av.Values;
                    slot = i;
                    v = holder[i];
                    attrPos = av.PosOf(i);
                }
            }
            var at = attrPos.IsSet ? attrPos : Pos;
            return holder is null ? state.Force(v, at) : state.ForceIn(holder, slot, at);
        }
        catch (NixError e) when (attrPos.IsSet && e is not StackOverflowError && attrPos.File!.Path != EvalState.DerivationNixPath)
        {
            var sb = new StringBuilder();
            state.ShowAttrPath(sb, Path, env);
            e.AddTrace(attrPos, $"while evaluating the attribute '{sb}'");
            throw;
        }
    }

    public override void Show(StringBuilder sb)
    {
        sb.Append('(');
        Target.Show(sb);
        sb.Append(").");
        AttrName.ShowPath(sb, Path);
        if (Default is not null)
        {
            sb.Append(" or (");
            Default.Show(sb);
            sb.Append(')');
        }
    }
}

public sealed class HasAttrExpr : Expr
{
    public readonly Expr Target;
    public readonly AttrName[] Path;
    public HasAttrExpr(Pos pos, Expr target, AttrName[] path) { Pos = pos; Target = target; Path = path; }

    public override void Bind(Scope scope)
    {
        Target.Bind(scope);
        foreach (var a in Path) a.Expr?.Bind(scope);
    }

    public override Value Eval(EvalState state, Env env)
    {
        Value v = Target.Eval(state, env);
        foreach (var a in Path)
        {
            v = state.Force(v, default);
            var name = a.Symbol ?? state.AttrNameOf(a.Expr!, env);
            if (v is not AttrsValue av) return BoolValue.False;
            var next = av.Get(name);
            if (next is null) return BoolValue.False;
            v = next;
        }
        return BoolValue.True;
    }

    public override void Show(StringBuilder sb)
    {
        sb.Append("((");
        Target.Show(sb);
        sb.Append(") ? ");
        AttrName.ShowPath(sb, Path);
        sb.Append(')');
    }
}

// ---------------------------------------------------------------- attribute sets and let

public sealed class AttrDef
{
    public Expr Value;
    public Pos Pos;
    public bool Inherited;
    public int Slot;
    public AttrDef(Expr value, Pos pos, bool inherited) { Value = value; Pos = pos; Inherited = inherited; }
}

public sealed class DynamicAttrDef
{
    public readonly Expr Name;
    public readonly Expr Value;
    public readonly Pos Pos;
    public DynamicAttrDef(Expr name, Expr value, Pos pos) { Name = name; Value = value; Pos = pos; }
}

public sealed class AttrsExpr : Expr
{
    public bool Recursive;
    /// <summary>Static attributes in definition order of their symbols (sorted by id at bind time).</summary>
    public readonly Dictionary<Symbol, AttrDef> Attrs = new();
    public readonly List<DynamicAttrDef> Dynamic = new();
    private Symbol[] _names = Array.Empty<Symbol>();
    private AttrDef[] _defs = Array.Empty<AttrDef>();
    private Pos[]? _positions;
    private readonly NameOrder _order = new();
    private AttrsValue? _empty;
    private int _overridesIndex = -1;

    public AttrsExpr(Pos pos) { Pos = pos; }

    private bool _frozen;

    /// <summary>Freezes the static attributes into symbol-id order (the runtime layout).</summary>
    internal void Freeze()
    {
        if (_frozen) return;
        _frozen = true;
        _names = Attrs.Keys.OrderBy(s => s.Id).ToArray();
        _defs = new AttrDef[_names.Length];
        _positions = new Pos[_names.Length];
        for (int i = 0; i < _names.Length; i++)
        {
            _defs[i] = Attrs[_names[i]];
            _defs[i].Slot = i;
            _positions[i] = _defs[i].Pos;
            if (Recursive && _names[i].Name == "__overrides") _overridesIndex = i;
        }
    }

    internal Symbol[] SortedNames => _names;
    internal AttrDef[] SortedDefs => _defs;

    public override void Bind(Scope scope)
    {
        Freeze();
        var dynScope = scope;
        if (Recursive)
        {
            var inner = Scope.ForNames(scope, _names);
            dynScope = inner;
            foreach (var d in _defs) d.Value.Bind(d.Inherited ? scope : inner);
        }
        else
        {
            foreach (var d in _defs) d.Value.Bind(scope);
        }
        foreach (var d in Dynamic)
        {
            d.Name.Bind(dynScope);
            d.Value.Bind(dynScope);
        }
    }

    public override Value Eval(EvalState state, Env env)
    {
        int n = _names.Length;
        // PERF: an empty set holds nothing that could differ between evaluations, and the
        // identity of an empty set is not observable, so `{ }` makes one set once.
        if (n == 0 && Dynamic.Count == 0)
            return _empty ??= new AttrsValue(_names, Array.Empty<Value>(), _positions, _order) { DefinitionPos = Pos };
        var values = new Value[n];
        Env dynEnv = env;
        if (Recursive)
        {
            var env2 = Env.Create(env, n);
            dynEnv = env2;
            for (int i = 0; i < n; i++)
            {
                var d = _defs[i];
                Value v = _overridesIndex >= 0 && !d.Inherited
                    ? Thunk.OfExpr(d.Value, env2)
                    : d.Value.MaybeThunk(state, d.Inherited ? env : env2);
                env2.Set(i, v);
                values[i] = v;
            }
            if (_overridesIndex >= 0)
                return ApplyOverrides(state, env, env2, values);
        }
        else
        {
            for (int i = 0; i < n; i++) values[i] = _defs[i].Value.MaybeThunk(state, env);
        }

        var result = new AttrsValue(_names, values, _positions, _order) { DefinitionPos = Pos };
        if (Dynamic.Count == 0) return result;
        return AddDynamic(state, dynEnv, result);
    }

    private AttrsValue ApplyOverrides(EvalState state, Env env, Env env2, Value[] values)
    {
        // `__overrides` replaces attributes of the rec set, also as seen from inside it.
        var ov = state.ForceAttrs(values[_overridesIndex], Pos);
        var b = new AttrsBuilder(values.Length + ov.Count);
        var names = _names;
        var overridden = new HashSet<Symbol>();
        for (int i = 0; i < ov.Count; i++)
        {
            int j = Array.IndexOf(names, ov.Names[i]);
            if (j >= 0) { env2.Set(j, ov.Values[i]); values[j] = ov.Values[i]; }
            else { b.Add(ov.Names[i], ov.Values[i], ov.PosOf(i)); }
            overridden.Add(ov.Names[i]);
        }
        for (int i = 0; i < names.Length; i++) b.Add(names[i], values[i], _positions![i]);
        var result = b.Build(Pos);
        return Dynamic.Count == 0 ? result : AddDynamic(state, env2, result);
    }

    private AttrsValue AddDynamic(EvalState state, Env dynEnv, AttrsValue baseSet)
    {
        var names = new List<Symbol>(baseSet.Names);
        var vals = new List<Value>(baseSet.Values);
        var poss = new List<Pos>(baseSet.Count + Dynamic.Count);
        for (int i = 0; i < baseSet.Count; i++) poss.Add(baseSet.PosOf(i));
        foreach (var d in Dynamic)
        {
            var nameV = state.Force(d.Name.Eval(state, dynEnv), d.Pos);
            if (nameV is NullValue) continue;
            var nameS = state.ForceStringNoContext(nameV, default);
            var sym = state.Symbols.Intern(nameS);
            int existing = names.IndexOf(sym);
            if (existing >= 0)
                throw new EvalError($"dynamic attribute '{sym.Name}' already defined at {poss[existing]}", d.Pos);
            d.Value.SetName(sym);
            names.Add(sym);
            vals.Add(d.Value.MaybeThunk(state, dynEnv));
            poss.Add(d.Pos);
        }
        var b = new AttrsBuilder(names.Count);
        for (int i = 0; i < names.Count; i++) b.Add(names[i], vals[i], poss[i]);
        return b.Build(Pos);
    }

    public override void Show(StringBuilder sb)
    {
        if (Recursive) sb.Append("rec ");
        sb.Append("{ ");
        foreach (var kv in Attrs.OrderBy(k => k.Key.Name, StringComparer.Ordinal))
        {
            if (kv.Value.Inherited)
            {
                sb.Append("inherit ");
                ShowId(sb, kv.Key.Name);
                sb.Append(" ; ");
            }
            else
            {
                ShowId(sb, kv.Key.Name);
                sb.Append(" = ");
                kv.Value.Value.Show(sb);
                sb.Append("; ");
            }
        }
        foreach (var d in Dynamic)
        {
            sb.Append("\"${");
            d.Name.Show(sb);
            sb.Append("}\" = ");
            d.Value.Show(sb);
            sb.Append("; ");
        }
        sb.Append('}');
    }
}

public sealed class LetExpr : Expr
{
    public readonly AttrsExpr Attrs;
    public readonly Expr Body;
    public LetExpr(Pos pos, AttrsExpr attrs, Expr body) { Pos = pos; Attrs = attrs; Body = body; }

    public override void Bind(Scope scope)
    {
        Attrs.Freeze();
        var inner = Scope.ForNames(scope, Attrs.SortedNames);
        foreach (var d in Attrs.SortedDefs) d.Value.Bind(d.Inherited ? scope : inner);
        Body.Bind(inner);
    }

    public override Value Eval(EvalState state, Env env)
    {
        var defs = Attrs.SortedDefs;
        var env2 = Env.Create(env, defs.Length);
        for (int i = 0; i < defs.Length; i++)
            env2.Set(i, defs[i].Value.MaybeThunk(state, defs[i].Inherited ? env : env2));
        return Body.Eval(state, env2);
    }

    public override void Show(StringBuilder sb)
    {
        sb.Append("(let ");
        // Nix lists let bindings in its symbol table's internal order; byte order is the closest
        // stable approximation.
        var order = Enumerable.Range(0, Attrs.SortedNames.Length)
            .OrderBy(i => Attrs.SortedNames[i].Name, StringComparer.Ordinal).ToArray();
        var names = order.Select(i => Attrs.SortedNames[i]).ToArray();
        var defs = order.Select(i => Attrs.SortedDefs[i]).ToArray();
        for (int i = 0; i < names.Length; i++)
        {
            if (defs[i].Inherited)
            {
                sb.Append("inherit ");
                ShowId(sb, names[i].Name);
                sb.Append("; ");
            }
            else
            {
                ShowId(sb, names[i].Name);
                sb.Append(" = ");
                defs[i].Value.Show(sb);
                sb.Append("; ");
            }
        }
        sb.Append("in ");
        Body.Show(sb);
        sb.Append(')');
    }
}

public sealed class ListExpr : Expr
{
    public readonly List<Expr> Items = new();
    public ListExpr(Pos pos) { Pos = pos; }

    public override void Bind(Scope scope)
    {
        foreach (var e in Items) e.Bind(scope);
    }

    public override Value Eval(EvalState state, Env env)
    {
        var items = Items;
        if (items.Count == 0) return ListValue.Empty;
        var arr = new Value[items.Count];
        for (int i = 0; i < arr.Length; i++) arr[i] = items[i].MaybeThunk(state, env);
        return new ListValue(arr);
    }

    public override void Show(StringBuilder sb)
    {
        sb.Append("[ ");
        foreach (var e in Items)
        {
            sb.Append('(');
            e.Show(sb);
            sb.Append(") ");
        }
        sb.Append(']');
    }
}

// ---------------------------------------------------------------- functions

public sealed class Formal
{
    public readonly Pos Pos;
    public readonly Symbol Name;
    public readonly Expr? Default;
    public Formal(Pos pos, Symbol name, Expr? def) { Pos = pos; Name = name; Default = def; }
}

public sealed class LambdaExpr : Expr
{
    /// <summary>The `x` of `x: …` or `x @ { … }: …`; null when absent.</summary>
    public readonly Symbol? Arg;
    /// <summary>Null for a plain `x: …` function.</summary>
    public readonly Formal[]? Formals;
    public readonly bool Ellipsis;
    public readonly Expr Body;
    public Symbol? Name { get; private set; }

    public LambdaExpr(Pos pos, Symbol? arg, Formal[]? formals, bool ellipsis, Expr body)
    {
        Pos = pos; Arg = arg; Formals = formals; Ellipsis = ellipsis; Body = body;
    }

    public bool HasFormals => Formals is not null;
    /// <summary>Names the lambda after the attribute it is bound to; as in Nix 2.8 the name also
    /// goes to a lambda that is the body (the later arguments of a curried function).</summary>
    public override void SetName(Symbol name)
    {
        Name = name;
        Body.SetName(name);
    }

    public int SlotCount => (Arg is null ? 0 : 1) + (Formals?.Length ?? 0);

    public bool HasFormal(Symbol s)
    {
        foreach (var f in Formals!) if (ReferenceEquals(f.Name, s)) return true;
        return false;
    }

    /// <summary>"'name' at file:line:col" or "anonymous function at …", as Nix words it.</summary>
    public string ShowNamePos() =>
        (Name is not null ? $"'{Name.Name}'" : "anonymous function") + " at " + Pos;

    public override void Bind(Scope scope)
    {
        var names = new List<Symbol>();
        if (Arg is not null) names.Add(Arg);
        if (Formals is not null) foreach (var f in Formals) names.Add(f.Name);
        var inner = Scope.ForNames(scope, names);
        if (Formals is not null)
            foreach (var f in Formals) f.Default?.Bind(inner);
        Body.Bind(inner);
    }

    public override Value Eval(EvalState state, Env env) => new LambdaValue(this, env);

    public override void Show(StringBuilder sb)
    {
        sb.Append('(');
        if (Formals is not null)
        {
            sb.Append("{ ");
            bool first = true;
            foreach (var f in Formals)
            {
                if (first) first = false; else sb.Append(", ");
                ShowId(sb, f.Name.Name);
                if (f.Default is not null)
                {
                    sb.Append(" ? ");
                    f.Default.Show(sb);
                }
            }
            if (Ellipsis)
            {
                if (!first) sb.Append(", ");
                sb.Append("...");
            }
            sb.Append(" }");
            if (Arg is not null) sb.Append(" @ ");
        }
        if (Arg is not null) ShowId(sb, Arg.Name);
        sb.Append(": ");
        Body.Show(sb);
        sb.Append(')');
    }
}

public sealed class CallExpr : Expr
{
    public readonly Expr Fn;
    public readonly List<Expr> Args;
    public CallExpr(Pos pos, Expr fn, List<Expr> args) { Pos = pos; Fn = fn; Args = args; }

    // The arguments as an array, fixed at bind time (PERF: no list enumerator in Eval).
    private Expr[] _args = Array.Empty<Expr>();

    public override void Bind(Scope scope)
    {
        Fn.Bind(scope);
        foreach (var a in Args) a.Bind(scope);
        _args = Args.ToArray();
    }

    /// <remarks>Every call that may enter a Nix function is a real call, never a tail call: each
    /// level of Nix recursion must take stack, so that runaway recursion, even in tail position,
    /// ends in a stack overflow as it does in Nix instead of running forever.</remarks>
    public override Value Eval(EvalState state, Env env)
    {
        var f = Fn.Eval(state, env);
        var args = _args;
        Value result;
        if (args.Length == 1)
        {
            // PERF: a direct lambda call skips a frame (deep recursion makes every GC walk them all).
            var arg = args[0].MaybeThunk(state, env);
            result = f is LambdaValue lam ? state.CallLambda(lam, arg, Pos) : state.CallFunction(f, arg, Pos);
        }
        else if (args.Length == 2)
        {
            if (f is PrimOpValue { Fn2: { } fn2 } op2)
            {
                // A binary builtin enters Nix code only by forcing a thunk, which takes a frame.
                if (op2.StrictInOrder)
                {
                    var x = StrictArg(state, args[0], env);
                    return fn2(state, x, StrictArg(state, args[1], env), Pos);
                }
                return fn2(state, args[0].MaybeThunk(state, env), args[1].MaybeThunk(state, env), Pos);
            }
            result = state.CallFunction2(f, args[0].MaybeThunk(state, env), args[1].MaybeThunk(state, env), Pos);
        }
        else
        {
            result = EvalMany(state, env, f, args);
        }
        GC.KeepAlive(env); // keeps the calls above from being tail calls (see remarks)
        return result;
    }

    private Value EvalMany(EvalState state, Env env, Value f, Expr[] args)
    {
        if (f is PrimOpValue op && op.Arity == args.Length)
        {
            var vs = new Value[args.Length];
            for (int i = 0; i < vs.Length; i++) vs[i] = args[i].MaybeThunk(state, env);
            return state.CallFunction(f, vs, Pos);
        }
        // PERF: curried lambdas take their arguments one by one; no argument array needed.
        for (int i = 0; i < args.Length; i++) f = state.CallFunction(f, args[i].MaybeThunk(state, env), Pos);
        return f;
    }

    /// <summary>An argument of a <see cref="PrimOpValue.StrictInOrder"/> builtin, forced here as
    /// the builtin would force it. A variable's value is forced at the call's position (where Nix
    /// reports infinite recursion); any other expression would be a fresh thunk forced at once,
    /// so it is simply evaluated.</summary>
    private Value StrictArg(EvalState state, Expr arg, Env env) =>
        arg is VarExpr ? state.Force(arg.MaybeThunk(state, env), Pos) : arg.Eval(state, env);

    public override void Show(StringBuilder sb)
    {
        sb.Append('(');
        Fn.Show(sb);
        foreach (var a in Args)
        {
            sb.Append(' ');
            a.Show(sb);
        }
        sb.Append(')');
    }
}

// ---------------------------------------------------------------- control

public sealed class WithExpr : Expr
{
    public readonly Expr Attrs;
    public readonly Expr Body;
    public WithExpr(Pos pos, Expr attrs, Expr body) { Pos = pos; Attrs = attrs; Body = body; }

    public override void Bind(Scope scope)
    {
        Attrs.Bind(scope);
        Body.Bind(Scope.ForWith(scope));
    }

    public override Value Eval(EvalState state, Env env)
    {
        // The set is evaluated only when a variable lookup reaches it.
        var env2 = Env.One(env, Attrs.MaybeThunk(state, env));
        return Body.Eval(state, env2);
    }

    public override void Show(StringBuilder sb)
    {
        sb.Append("(with ");
        Attrs.Show(sb);
        sb.Append("; ");
        Body.Show(sb);
        sb.Append(')');
    }
}

public sealed class IfExpr : Expr
{
    public readonly Expr Cond, Then, Else;
    public IfExpr(Pos pos, Expr c, Expr t, Expr e) { Pos = pos; Cond = c; Then = t; Else = e; }

    public override void Bind(Scope scope) { Cond.Bind(scope); Then.Bind(scope); Else.Bind(scope); }

    public override Value Eval(EvalState state, Env env) =>
        (state.EvalBool(Cond, env, Pos) ? Then : Else).Eval(state, env);

    public override void Show(StringBuilder sb)
    {
        sb.Append("(if "); Cond.Show(sb); sb.Append(" then "); Then.Show(sb);
        sb.Append(" else "); Else.Show(sb); sb.Append(')');
    }
}

public sealed class AssertExpr : Expr
{
    public readonly Expr Cond, Body;
    public AssertExpr(Pos pos, Expr c, Expr b) { Pos = pos; Cond = c; Body = b; }

    public override void Bind(Scope scope) { Cond.Bind(scope); Body.Bind(scope); }

    public override Value Eval(EvalState state, Env env)
    {
        if (!state.EvalBool(Cond, env, Pos))
            throw new AssertionError($"assertion '{Cond}' failed", Pos);
        return Body.Eval(state, env);
    }

    public override void Show(StringBuilder sb)
    {
        sb.Append("assert "); Cond.Show(sb); sb.Append("; "); Body.Show(sb);
    }
}

// ---------------------------------------------------------------- operators

public sealed class NotExpr : Expr
{
    public readonly Expr E;
    public NotExpr(Pos pos, Expr e) { Pos = pos; E = e; }
    public override void Bind(Scope scope) => E.Bind(scope);
    public override Value Eval(EvalState state, Env env) => BoolValue.Of(!state.EvalBool(E, env, default));
    public override void Show(StringBuilder sb) { sb.Append("(! "); E.Show(sb); sb.Append(')'); }
}

public enum BinaryOp { Eq, Neq, And, Or, Impl, Update, ConcatLists }

public sealed class BinaryExpr : Expr
{
    public readonly BinaryOp Op;
    public readonly Expr Left, Right;
    public BinaryExpr(Pos pos, BinaryOp op, Expr l, Expr r) { Pos = pos; Op = op; Left = l; Right = r; }

    public override void Bind(Scope scope) { Left.Bind(scope); Right.Bind(scope); }

    public override Value Eval(EvalState state, Env env)
    {
        switch (Op)
        {
            case BinaryOp.Eq:
                return BoolValue.Of(state.EqValues(Left.Eval(state, env), Right.Eval(state, env)));
            case BinaryOp.Neq:
                return BoolValue.Of(!state.EqValues(Left.Eval(state, env), Right.Eval(state, env)));
            case BinaryOp.And:
                return BoolValue.Of(state.EvalBool(Left, env, Pos) && state.EvalBool(Right, env, Pos));
            case BinaryOp.Or:
                return BoolValue.Of(state.EvalBool(Left, env, Pos) || state.EvalBool(Right, env, Pos));
            case BinaryOp.Impl:
                return BoolValue.Of(!state.EvalBool(Left, env, Pos) || state.EvalBool(Right, env, Pos));
            case BinaryOp.Update:
            {
                // Nix checks the operands of `//` without a position.
                var a = state.ForceAttrs(Left.Eval(state, env), default);
                var b = state.ForceAttrs(Right.Eval(state, env), default);
                return EvalState.Update(a, b);
            }
            default:
            {
                var l = Left.Eval(state, env);
                return Builtins.ListBuiltins.Concat2(state, l, Right.Eval(state, env), Pos);
            }
        }
    }

    public override void Show(StringBuilder sb)
    {
        sb.Append('(');
        Left.Show(sb);
        sb.Append(Op switch
        {
            BinaryOp.Eq => " == ", BinaryOp.Neq => " != ", BinaryOp.And => " && ", BinaryOp.Or => " || ",
            BinaryOp.Impl => " -> ", BinaryOp.Update => " // ", _ => " ++ ",
        });
        Right.Show(sb);
        sb.Append(')');
    }
}

/// <summary>String interpolation and `+`: numbers add, paths and strings concatenate.</summary>
public sealed class ConcatStringsExpr : Expr
{
    public readonly bool ForceString;
    public readonly List<(Pos Pos, Expr Expr)> Parts;

    public ConcatStringsExpr(Pos pos, bool forceString, List<(Pos, Expr)> parts)
    {
        Pos = pos; ForceString = forceString; Parts = parts;
    }

    public override void Bind(Scope scope)
    {
        foreach (var p in Parts) p.Expr.Bind(scope);
    }

    public override Value Eval(EvalState state, Env env) => state.ConcatStrings(this, env);

    public override void Show(StringBuilder sb)
    {
        sb.Append('(');
        bool first = true;
        foreach (var p in Parts)
        {
            if (first) first = false; else sb.Append(" + ");
            p.Expr.Show(sb);
        }
        sb.Append(')');
    }
}
