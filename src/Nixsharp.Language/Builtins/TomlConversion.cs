// fromTOML's second half: TomlParser's plain .NET tree to Nix values, with Nix 2.8's rules
// (dates are rejected, a NUL ends a string, errors are prefixed "while parsing a TOML string").
namespace Nixsharp.Language.Builtins;

using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Syntax;

internal static class TomlConversion
{
    public static Value ToValue(EvalState st, string document, Pos pos)
    {
        TomlTable table;
        try
        {
            table = TomlParser.Parse(document);
        }
        catch (TomlException e)
        {
            throw new EvalError("while parsing a TOML string: " + e.Message, pos);
        }
        return Convert(st, table, pos);
    }

    private static Value Convert(EvalState st, object o, Pos pos) => o switch
    {
        TomlTable t => ConvertTable(st, t, pos),
        List<object> l => ListValue.Of(l.Select(x => Convert(st, x, pos)).ToArray()),
        string s => StringValue.Of(s.IndexOf('\0') is var nul and >= 0 ? s.Substring(0, nul) : s),
        long i => IntValue.Of(i),
        double d => new FloatValue(d),
        bool b => BoolValue.Of(b),
        TomlDateTime => throw new EvalError("while parsing a TOML string: Dates and times are not supported", pos),
        _ => throw new EvalError("while parsing a TOML string: unsupported value", pos),
    };

    private static Value ConvertTable(EvalState st, TomlTable t, Pos pos)
    {
        var b = new AttrsBuilder(t.Count);
        foreach (var (k, v) in t.Entries) b.Add(st.Symbols.Intern(k), Convert(st, v, pos));
        return b.Build();
    }
}
