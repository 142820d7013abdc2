// Values to XML (builtins.toXML and --xml) in Nix 2.8's layout: two-space indent,
// attributes in name order, derivations shown once.
namespace Nixsharp.Language.Output;

using System.Text;
using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Syntax;

public sealed class XmlWriter
{
    private readonly EvalState _st;
    private readonly StringBuilder _sb = new();
    private readonly bool _strict, _location;
    private readonly ContextBuilder _ctx;
    private readonly HashSet<string> _drvsSeen = new(StringComparer.Ordinal);
    // The sets and lists being written, outermost first. One met again inside itself (builtins
    // holds builtins) would be written forever: Nix writes until its stack overflows (gigabytes,
    // then this error); nixsharp gives the error at once.
    private readonly HashSet<Value> _open = new(ReferenceEqualityComparer.Instance);
    private int _depth;

    private XmlWriter(EvalState st, bool strict, bool location, ContextBuilder ctx)
    {
        _st = st; _strict = strict; _location = location; _ctx = ctx;
    }

    public static string ToXml(EvalState st, Value v, bool strict, bool location, ContextBuilder ctx, Pos pos)
    {
        var w = new XmlWriter(st, strict, location, ctx);
        w._sb.Append("<?xml version='1.0' encoding='utf-8'?>\n");
        w.Open("expr", null);
        w.WriteValue(v, pos);
        w.Close("expr");
        return w._sb.ToString();
    }

    private void Indent() => _sb.Append(' ', _depth * 2);

    private void Attrs(SortedDictionary<string, string>? attrs)
    {
        if (attrs is null) return;
        foreach (var (k, v) in attrs)
        {
            _sb.Append(' ').Append(k).Append("=\"");
            foreach (var c in v)
            {
                _sb.Append(c switch
                {
                    '"' => "&quot;", '<' => "&lt;", '>' => "&gt;", '&' => "&amp;", '\n' => "&#xA;",
                    _ => c.ToString(),
                });
            }
            _sb.Append('"');
        }
    }

    private void Open(string name, SortedDictionary<string, string>? attrs)
    {
        Indent();
        _sb.Append('<').Append(name);
        Attrs(attrs);
        _sb.Append(">\n");
        _depth++;
    }

    private void Close(string name)
    {
        _depth--;
        Indent();
        _sb.Append("</").Append(name).Append(">\n");
    }

    private void Empty(string name, SortedDictionary<string, string>? attrs = null)
    {
        Indent();
        _sb.Append('<').Append(name);
        Attrs(attrs);
        _sb.Append(" />\n");
    }

    private static SortedDictionary<string, string> One(string k, string v) =>
        new(StringComparer.Ordinal) { [k] = v };

    private static void AddPos(SortedDictionary<string, string> attrs, Pos pos)
    {
        attrs["path"] = pos.File is null ? "" : pos.File.Origin == SourceOrigin.File ? pos.File.Path : pos.File.Text;
        attrs["line"] = pos.Line.ToString(System.Globalization.CultureInfo.InvariantCulture);
        attrs["column"] = pos.Column.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private void ShowAttrs(AttrsValue a)
    {
        foreach (var idx in a.LexicographicOrder())
        {
            var attrs = One("name", a.Names[idx].Name);
            var p = a.PosOf(idx);
            if (_location && p.IsSet) AddPos(attrs, p);
            Open("attr", attrs);
            WriteValue(a.Values[idx], p);
            Close("attr");
        }
    }

    /// <summary>Nesting deeper than this is an error (Nix 2.8 recurses until it runs out of memory).</summary>
    private const int MaxDepth = 10000;

    private void Enter(Value container)
    {
        if (!_open.Add(container)) throw _st.StackOverflow();
    }

    private void WriteValue(Value v, Pos pos)
    {
        if (_depth > MaxDepth) throw new EvalError("stack overflow; max-call-depth exceeded", pos);
        if (_strict) v = _st.Force(v, pos);
        else if (v is Thunk { Result: { } r }) v = r;
        switch (v)
        {
            case IntValue i: Empty("int", One("value", i.V.ToString(System.Globalization.CultureInfo.InvariantCulture))); break;
            case BoolValue b: Empty("bool", One("value", b.V ? "true" : "false")); break;
            case StringValue s:
                _ctx.Add(s.Context);
                Empty("string", One("value", s.S));
                break;
            case PathValue p: Empty("path", One("value", p.P)); break;
            case NullValue: Empty("null"); break;
            case FloatValue f: Empty("float", One("value", NumberFormat.FormatFloat(f.V))); break;
            case AttrsValue a when _st.IsDerivation(a):
            {
                var attrs = new SortedDictionary<string, string>(StringComparer.Ordinal);
                string drvPath = "";
                int di = a.IndexOf(_st.S.DrvPath);
                if (di >= 0)
                {
                    var dv = _strict ? _st.Force(a.Values[di], a.PosOf(di)) : a.Values[di];
                    if (dv is StringValue ds) attrs["drvPath"] = drvPath = ds.S;
                }
                int oi = a.IndexOf(_st.S.OutPath);
                if (oi >= 0)
                {
                    var ov = _strict ? _st.Force(a.Values[oi], a.PosOf(oi)) : a.Values[oi];
                    if (ov is StringValue os) attrs["outPath"] = os.S;
                }
                Open("derivation", attrs);
                if (drvPath.Length > 0 && _drvsSeen.Add(drvPath)) ShowAttrs(a);
                else Empty("repeated");
                Close("derivation");
                break;
            }
            case AttrsValue a:
                Enter(a);
                Open("attrs", null);
                ShowAttrs(a);
                Close("attrs");
                _open.Remove(a);
                break;
            case ListValue l:
                Enter(l);
                Open("list", null);
                foreach (var item in l.Items) WriteValue(item, pos);
                Close("list");
                _open.Remove(l);
                break;
            case LambdaValue lam:
            {
                var attrs = new SortedDictionary<string, string>(StringComparer.Ordinal);
                if (_location) AddPos(attrs, lam.Fn.Pos);
                Open("function", attrs);
                if (lam.Fn.Formals is not null)
                {
                    var pat = new SortedDictionary<string, string>(StringComparer.Ordinal);
                    if (lam.Fn.Arg is not null) pat["name"] = lam.Fn.Arg.Name;
                    if (lam.Fn.Ellipsis) pat["ellipsis"] = "1";
                    Open("attrspat", pat);
                    foreach (var f in lam.Fn.Formals.OrderBy(f => f.Name.Name, StringComparer.Ordinal))
                        Empty("attr", One("name", f.Name.Name));
                    Close("attrspat");
                }
                else Empty("varpat", One("name", lam.Fn.Arg!.Name));
                Close("function");
                break;
            }
            default:
                Empty("unevaluated");
                break;
        }
    }
}
