// The tokenizer: a hand-written equivalent of Nix's flex scanner (longest match, first rule on
// ties, a stack of start states for strings, indented strings and paths). It runs to the end of
// the input up front; a lexical error becomes an Error token so parse errors before it win.
namespace Nixsharp.Language.Syntax;

public enum TokenKind
{
    Eof, Error,
    Id, Int, Float, Str, IndStr, Path, HPath, SPath, Uri, PathEnd,
    DollarCurly, IndStringOpen, IndStringClose,
    If, Then, Else, Assert, With, Let, In, Rec, Inherit, OrKw, Ellipsis,
    Eq, Neq, Leq, Geq, And, Or, Impl, Update, Concat,
    /// <summary>Any other single byte; Char holds it.</summary>
    Char,
}

public readonly struct Token
{
    public readonly TokenKind Kind;
    public readonly char Char;
    public readonly int Line, Column;
    /// <summary>Token text (identifier, unescaped string, path) or the error message.</summary>
    public readonly string? Text;
    public readonly long IntValue;
    public readonly double FloatValue;
    /// <summary>For IndStr: whether the text is raw indentation-bearing text (vs. an escape).</summary>
    public readonly bool HasIndentation;
    /// <summary>The position just past the token (bison's last_line/last_column).</summary>
    public readonly int EndLine, EndColumn;

    public Token(TokenKind kind, int line, int col, string? text = null, char ch = '\0',
        long i = 0, double f = 0, bool hasIndentation = false, int endLine = 0, int endCol = 0)
    {
        Kind = kind; Line = line; Column = col; Text = text; Char = ch;
        IntValue = i; FloatValue = f; HasIndentation = hasIndentation;
        EndLine = endLine == 0 ? line : endLine; EndColumn = endCol == 0 ? col : endCol;
    }

    public bool Is(char c) => Kind == TokenKind.Char && Char == c;

    /// <summary>The token's name as Nix's bison parser reports it.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.Eof => "end of file",
        // Characters the grammar never mentions are "invalid token" to bison.
        TokenKind.Char => "{}[]();:@,.=?<>+-*/!\"".IndexOf(Char) >= 0 ? $"'{Char}'" : "invalid token",
        _ => KindName(Kind),
    };

    public static string KindName(TokenKind k) => k switch
    {
        TokenKind.Id => "ID", TokenKind.Int => "INT", TokenKind.Float => "FLOAT", TokenKind.Str => "STR",
        TokenKind.IndStr => "IND_STR", TokenKind.Path => "PATH", TokenKind.HPath => "HPATH",
        TokenKind.SPath => "SPATH", TokenKind.Uri => "URI", TokenKind.PathEnd => "PATH_END",
        TokenKind.DollarCurly => "DOLLAR_CURLY", TokenKind.IndStringOpen => "IND_STRING_OPEN",
        TokenKind.IndStringClose => "IND_STRING_CLOSE", TokenKind.If => "IF", TokenKind.Then => "THEN",
        TokenKind.Else => "ELSE", TokenKind.Assert => "ASSERT", TokenKind.With => "WITH",
        TokenKind.Let => "LET", TokenKind.In => "IN", TokenKind.Rec => "REC", TokenKind.Inherit => "INHERIT",
        TokenKind.OrKw => "OR_KW", TokenKind.Ellipsis => "ELLIPSIS", TokenKind.Eq => "EQ",
        TokenKind.Neq => "NEQ", TokenKind.Leq => "LEQ", TokenKind.Geq => "GEQ", TokenKind.And => "AND",
        TokenKind.Or => "OR", TokenKind.Impl => "IMPL", TokenKind.Update => "UPDATE",
        TokenKind.Concat => "CONCAT", TokenKind.Eof => "end of file",
        _ => k.ToString(),
    };
}

public sealed class Lexer
{
    private enum State { Initial, Default, String, IndString, PathStart, InPath, InPathSlash }

    private readonly string _s;
    private int _i;
    private int _line = 1, _col = 1;
    private readonly List<State> _stack = new() { State.Initial };
    private readonly List<Token> _tokens = new();
    // Where the last lexeme (including blanks and comments) started: Nix reports end of file there.
    private int _lastLine = 1, _lastCol = 1;

    private Lexer(string text) { _s = text; }

    public static List<Token> Tokenize(string text)
    {
        var lx = new Lexer(text);
        lx.Run();
        return lx._tokens;
    }

    private State Top => _stack[^1];
    private void Push(State s) => _stack.Add(s);
    private void Pop() { if (_stack.Count > 1) _stack.RemoveAt(_stack.Count - 1); }
    private void Replace(State s) { Pop(); Push(s); }

    private char At(int i) => i < _s.Length ? _s[i] : '\0';
    private bool Eof(int i) => i >= _s.Length;

    private void Advance(int len)
    {
        _lastLine = _line; _lastCol = _col;
        for (int k = 0; k < len; k++)
        {
            char c = _s[_i++];
            if (c == '\r')
            {
                if (_i < _s.Length && _s[_i] == '\n') { _i++; k++; }
                _line++; _col = 1;
            }
            else if (c == '\n') { _line++; _col = 1; }
            else _col++;
        }
    }

    private void Emit(TokenKind kind, int len, string? text = null, char ch = '\0', long iv = 0, double fv = 0, bool ind = false)
    {
        int line = _line, col = _col;
        Advance(len);
        _tokens.Add(new Token(kind, line, col, text, ch, iv, fv, ind, _line, _col));
    }

    private void EmitError(string message)
    {
        _tokens.Add(new Token(TokenKind.Error, _line, _col, message));
    }

    private void Run()
    {
        while (true)
        {
            bool ok = Top switch
            {
                State.String => ScanString(),
                State.IndString => ScanIndString(),
                State.PathStart => ScanPathStart(),
                State.InPath or State.InPathSlash => ScanInPath(),
                _ => ScanDefault(),
            };
            if (!ok) break;
        }
        _tokens.Add(new Token(TokenKind.Eof, _lastLine, _lastCol));
    }

    // ---- character classes ----
    private static bool IsIdStart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_';
    private static bool IsIdChar(char c) => IsIdStart(c) || c is (>= '0' and <= '9') or '\'' or '-';
    private static bool IsDigit(char c) => c is >= '0' and <= '9';
    private static bool IsPathChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-' or '+';
    private static bool IsUriSchemeChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '+' or '-' or '.';
    private static bool IsUriChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
        or '%' or '/' or '?' or ':' or '@' or '&' or '=' or '+' or '$' or ',' or '-' or '_' or '.' or '!' or '~' or '*' or '\'';

    // PERF: several rules start by scanning a run of path (or URI-scheme) characters. Remembering
    // where the current run ends keeps input such as `1+1+1+…` or `a.a.a…` linear, not quadratic.
    private (int From, int End) _pathRun = (-1, -1), _schemeRun = (-1, -1);

    private int PathCharRunEnd(int i) => RunEnd(i, ref _pathRun, IsPathChar);
    private int SchemeCharRunEnd(int i) => RunEnd(i, ref _schemeRun, IsUriSchemeChar);

    /// <summary>The end of the run of `isMember` characters at i, reusing the last run's end.</summary>
    private int RunEnd(int i, ref (int From, int End) run, Func<char, bool> isMember)
    {
        if (run.From >= 0 && i >= run.From && i <= run.End) return run.End;
        int j = i;
        while (isMember(At(j))) j++;
        if (j > i) run = (i, j);
        return j;
    }

    // ---- match-length functions for the DEFAULT rules (-1: no match) ----
    private int MatchId(int i)
    {
        if (!IsIdStart(At(i))) return -1;
        int j = i + 1;
        while (!Eof(j) && IsIdChar(_s[j])) j++;
        return j - i;
    }

    private int MatchInt(int i)
    {
        int j = i;
        while (!Eof(j) && IsDigit(_s[j])) j++;
        return j > i ? j - i : -1;
    }

    private int MatchFloat(int i)
    {
        int j = i;
        if (At(j) is >= '1' and <= '9')
        {
            while (IsDigit(At(j))) j++;
            if (At(j) != '.') return -1;
            j++;
            while (IsDigit(At(j))) j++;
        }
        else
        {
            if (At(j) == '0') j++;
            if (At(j) != '.' || !IsDigit(At(j + 1))) return -1;
            j++;
            while (IsDigit(At(j))) j++;
        }
        if (At(j) is 'e' or 'E')
        {
            int k = j + 1;
            if (At(k) is '+' or '-') k++;
            if (IsDigit(At(k)))
            {
                while (IsDigit(At(k))) k++;
                j = k;
            }
        }
        return j - i;
    }

    private int PathSegments(int j)
    {
        // (\/{PATH_CHAR}+)+\/?  returns end index, or -1 when no segment.
        int segs = 0;
        while (At(j) == '/' && IsPathChar(At(j + 1)))
        {
            j++;
            while (IsPathChar(At(j))) j++;
            segs++;
        }
        if (segs == 0) return -1;
        if (At(j) == '/') j++;
        return j;
    }

    private int MatchPath(int i)
    {
        int j = PathCharRunEnd(i);
        int e = PathSegments(j);
        return e < 0 ? -1 : e - i;
    }

    private int MatchHPath(int i)
    {
        if (At(i) != '~') return -1;
        int e = PathSegments(i + 1);
        return e < 0 ? -1 : e - i;
    }

    /// <summary>PATH_SEG followed by "${": the length of the PATH_SEG part, or -1.</summary>
    private int MatchPathSegDollar(int i)
    {
        int j = PathCharRunEnd(i);
        if (At(j) != '/') return -1;
        j++;
        return At(j) == '$' && At(j + 1) == '{' ? j - i : -1;
    }

    private int MatchHPathStartDollar(int i) =>
        At(i) == '~' && At(i + 1) == '/' && At(i + 2) == '$' && At(i + 3) == '{' ? 2 : -1;

    private int MatchSPath(int i)
    {
        if (At(i) != '<' || !IsPathChar(At(i + 1))) return -1;
        int j = i + 1;
        while (IsPathChar(At(j))) j++;
        while (At(j) == '/' && IsPathChar(At(j + 1)))
        {
            j++;
            while (IsPathChar(At(j))) j++;
        }
        return At(j) == '>' ? j + 1 - i : -1;
    }

    private int MatchUri(int i)
    {
        if (!(At(i) is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z'))) return -1;
        int j = SchemeCharRunEnd(i + 1);
        if (At(j) != ':') return -1;
        j++;
        int start = j;
        while (IsUriChar(At(j))) j++;
        return j > start ? j - i : -1;
    }

    private static readonly (string Text, TokenKind Kind)[] Keywords =
    {
        ("if", TokenKind.If), ("then", TokenKind.Then), ("else", TokenKind.Else), ("assert", TokenKind.Assert),
        ("with", TokenKind.With), ("let", TokenKind.Let), ("in", TokenKind.In), ("rec", TokenKind.Rec),
        ("inherit", TokenKind.Inherit), ("or", TokenKind.OrKw), ("...", TokenKind.Ellipsis),
        ("==", TokenKind.Eq), ("!=", TokenKind.Neq), ("<=", TokenKind.Leq), (">=", TokenKind.Geq),
        ("&&", TokenKind.And), ("||", TokenKind.Or), ("->", TokenKind.Impl), ("//", TokenKind.Update),
        ("++", TokenKind.Concat),
    };

    private bool ScanDefault()
    {
        if (Eof(_i)) return false;
        int i = _i;
        char c = _s[i];

        // Blanks and comments (matched before the general rules only when nothing longer competes;
        // none of the other rules can start with these characters except '/' for comments).
        if (c is ' ' or '\t' or '\r' or '\n')
        {
            int j = i;
            while (!Eof(j) && _s[j] is ' ' or '\t' or '\r' or '\n') j++;
            Advance(j - i);
            return true;
        }
        if (c == '#')
        {
            int j = i;
            while (!Eof(j) && _s[j] != '\r' && _s[j] != '\n') j++;
            Advance(j - i);
            return true;
        }

        // Candidates in rule order; the longest wins, the earliest on ties.
        int bestLen = 0;
        int bestRule = -1;
        void Consider(int len, int rule)
        {
            if (len > bestLen) { bestLen = len; bestRule = rule; }
        }

        int kwIndex = -1;
        for (int k = 0; k < Keywords.Length; k++)
        {
            var kw = Keywords[k].Text;
            if (string.CompareOrdinal(_s, i, kw, 0, kw.Length) == 0)
            {
                if (kw.Length > bestLen) { bestLen = kw.Length; bestRule = 0; kwIndex = k; }
            }
        }
        Consider(MatchId(i), 1);
        Consider(MatchInt(i), 2);
        Consider(MatchFloat(i), 3);
        if (c == '$' && At(i + 1) == '{') Consider(2, 4);
        if (c == '}') Consider(1, 5);
        if (c == '{') Consider(1, 6);
        if (c == '"') Consider(1, 7);
        if (c == '\'' && At(i + 1) == '\'')
        {
            int j = i + 2;
            while (At(j) == ' ') j++;
            Consider(At(j) == '\n' ? j + 1 - i : 2, 8);
        }
        int psd = MatchPathSegDollar(i);
        if (psd >= 0) Consider(psd + 2, 9);
        int hsd = MatchHPathStartDollar(i);
        if (hsd >= 0) Consider(hsd + 2, 9);
        Consider(MatchPath(i), 10);
        Consider(MatchHPath(i), 11);
        Consider(MatchSPath(i), 12);
        Consider(MatchUri(i), 13);
        if (c == '/' && At(i + 1) == '*')
        {
            int j = i + 2;
            bool closed = false;
            while (!Eof(j))
            {
                if (_s[j] == '*' && At(j + 1) == '/') { j += 2; closed = true; break; }
                j++;
            }
            if (closed) Consider(j - i, 14);
        }
        if (bestRule < 0) { bestLen = 1; bestRule = 15; }

        switch (bestRule)
        {
            case 0:
                Emit(Keywords[kwIndex].Kind, bestLen);
                break;
            case 1:
                Emit(TokenKind.Id, bestLen, _s.Substring(i, bestLen));
                break;
            case 2:
            {
                var text = _s.Substring(i, bestLen);
                if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v))
                {
                    EmitError($"invalid integer '{text}'");
                    return false;
                }
                Emit(TokenKind.Int, bestLen, iv: v);
                break;
            }
            case 3:
            {
                var text = _s.Substring(i, bestLen);
                double v = double.Parse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);
                // strtod reports overflow and underflow (including subnormal results) as range errors.
                bool underflow = (v == 0 && text.Any(ch => ch is >= '1' and <= '9' && text.IndexOf(ch) < (text.IndexOfAny(new[] { 'e', 'E' }) is var ei and >= 0 ? ei : text.Length)))
                    || (v != 0 && Math.Abs(v) < 2.2250738585072014E-308);
                if (double.IsInfinity(v) || underflow)
                {
                    EmitError($"invalid float '{text}'");
                    return false;
                }
                Emit(TokenKind.Float, bestLen, fv: v);
                break;
            }
            case 4:
                Push(State.Default);
                Emit(TokenKind.DollarCurly, 2);
                break;
            case 5:
                if (Top != State.Initial) Pop();
                Emit(TokenKind.Char, 1, ch: '}');
                break;
            case 6:
                Push(State.Default);
                Emit(TokenKind.Char, 1, ch: '{');
                break;
            case 7:
                Push(State.String);
                Emit(TokenKind.Char, 1, ch: '"');
                break;
            case 8:
                Push(State.IndString);
                Emit(TokenKind.IndStringOpen, bestLen);
                break;
            case 9:
                // A path followed by an interpolation: rescan in PATH_START.
                Push(State.PathStart);
                break;
            case 10:
            case 11:
            {
                var text = _s.Substring(i, bestLen);
                Push(text[^1] == '/' ? State.InPathSlash : State.InPath);
                Emit(bestRule == 10 ? TokenKind.Path : TokenKind.HPath, bestLen, text);
                break;
            }
            case 12:
                Emit(TokenKind.SPath, bestLen, _s.Substring(i, bestLen));
                break;
            case 13:
                Emit(TokenKind.Uri, bestLen, _s.Substring(i, bestLen));
                break;
            case 14:
                Advance(bestLen);
                break;
            default:
                Emit(TokenKind.Char, 1, ch: c);
                break;
        }
        return true;
    }

    private bool ScanPathStart()
    {
        int i = _i;
        if (At(i) == '~' && At(i + 1) == '/')
        {
            Replace(State.InPathSlash);
            Emit(TokenKind.HPath, 2, "~/");
            return true;
        }
        int j = i;
        while (IsPathChar(At(j))) j++;
        // Guaranteed by the DEFAULT rule that sent us here.
        j++;
        Replace(State.InPathSlash);
        Emit(TokenKind.Path, j - i, _s.Substring(i, j - i));
        return true;
    }

    private bool ScanInPath()
    {
        int i = _i;
        if (At(i) == '$' && At(i + 1) == '{')
        {
            Pop();
            Push(State.InPath);
            Push(State.Default);
            Emit(TokenKind.DollarCurly, 2);
            return true;
        }
        // {PATH}|{PATH_SEG}|{PATH_CHAR}+
        int best = Math.Max(MatchPath(i), -1);
        int j = i;
        while (IsPathChar(At(j))) j++;
        int seg = At(j) == '/' ? j + 1 - i : -1;
        int chars = j > i ? j - i : -1;
        best = Math.Max(best, Math.Max(seg, chars));
        if (best > 0)
        {
            var text = _s.Substring(i, best);
            Replace(text[^1] == '/' ? State.InPathSlash : State.InPath);
            Emit(TokenKind.Str, best, text);
            return true;
        }
        if (Top == State.InPathSlash)
        {
            EmitError("path has a trailing slash");
            return false;
        }
        Pop();
        // Nix's scanner backs up before emitting PATH_END, so it carries the previous token's position.
        var prev = _tokens[^1];
        _tokens.Add(new Token(TokenKind.PathEnd, prev.Line, prev.Column, endLine: prev.EndLine, endCol: prev.EndColumn));
        return true;
    }

    private bool ScanString()
    {
        int i = _i;
        if (Eof(i)) return false;
        char c = _s[i];
        if (c == '$' && At(i + 1) == '{')
        {
            Push(State.Default);
            Emit(TokenKind.DollarCurly, 2);
            return true;
        }
        if (c == '"')
        {
            Pop();
            Emit(TokenKind.Char, 1, ch: '"');
            return true;
        }
        int j = i;
        while (!Eof(j))
        {
            char d = _s[j];
            if (d == '"') break;
            if (d == '\\')
            {
                if (Eof(j + 1)) break;
                j += 2;
                continue;
            }
            if (d == '$')
            {
                char n = At(j + 1);
                if (Eof(j + 1)) break;
                if (n == '{') break;
                if (n == '"') { j++; break; }
                if (n == '\\')
                {
                    if (Eof(j + 2)) break;
                    j += 3;
                    continue;
                }
                j += 2;
                continue;
            }
            j++;
        }
        if (j == i)
        {
            // A lone '$', '\' or '$\' at the end of the input: the parser reports it.
            int len = Eof(i + 1) ? 1 : 2;
            Emit(TokenKind.Str, Math.Min(len, _s.Length - i), "");
            return true;
        }
        Emit(TokenKind.Str, j - i, Unescape(_s, i, j - i));
        return true;
    }

    /// <summary>Nix's string unescaping: \n \r \t, any other escaped char as itself, CR/CRLF to LF.</summary>
    public static string Unescape(string s, int start, int length)
    {
        var sb = new System.Text.StringBuilder(length);
        int end = start + length;
        for (int k = start; k < end; k++)
        {
            char c = s[k];
            if (c == '\\' && k + 1 < end)
            {
                c = s[++k];
                sb.Append(c switch { 'n' => '\n', 'r' => '\r', 't' => '\t', _ => c });
            }
            else if (c == '\r')
            {
                sb.Append('\n');
                if (k + 1 < end && s[k + 1] == '\n') k++;
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private bool ScanIndString()
    {
        int i = _i;
        if (Eof(i)) return false;
        char c = _s[i];
        if (c == '\'' && At(i + 1) == '\'')
        {
            char n = At(i + 2);
            if (n == '$') { Emit(TokenKind.IndStr, 3, "$"); return true; }
            if (n == '\'') { Emit(TokenKind.IndStr, 3, "''"); return true; }
            if (n == '\\' && !Eof(i + 3))
            {
                Emit(TokenKind.IndStr, 4, Unescape(_s, i + 2, 2));
                return true;
            }
            Pop();
            Emit(TokenKind.IndStringClose, 2);
            return true;
        }
        if (c == '$' && At(i + 1) == '{')
        {
            Push(State.Default);
            Emit(TokenKind.DollarCurly, 2);
            return true;
        }
        int j = i;
        while (!Eof(j))
        {
            char d = _s[j];
            if (d == '$')
            {
                if (Eof(j + 1) || _s[j + 1] is '{' or '\'') break;
                j += 2;
                continue;
            }
            if (d == '\'')
            {
                if (Eof(j + 1) || _s[j + 1] is '\'' or '$') break;
                j += 2;
                continue;
            }
            j++;
        }
        if (j > i)
        {
            Emit(TokenKind.IndStr, j - i, _s.Substring(i, j - i), ind: true);
            return true;
        }
        if (c == '$') { Emit(TokenKind.IndStr, 1, "$"); return true; }
        Emit(TokenKind.IndStr, 1, "'");
        return true;
    }
}
