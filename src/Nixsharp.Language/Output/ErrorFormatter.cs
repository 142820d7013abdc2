// Renders errors the way Nix 2.8 prints them: "error: msg", the position, three lines of source
// with a caret, suggestions and (with --show-trace) the trace, all indented under "error: ".
namespace Nixsharp.Language.Output;

using System.Text;
using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Syntax;

public static class ErrorFormatter
{
    /// <summary>The full text for stderr, without the final newline.</summary>
    public static string Format(NixError e, bool showTrace, Func<string, string?>? readFile = null, string level = "error")
    {
        var oss = new StringBuilder();
        oss.Append(e.Message).Append('\n');
        AppendPos(oss, e.Pos, readFile);
        if (e.Suggestions is { Count: > 0 } s)
            oss.Append("Did you mean ").Append(Suggest.Format(s)).Append("?\n");
        if (showTrace)
        {
            foreach (var t in e.Traces)
            {
                oss.Append("\n\u00e2\u0080\u00a6 " /* …  in UTF-8 */).Append(t.Message).Append('\n');
                AppendPos(oss, t.Pos, readFile);
            }
        }
        var prefix = level + ": ";
        return Indent(prefix, new string(' ', prefix.Length), Chomp(oss.ToString()));
    }

    private static void AppendPos(StringBuilder oss, Pos pos, Func<string, string?>? readFile)
    {
        if (!pos.IsSet) return;
        oss.Append('\n');
        oss.Append("at ").Append(pos.File!.DisplayName).Append(':').Append(pos.Line);
        if (pos.Column > 0) oss.Append(':').Append(pos.Column);
        oss.Append(':');
        var lines = CodeLines(pos, readFile);
        if (lines is { } l)
        {
            oss.Append('\n');
            if (l.Prev is not null) oss.Append('\n').Append(LineNo(pos.Line - 1)).Append(l.Prev);
            if (l.Err is not null)
            {
                oss.Append('\n').Append(LineNo(pos.Line)).Append(l.Err);
                if (pos.Column > 0) oss.Append('\n').Append("      |").Append(' ', pos.Column).Append('^');
            }
            if (l.Next is not null) oss.Append('\n').Append(LineNo(pos.Line + 1)).Append(l.Next);
            oss.Append('\n');
        }
    }

    private static string LineNo(int n) => " " + n.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(5) + "| ";

    private static (string? Prev, string? Err, string? Next)? CodeLines(Pos pos, Func<string, string?>? readFile)
    {
        var file = pos.File!;
        string? text;
        bool fromFile = file.Origin == SourceOrigin.File;
        if (fromFile) text = readFile is null ? file.Text : readFile(file.Path);
        else text = file.Text;
        if (text is null) return null;
        string? prev = null, err = null, next = null;
        int pl = pos.Line - 1;
        int count = 0;
        int start = 0;
        while (true)
        {
            int nl = text.IndexOf('\n', start);
            string line;
            if (nl < 0)
            {
                // Nix reads files line by line and drops a last line with no newline;
                // for strings it keeps it.
                if (fromFile)
                {
                    if (err is not null) return (prev, err, next);
                    return null;
                }
                line = text.Substring(start);
            }
            else line = text.Substring(start, nl - start);
            count++;
            if (count == pl) prev = line;
            else if (count == pl + 1) err = line;
            else if (count == pl + 2) { next = line; break; }
            if (nl < 0) break;
            start = nl + 1;
        }
        return (prev, err, next);
    }

    internal static string Chomp(string s)
    {
        int i = s.Length - 1;
        while (i >= 0 && s[i] is ' ' or '\n' or '\r' or '\t') i--;
        return s.Substring(0, i + 1);
    }

    private static string Indent(string first, string rest, string s)
    {
        var res = new StringBuilder();
        bool isFirst = true;
        int at = 0;
        while (at <= s.Length && s.Length > 0)
        {
            int end = s.IndexOf('\n', at);
            var line = end < 0 ? s.Substring(at) : s.Substring(at, end - at);
            if (!isFirst) res.Append('\n');
            res.Append(Chomp((isFirst ? first : rest) + line));
            isFirst = false;
            if (end < 0) break;
            at = end + 1;
        }
        return res.ToString();
    }
}
