// Prints values exactly as `nix-instantiate --eval` 2.8 does, «repeated» and <CODE> included.
namespace Nixsharp.Language.Output;

using System.Text;
using Nixsharp.Language.Evaluation;

public static class ValuePrinter
{
    /// <summary>Renders a value; with trackRepeated, a set or list seen before prints «repeated».</summary>
    public static string Print(EvalState state, Value v, bool trackRepeated = true)
    {
        var sb = new StringBuilder();
        var seen = trackRepeated ? new HashSet<object>(ReferenceEqualityComparer.Instance) : null;
        // The printed value is a copy of the caller's, so a short list at the top has an identity of its own.
        Print(sb, v, seen, new object());
        return sb.ToString();
    }

    private static void Print(StringBuilder sb, Value v, HashSet<object>? seen) => Print(sb, v, seen, v);

    /// <param name="cell">What holds the value. Nix stores lists of up to two elements inside the
    /// value cell itself, so their identity for «repeated» is the holder, not the list.</param>
    private static void Print(StringBuilder sb, Value v, HashSet<object>? seen, object cell)
    {
        if (v is Thunk t)
        {
            if (t.Result is null) { sb.Append("<CODE>"); return; }
            v = t.Result;
        }
        switch (v)
        {
            case IntValue i: sb.Append(i.V); break;
            case BoolValue b: sb.Append(b.V ? "true" : "false"); break;
            case StringValue s: AppendString(sb, s.S); break;
            case PathValue p: sb.Append(p.P); break;
            case NullValue: sb.Append("null"); break;
            case FloatValue f: sb.Append(NumberFormat.FormatFloat(f.V)); break;
            case LambdaValue: sb.Append("<LAMBDA>"); break;
            case PrimOpValue: sb.Append("<PRIMOP>"); break;
            case PrimOpAppValue: sb.Append("<PRIMOP-APP>"); break;
            case AttrsValue a:
                if (seen is not null && a.Count > 0 && !seen.Add(a)) { sb.Append("\u00c2\u00abrepeated\u00c2\u00bb" /* «repeated» in UTF-8 */); break; }
                sb.Append("{ ");
                foreach (var idx in a.LexicographicOrder())
                {
                    Syntax.Expr.ShowId(sb, a.Names[idx].Name);
                    sb.Append(" = ");
                    Print(sb, a.Values[idx], seen);
                    sb.Append("; ");
                }
                sb.Append('}');
                break;
            case ListValue l:
                if (seen is not null && l.Count > 0 && !seen.Add(l.Count <= 2 ? cell : l.Items)) { sb.Append("\u00c2\u00abrepeated\u00c2\u00bb" /* «repeated» in UTF-8 */); break; }
                sb.Append("[ ");
                foreach (var item in l.Items)
                {
                    Print(sb, item, seen);
                    sb.Append(' ');
                }
                sb.Append(']');
                break;
            default:
                sb.Append("<CODE>");
                break;
        }
    }

    /// <summary>A string literal as Nix prints it: quotes, \\ \" \n \r \t and \${ escaped.</summary>
    public static void AppendString(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            switch (c)
            {
                case '"': case '\\': sb.Append('\\').Append(c); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '$' when i + 1 < s.Length && s[i + 1] == '{': sb.Append("\\$"); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }
}
