// Selection paths of -A (`a.b."c.d".0`), walked as nix-instantiate does, auto-calling functions.
namespace Nixsharp.Cli.Commands;

using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Syntax;

public static class AttrPath
{
    public static List<string> Parse(string s)
    {
        var res = new List<string>();
        var cur = new System.Text.StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '.') { res.Add(cur.ToString()); cur.Clear(); }
            else if (c == '"')
            {
                i++;
                while (true)
                {
                    if (i >= s.Length) throw new ParseError($"missing closing quote in selection path '{s}'", default);
                    if (s[i] == '"') break;
                    cur.Append(s[i++]);
                }
            }
            else cur.Append(c);
        }
        if (cur.Length > 0) res.Add(cur.ToString());
        return res;
    }

    public static (Value Value, Pos Pos) Find(EvalState st, string attrPath, AttrsValue autoArgs, Value root)
    {
        Value v = root;
        Pos pos = default;
        foreach (var attr in Parse(attrPath))
        {
            v = st.AutoCall(v, autoArgs);
            v = st.Force(v);
            bool isIndex = attr.Length > 0 && attr.All(char.IsAsciiDigit) && uint.TryParse(attr, out _);
            if (!isIndex)
            {
                if (v is not AttrsValue a)
                    throw new TypeError($"the expression selected by the selection path '{attrPath}' should be a set but is {EvalState.ShowType(v)}");
                if (attr.Length == 0) throw new EvalError($"empty attribute name in selection path '{attrPath}'");
                int i = a.IndexOf(st.Symbols.Intern(attr));
                if (i < 0)
                    throw new EvalError($"attribute '{attr}' in selection path '{attrPath}' not found")
                    {
                        Suggestions = Suggest.BestMatches(a.Names.Select(n => n.Name), attr),
                    };
                v = a.Values[i];
                pos = a.PosOf(i);
            }
            else
            {
                uint index = uint.Parse(attr);
                if (v is not ListValue l)
                    throw new TypeError($"the expression selected by the selection path '{attrPath}' should be a list but is {EvalState.ShowType(v)}");
                if (index >= l.Count) throw new EvalError($"list index {index} in selection path '{attrPath}' is out of range");
                v = l.Items[index];
                pos = default;
            }
        }
        return (v, pos);
    }
}
