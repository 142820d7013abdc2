// Values to JSON (builtins.toJSON and --json), byte-compatible with Nix 2.8.
namespace Nixsharp.Language.Output;

using System.Text;
using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Syntax;

public static class JsonWriter
{
    /// <summary>Nesting deeper than this fails as current Nix does (its max-call-depth default).</summary>
    private const int MaxDepth = 10000;

    public static string ToJson(EvalState st, Value v, bool strict, ContextBuilder ctx, Pos pos)
    {
        var sb = new StringBuilder();
        Write(st, sb, v, strict, ctx, pos, 0);
        return sb.ToString();
    }

    /// <param name="holder">The set's or list's value array `v` comes from (slot `slot`), if any.</param>
    private static void Write(EvalState st, StringBuilder sb, Value v, bool strict, ContextBuilder ctx, Pos pos, int depth,
        Value[]? holder = null, int slot = 0)
    {
        int limit = st.Settings.MaxCallDepth > 0 ? st.Settings.MaxCallDepth : MaxDepth;
        if (depth > limit) throw new EvalError("stack overflow; max-call-depth exceeded", pos);
        if (strict) v = holder is null ? st.Force(v, pos) : st.ForceIn(holder, slot, pos);
        else if (v is Thunk { Result: { } r }) v = r;
        switch (v)
        {
            case IntValue i: sb.Append(i.V); break;
            case BoolValue b: sb.Append(b.V ? "true" : "false"); break;
            case StringValue s:
                ctx.Add(s.Context);
                AppendString(sb, s.S);
                break;
            case PathValue p:
                AppendString(sb, st.CopyPathToStore(ctx, p.P, pos));
                break;
            case NullValue: sb.Append("null"); break;
            case FloatValue f: sb.Append(NumberFormat.FormatFloat(f.V)); break;
            case AttrsValue a:
            {
                if (a.Get(st.S.ToStringSym) is { } toStr)
                {
                    var res = st.CallFunction(toStr, a, pos);
                    AppendString(sb, st.CoerceToString(pos, res, ctx, false, false));
                    break;
                }
                int outIdx = a.IndexOf(st.S.OutPath);
                if (outIdx >= 0)
                {
                    Write(st, sb, a.Values[outIdx], strict, ctx, a.PosOf(outIdx), depth + 1, a.Values, outIdx);
                    break;
                }
                sb.Append('{');
                bool first = true;
                foreach (var idx in a.LexicographicOrder())
                {
                    if (!first) sb.Append(',');
                    first = false;
                    AppendString(sb, a.Names[idx].Name);
                    sb.Append(':');
                    Write(st, sb, a.Values[idx], strict, ctx, a.PosOf(idx), depth + 1, a.Values, idx);
                }
                sb.Append('}');
                break;
            }
            case ListValue l:
            {
                sb.Append('[');
                for (int i = 0; i < l.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Write(st, sb, l.Items[i], strict, ctx, pos, depth + 1, l.Items, i);
                }
                sb.Append(']');
                break;
            }
            default:
            {
                var err = new TypeError($"cannot convert {EvalState.ShowType(v)} to JSON", EvalState.DeterminePos(v, pos));
                err.AddTrace(pos, "message for the trace");
                throw err;
            }
        }
    }

    public static void AppendString(StringBuilder sb, string s)
    {
        const string hex = "0123456789abcdef";
        sb.Append('"');
        // PERF: copy runs of characters that need no escaping in one go.
        int run = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c >= 32 && c != '"' && c != '\\') continue;
            sb.Append(s, run, i - run);
            run = i + 1;
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default: sb.Append("\\u00").Append(hex[(c >> 4) & 0xf]).Append(hex[c & 0xf]); break;
            }
        }
        sb.Append(s, run, s.Length - run);
        sb.Append('"');
    }
}
