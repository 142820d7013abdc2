// A recursive-descent parser for the Nix grammar with the precedences of Nix 2.8's bison grammar.
// It builds the same tree shapes as Nix (so `--parse` output matches), reports bison-style
// "syntax error, unexpected X, expecting Y" messages, and binds variables when done.
namespace Nixsharp.Language.Syntax;

using Nixsharp.Language.Evaluation;

public sealed class Parser
{
    private readonly List<Token> _toks;
    private int _p;
    private readonly SourceFile _file;
    private readonly SymbolTable _symbols;
    private readonly string _basePath;
    private readonly string _home;
    private int _depth;
    private const int MaxDepth = 3000;

    private Parser(List<Token> toks, SourceFile file, SymbolTable symbols, string basePath, string home)
    {
        _toks = toks; _file = file; _symbols = symbols; _basePath = basePath; _home = home;
    }

    /// <summary>Parses and binds a whole source against the given scope.</summary>
    public static Expr Parse(SourceFile file, SymbolTable symbols, string basePath, string home, Scope scope)
    {
        var toks = Lexer.Tokenize(file.Text);
        var p = new Parser(toks, file, symbols, basePath, home);
        var e = p.ParseExpr();
        if (p.Cur.Kind != TokenKind.Eof) p.Fail("end of file");
        e.Bind(scope);
        return e;
    }

    // ---------------------------------------------------------------- token helpers

    private Token Cur => _toks[_p];
    private Token Peek(int k) => _toks[Math.Min(_p + k, _toks.Count - 1)];
    private Token Next() { var t = _toks[_p]; if (_p < _toks.Count - 1) _p++; return t; }
    private Pos PosOf(Token t) => new(_file, t.Line, t.Column);
    private Pos EndPosOf(Token t) => new(_file, t.EndLine, t.EndColumn);
    private bool IsChar(char c) => Cur.Is(c);

    private Exception Fail(string? expecting = null)
    {
        var t = Cur;
        if (t.Kind == TokenKind.Error) throw new ParseError(t.Text!, PosOf(t));
        var msg = "syntax error, unexpected " + t.Describe();
        if (expecting is not null) msg += ", expecting " + expecting;
        throw new ParseError(msg, PosOf(t));
    }

    private Token Expect(char c, string? expecting = null)
    {
        if (!IsChar(c)) throw Fail(expecting ?? new Token(TokenKind.Char, 0, 0, ch: c).Describe());
        return Next();
    }

    private Token Expect(TokenKind k)
    {
        if (Cur.Kind != k) throw Fail(Token.KindName(k));
        return Next();
    }

    private void Enter()
    {
        if (++_depth > MaxDepth)
            throw new ParseError("expression nesting too deep (more than " + MaxDepth + " levels)", PosOf(Cur));
    }

    private void Leave() => _depth--;

    // ---------------------------------------------------------------- expressions

    private Expr ParseExpr()
    {
        Enter();
        try { return ParseFunction(); }
        finally { Leave(); }
    }

    private Expr ParseFunction()
    {
        var t = Cur;
        switch (t.Kind)
        {
            case TokenKind.Id when Peek(1).Is(':'):
            {
                Next(); Next();
                var body = ParseExpr();
                return new LambdaExpr(PosOf(t), _symbols[t.Text!], null, false, body);
            }
            case TokenKind.Id when Peek(1).Is('@'):
            {
                Next(); Next();
                if (!IsChar('{')) throw Fail("'{'");
                Next();
                var (formals, ellipsis) = ParseFormals();
                Expect('}');
                Expect(':');
                var arg = _symbols[t.Text!];
                var body = ParseExpr();
                return new LambdaExpr(PosOf(t), arg, CheckFormals(formals, arg, PosOf(t)), ellipsis, body);
            }
            case TokenKind.Char when t.Char == '{' && LooksLikeFormals():
            {
                Next();
                var (formals, ellipsis) = ParseFormals();
                Expect('}');
                Symbol? arg = null;
                if (IsChar('@'))
                {
                    Next();
                    var id = Expect(TokenKind.Id);
                    arg = _symbols[id.Text!];
                    if (!IsChar(':')) throw Fail("':'");
                }
                else if (!IsChar(':')) throw Fail("':' or '@'");
                Next();
                var body = ParseExpr();
                return new LambdaExpr(PosOf(t), arg, CheckFormals(formals, arg, PosOf(t)), ellipsis, body);
            }
            case TokenKind.Assert:
            {
                Next();
                var cond = ParseExpr();
                if (!IsChar(';')) throw Fail("';'");
                Next();
                return new AssertExpr(PosOf(t), cond, ParseExpr());
            }
            case TokenKind.With:
            {
                Next();
                var attrs = ParseExpr();
                if (!IsChar(';')) throw Fail("';'");
                Next();
                return new WithExpr(PosOf(t), attrs, ParseExpr());
            }
            case TokenKind.Let when !Peek(1).Is('{'):
            {
                Next();
                var binds = new AttrsExpr(PosOf(t));
                ParseBinds(binds, t);
                if (Cur.Kind != TokenKind.In) throw Fail();
                Next();
                if (binds.Dynamic.Count > 0)
                    throw new ParseError("dynamic attributes not allowed in let", PosOf(t));
                var body = ParseExpr();
                return new LetExpr(PosOf(t), binds, body);
            }
            default:
                return ParseIf();
        }
    }

    /// <summary>After '{': does a function's formal list follow (rather than a set's bindings)?</summary>
    private bool LooksLikeFormals()
    {
        var a = Peek(1);
        if (a.Is('}')) return Peek(2).Is(':') || Peek(2).Is('@');
        if (a.Kind == TokenKind.Ellipsis) return true;
        if (a.Kind == TokenKind.Id)
        {
            var b = Peek(2);
            return b.Is(',') || b.Is('?') || b.Is('}');
        }
        return false;
    }

    private (List<Formal>, bool) ParseFormals()
    {
        var list = new List<Formal>();
        while (true)
        {
            if (Cur.Kind == TokenKind.Ellipsis) { Next(); return (list, true); }
            if (Cur.Kind != TokenKind.Id) return (list, false);
            var id = Next();
            Expr? def = null;
            if (IsChar('?')) { Next(); def = ParseExpr(); }
            list.Add(new Formal(PosOf(id), _symbols[id.Text!], def));
            if (!IsChar(','))
            {
                if (!IsChar('}')) throw Fail(def is null ? "'?' or '}' or ','" : "'}' or ','");
                return (list, false);
            }
            Next();
        }
    }

    private Formal[] CheckFormals(List<Formal> formals, Symbol? arg, Pos argPos)
    {
        // Nix orders formals by symbol, then position; duplicates are reported at the later one.
        var sorted = formals
            .OrderBy(f => f.Name.Id)
            .ThenBy(f => f.Pos.Line).ThenBy(f => f.Pos.Column)
            .ToArray();
        Formal? dup = null;
        for (int i = 0; i + 1 < sorted.Length; i++)
        {
            if (!ReferenceEquals(sorted[i].Name, sorted[i + 1].Name)) continue;
            var cand = sorted[i + 1];
            if (dup is null || cand.Name.Id < dup.Name.Id) dup = cand;
        }
        if (dup is not null)
            throw new ParseError($"duplicate formal function argument '{dup.Name.Name}'", dup.Pos);
        if (arg is not null && sorted.Any(f => ReferenceEquals(f.Name, arg)))
            throw new ParseError($"duplicate formal function argument '{arg.Name}'", argPos);
        return sorted;
    }

    private Expr ParseIf()
    {
        if (Cur.Kind != TokenKind.If) return ParseOp(0);
        var t = Next();
        var c = ParseExpr();
        if (Cur.Kind != TokenKind.Then) throw Fail("THEN");
        Next();
        var a = ParseExpr();
        if (Cur.Kind != TokenKind.Else) throw Fail("ELSE");
        Next();
        var b = ParseExpr();
        return new IfExpr(PosOf(t), c, a, b);
    }

    // Precedence levels, low to high, as in Nix's grammar.
    private const int PImpl = 1, POr = 2, PAnd = 3, PEq = 4, PCmp = 5, PUpdate = 6, PNot = 7,
        PAdd = 8, PMul = 9, PConcat = 10, PHas = 11, PNeg = 12;

    private static (int Prec, bool Right, bool NonAssoc) BinaryInfo(Token t) => t.Kind switch
    {
        TokenKind.Impl => (PImpl, true, false),
        TokenKind.Or => (POr, false, false),
        TokenKind.And => (PAnd, false, false),
        TokenKind.Eq or TokenKind.Neq => (PEq, false, true),
        TokenKind.Leq or TokenKind.Geq => (PCmp, false, true),
        TokenKind.Update => (PUpdate, true, false),
        TokenKind.Concat => (PConcat, true, false),
        TokenKind.Char => t.Char switch
        {
            '<' or '>' => (PCmp, false, true),
            '+' or '-' => (PAdd, false, false),
            '*' or '/' => (PMul, false, false),
            '?' => (PHas, false, true),
            _ => (-1, false, false),
        },
        _ => (-1, false, false),
    };

    private Expr ParseOp(int minPrec)
    {
        Enter();
        try
        {
            var startPos = PosOf(Cur);
            var lhs = ParseUnary();
            int lastNonAssoc = -1;
            while (true)
            {
                var t = Cur;
                var (prec, right, nonAssoc) = BinaryInfo(t);
                if (prec < 0 || prec < minPrec) break;
                if (nonAssoc && prec == lastNonAssoc) throw Fail();
                Next();
                var pos = startPos;
                if (t.Is('?'))
                {
                    var path = ParseAttrPath();
                    lhs = new HasAttrExpr(pos, lhs, path);
                }
                else
                {
                    var rhsPos = PosOf(Cur);
                    var rhs = ParseOp(right ? prec : prec + 1);
                    lhs = MakeBinary(t, lhs, rhs, pos, rhsPos);
                }
                lastNonAssoc = nonAssoc ? prec : -1;
            }
            return lhs;
        }
        finally { Leave(); }
    }

    private Expr Builtin(string name) => new VarExpr(default, _symbols[name]);

    private Expr MakeBinary(Token op, Expr l, Expr r, Pos pos, Pos rhsPos)
    {
        // Operators that are builtins in disguise, exactly as Nix's grammar desugars them.
        switch (op.Kind)
        {
            case TokenKind.Eq: return new BinaryExpr(pos, BinaryOp.Eq, l, r);
            case TokenKind.Neq: return new BinaryExpr(pos, BinaryOp.Neq, l, r);
            case TokenKind.And: return new BinaryExpr(pos, BinaryOp.And, l, r);
            case TokenKind.Or: return new BinaryExpr(pos, BinaryOp.Or, l, r);
            case TokenKind.Impl: return new BinaryExpr(pos, BinaryOp.Impl, l, r);
            case TokenKind.Update: return new BinaryExpr(pos, BinaryOp.Update, l, r);
            case TokenKind.Concat: return new BinaryExpr(pos, BinaryOp.ConcatLists, l, r);
            case TokenKind.Leq:
                return new NotExpr(pos, new CallExpr(pos, Builtin("__lessThan"), new List<Expr> { r, l }));
            case TokenKind.Geq:
                return new NotExpr(pos, new CallExpr(pos, Builtin("__lessThan"), new List<Expr> { l, r }));
        }
        return op.Char switch
        {
            '<' => new CallExpr(pos, Builtin("__lessThan"), new List<Expr> { l, r }),
            '>' => new CallExpr(pos, Builtin("__lessThan"), new List<Expr> { r, l }),
            '+' => new ConcatStringsExpr(pos, false, new List<(Pos, Expr)> { (pos, l), (rhsPos, r) }),
            '-' => new CallExpr(pos, Builtin("__sub"), new List<Expr> { l, r }),
            '*' => new CallExpr(pos, Builtin("__mul"), new List<Expr> { l, r }),
            _ => new CallExpr(pos, Builtin("__div"), new List<Expr> { l, r }),
        };
    }

    private Expr ParseUnary()
    {
        var t = Cur;
        if (t.Is('!'))
        {
            Next();
            var e = ParseOp(PNot + 1);
            return new NotExpr(PosOf(t), e);
        }
        if (t.Is('-'))
        {
            Next();
            var e = ParseOp(PNeg + 1);
            return new CallExpr(PosOf(t), Builtin("__sub"), new List<Expr> { new IntExpr(0), e });
        }
        return ParseApp();
    }

    private static bool StartsSelect(Token t) => t.Kind switch
    {
        TokenKind.Id or TokenKind.Int or TokenKind.Float or TokenKind.IndStringOpen or TokenKind.Path
            or TokenKind.HPath or TokenKind.SPath or TokenKind.Uri or TokenKind.Let or TokenKind.Rec => true,
        TokenKind.Char => t.Char is '"' or '(' or '{' or '[',
        _ => false,
    };

    private Expr ParseApp()
    {
        var startPos = PosOf(Cur);
        var head = ParseSelect();
        if (!StartsSelect(Cur)) return head;
        // Like Nix's grammar, arguments after a call (even a parenthesised one) extend that call.
        var call = head as CallExpr ?? new CallExpr(startPos, head, new List<Expr>());
        while (StartsSelect(Cur)) call.Args.Add(ParseSelect());
        return call;
    }

    private Expr ParseSelect()
    {
        var startPos = PosOf(Cur);
        var e = ParseSimple();
        if (IsChar('.'))
        {
            Next();
            var path = ParseAttrPath();
            Expr? def = null;
            if (Cur.Kind == TokenKind.OrKw)
            {
                Next();
                def = ParseSelect();
            }
            return new SelectExpr(startPos, e, path, def);
        }
        if (Cur.Kind == TokenKind.OrKw)
        {
            // `f or`: Nixpkgs once had a function named `or`.
            var t = Next();
            return new CallExpr(startPos, e, new List<Expr> { new VarExpr(PosOf(t), _symbols["or"]) });
        }
        return e;
    }

    private Expr ParseSimple()
    {
        // Lists, sets and selections nest without passing through ParseExpr; guard the stack here too.
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw new ParseError("expression nesting too deep", PosOf(Cur));
        var t = Cur;
        switch (t.Kind)
        {
            case TokenKind.Id:
                Next();
                if (t.Text == "__curPos") return new CurPosExpr(PosOf(t));
                return new VarExpr(PosOf(t), _symbols[t.Text!]);
            case TokenKind.Int:
                Next();
                return new IntExpr(t.IntValue) { Pos = PosOf(t) };
            case TokenKind.Float:
                Next();
                return new FloatExpr(t.FloatValue) { Pos = PosOf(t) };
            case TokenKind.Char when t.Char == '"':
            {
                Next();
                var e = ParseStringParts(PosOf(t));
                Expect('"');
                return e;
            }
            case TokenKind.IndStringOpen:
            {
                Next();
                var parts = new List<(Pos, object)>();
                while (true)
                {
                    var c = Cur;
                    if (c.Kind == TokenKind.IndStr) { Next(); parts.Add((PosOf(c), c)); }
                    else if (c.Kind == TokenKind.DollarCurly)
                    {
                        Next();
                        var e = ParseExpr();
                        Expect('}');
                        parts.Add((PosOf(c), e));
                    }
                    else break;
                }
                if (Cur.Kind != TokenKind.IndStringClose) throw Fail("IND_STR or DOLLAR_CURLY or IND_STRING_CLOSE");
                Next();
                return StripIndentation(PosOf(t), parts);
            }
            case TokenKind.Path:
            case TokenKind.HPath:
                return ParsePath();
            case TokenKind.SPath:
            {
                Next();
                var inner = t.Text!.Substring(1, t.Text.Length - 2);
                return new CallExpr(PosOf(t), Builtin("__findFile"),
                    new List<Expr> { Builtin("__nixPath"), new StringExpr(inner) });
            }
            case TokenKind.Uri:
                Next();
                return new StringExpr(t.Text!) { Pos = PosOf(t) };
            case TokenKind.Char when t.Char == '(':
            {
                Next();
                var e = ParseExpr();
                Expect(')');
                return e;
            }
            case TokenKind.Let:
            {
                // `let { …; body = …; }`: the old form, sugar for (rec { … }).body.
                Next();
                var open = Expect('{');
                var binds = new AttrsExpr(PosOf(open)) { Recursive = true };
                ParseBinds(binds, open);
                if (!IsChar('}')) throw Fail();
                Next();
                return new SelectExpr(default, binds, new[] { new AttrName(_symbols["body"]) }, null);
            }
            case TokenKind.Rec:
            {
                Next();
                if (!IsChar('{')) throw Fail("'{'");
                var open = Next();
                var binds = new AttrsExpr(PosOf(open)) { Recursive = true };
                ParseBinds(binds, open);
                if (!IsChar('}')) throw Fail();
                Next();
                return binds;
            }
            case TokenKind.Char when t.Char == '{':
            {
                Next();
                var binds = new AttrsExpr(PosOf(t));
                ParseBinds(binds, t);
                if (!IsChar('}')) throw Fail();
                Next();
                return binds;
            }
            case TokenKind.Char when t.Char == '[':
            {
                Next();
                var list = new ListExpr(PosOf(t));
                while (StartsSelect(Cur)) list.Items.Add(ParseSelect());
                if (!IsChar(']')) throw Fail();
                Next();
                return list;
            }
            default:
                throw Fail();
        }
    }

    private Expr ParsePath()
    {
        var t = Next();
        string path;
        if (t.Kind == TokenKind.Path)
        {
            path = PathUtil.AbsPath(t.Text!, _basePath);
            if (t.Text!.EndsWith('/') && t.Text.Length > 1) path += "/";
        }
        else path = _home + t.Text!.Substring(1);
        Expr first = new PathExpr(path) { Pos = PosOf(t) };
        if (Cur.Kind == TokenKind.PathEnd) { Next(); return first; }
        var parts = new List<(Pos, Expr)> { (PosOf(t), first) };
        while (true)
        {
            var c = Cur;
            if (c.Kind == TokenKind.Str)
            {
                Next();
                parts.Add((PosOf(c), new StringExpr(c.Text!)));
                // The grammar only allows a literal right after the path when an interpolation follows.
                if (parts.Count == 2 && Cur.Kind != TokenKind.DollarCurly) throw Fail("DOLLAR_CURLY");
            }
            else if (c.Kind == TokenKind.DollarCurly)
            {
                Next();
                var e = ParseExpr();
                Expect('}');
                parts.Add((PosOf(c), e));
            }
            else break;
        }
        if (Cur.Kind != TokenKind.PathEnd) throw Fail();
        Next();
        return new ConcatStringsExpr(PosOf(t), false, parts);
    }

    /// <summary>The inside of a "…" string (after the opening quote).</summary>
    private Expr ParseStringParts(Pos openPos)
    {
        var parts = new List<(Pos, Expr)>();
        bool interpolated = false;
        while (true)
        {
            var c = Cur;
            if (c.Kind == TokenKind.Str) { Next(); parts.Add((PosOf(c), new StringExpr(c.Text!))); }
            else if (c.Kind == TokenKind.DollarCurly)
            {
                Next();
                var e = ParseExpr();
                Expect('}');
                parts.Add((PosOf(c), e));
                interpolated = true;
            }
            else break;
        }
        if (!interpolated)
        {
            if (parts.Count == 0) return new StringExpr("") { Pos = openPos };
            if (parts.Count == 1) return parts[0].Item2;
            // Several adjacent STR tokens (only at a dangling '$' or '\' before EOF).
        }
        return new ConcatStringsExpr(parts[0].Item1, true, parts);
    }

    private Expr StripIndentation(Pos pos, List<(Pos Pos, object Part)> es)
    {
        if (es.Count == 0) return new StringExpr("") { Pos = pos };

        bool atStartOfLine = true;
        int minIndent = 1000000, curIndent = 0;
        foreach (var (_, part) in es)
        {
            if (part is not Token { HasIndentation: true } tok)
            {
                if (atStartOfLine)
                {
                    atStartOfLine = false;
                    if (curIndent < minIndent) minIndent = curIndent;
                }
                continue;
            }
            foreach (var ch in tok.Text!)
            {
                if (atStartOfLine)
                {
                    if (ch == ' ') curIndent++;
                    else if (ch == '\n') curIndent = 0;
                    else
                    {
                        atStartOfLine = false;
                        if (curIndent < minIndent) minIndent = curIndent;
                    }
                }
                else if (ch == '\n')
                {
                    atStartOfLine = true;
                    curIndent = 0;
                }
            }
        }

        var result = new List<(Pos, Expr)>();
        atStartOfLine = true;
        int curDropped = 0;
        int n = es.Count;
        foreach (var (ppos, part) in es)
        {
            if (part is Expr e)
            {
                atStartOfLine = false;
                curDropped = 0;
                result.Add((ppos, e));
            }
            else
            {
                var tok = (Token)part;
                var text = tok.Text!;
                var sb = new System.Text.StringBuilder(text.Length);
                foreach (var ch in text)
                {
                    if (atStartOfLine)
                    {
                        if (ch == ' ')
                        {
                            if (curDropped++ >= minIndent) sb.Append(ch);
                        }
                        else if (ch == '\n')
                        {
                            curDropped = 0;
                            sb.Append(ch);
                        }
                        else
                        {
                            atStartOfLine = false;
                            curDropped = 0;
                            sb.Append(ch);
                        }
                    }
                    else
                    {
                        sb.Append(ch);
                        if (ch == '\n') atStartOfLine = true;
                    }
                }
                var s2 = sb.ToString();
                if (n == 1)
                {
                    // Drop a final line that holds only spaces.
                    int p = s2.LastIndexOf('\n');
                    if (p >= 0)
                    {
                        bool onlySpaces = true;
                        for (int k = p + 1; k < s2.Length; k++) if (s2[k] != ' ') { onlySpaces = false; break; }
                        if (onlySpaces) s2 = s2.Substring(0, p + 1);
                    }
                }
                result.Add((ppos, new StringExpr(s2)));
            }
            n--;
        }
        if (result.Count == 1 && result[0].Item2 is StringExpr) return result[0].Item2;
        return new ConcatStringsExpr(pos, true, result);
    }

    // ---------------------------------------------------------------- bindings

    private static bool StartsAttr(Token t) =>
        t.Kind is TokenKind.Id or TokenKind.OrKw or TokenKind.DollarCurly || t.Is('"');

    private void ParseBinds(AttrsExpr attrs, Token opener)
    {
        // Nix positions inherited names at the end of the token before the bindings.
        var bindsStart = EndPosOf(opener);
        while (true)
        {
            var t = Cur;
            if (t.Kind == TokenKind.Inherit)
            {
                Next();
                Expr? from = null;
                Pos namesPos = EndPosOf(t);
                if (IsChar('('))
                {
                    Next();
                    from = ParseExpr();
                    var close = Expect(')');
                    namesPos = EndPosOf(close);
                }
                var names = new List<(Symbol, Pos)>();
                while (true)
                {
                    var a = Cur;
                    if (a.Kind is TokenKind.Id or TokenKind.OrKw)
                    {
                        Next();
                        names.Add((_symbols[a.Kind == TokenKind.OrKw ? "or" : a.Text!], PosOf(a)));
                    }
                    else if (a.Is('"'))
                    {
                        Next();
                        var se = ParseStringParts(PosOf(a));
                        Expect('"');
                        if (se is not StringExpr str)
                            throw new ParseError("dynamic attributes not allowed in inherit", PosOf(a));
                        names.Add((_symbols[str.Value.S], PosOf(a)));
                    }
                    else if (a.Kind == TokenKind.DollarCurly)
                    {
                        // `${"name"}` with a constant string is a static name; anything else is refused.
                        Next();
                        var inner = ParseExpr();
                        Expect('}');
                        if (inner is not StringExpr str)
                            throw new ParseError("dynamic attributes not allowed in inherit", PosOf(a));
                        names.Add((_symbols[str.Value.S], PosOf(a)));
                    }
                    else break;
                }
                if (!IsChar(';')) throw Fail();
                Next();
                foreach (var (sym, _) in names)
                {
                    if (attrs.Attrs.TryGetValue(sym, out var prev))
                        throw new ParseError($"attribute '{Show(sym)}' already defined at {prev.Pos}", namesPos);
                    var def = from is null
                        ? new AttrDef(new VarExpr(bindsStart, sym), namesPos, inherited: true)
                        : new AttrDef(new SelectExpr(bindsStart, from, new[] { new AttrName(sym) }, null), namesPos, inherited: false);
                    attrs.Attrs.Add(sym, def);
                }
                continue;
            }
            if (!StartsAttr(t)) return;
            var pathPos = PosOf(t);
            var path = ParseAttrPath();
            if (!IsChar('=')) throw Fail("'.' or '='");
            Next();
            var value = ParseExpr();
            if (!IsChar(';')) throw Fail("';'");
            Next();
            AddAttr(attrs, path, value, pathPos);
        }
    }

    private static string Show(Symbol s)
    {
        var sb = new System.Text.StringBuilder();
        Expr.ShowId(sb, s.Name);
        return sb.ToString();
    }

    private static string ShowPath(AttrName[] path)
    {
        var sb = new System.Text.StringBuilder();
        AttrName.ShowPath(sb, path);
        return sb.ToString();
    }

    private static void AddAttr(AttrsExpr attrs, AttrName[] path, Expr e, Pos pos)
    {
        int i;
        for (i = 0; i + 1 < path.Length; i++)
        {
            if (path[i].Symbol is { } sym)
            {
                if (attrs.Attrs.TryGetValue(sym, out var j))
                {
                    if (!j.Inherited && j.Value is AttrsExpr nested) attrs = nested;
                    else throw new ParseError($"attribute '{ShowPath(path)}' already defined at {j.Pos}", pos);
                }
                else
                {
                    var nested = new AttrsExpr(default);
                    attrs.Attrs[sym] = new AttrDef(nested, pos, false);
                    attrs = nested;
                }
            }
            else
            {
                var nested = new AttrsExpr(default);
                attrs.Dynamic.Add(new DynamicAttrDef(path[i].Expr!, nested, pos));
                attrs = nested;
            }
        }
        if (path[i].Symbol is { } last)
        {
            if (attrs.Attrs.TryGetValue(last, out var j))
            {
                if (j.Value is AttrsExpr jAttrs && e is AttrsExpr ae && !j.Inherited)
                {
                    foreach (var (name, def) in ae.Attrs)
                    {
                        if (jAttrs.Attrs.TryGetValue(name, out var j2))
                            throw new ParseError($"attribute '{Show(name)}' already defined at {def.Pos}", j2.Pos);
                        jAttrs.Attrs.Add(name, def);
                    }
                }
                else throw new ParseError($"attribute '{ShowPath(path)}' already defined at {j.Pos}", pos);
            }
            else
            {
                attrs.Attrs.Add(last, new AttrDef(e, pos, false));
                e.SetName(last);
            }
        }
        else
        {
            attrs.Dynamic.Add(new DynamicAttrDef(path[i].Expr!, e, pos));
        }
    }

    private AttrName[] ParseAttrPath()
    {
        var list = new List<AttrName>();
        while (true)
        {
            var t = Cur;
            if (t.Kind == TokenKind.Id) { Next(); list.Add(new AttrName(_symbols[t.Text!])); }
            else if (t.Kind == TokenKind.OrKw) { Next(); list.Add(new AttrName(_symbols["or"])); }
            else if (t.Is('"'))
            {
                Next();
                var e = ParseStringParts(PosOf(t));
                Expect('"');
                list.Add(e is StringExpr s ? new AttrName(_symbols[s.Value.S]) : new AttrName(e));
            }
            else if (t.Kind == TokenKind.DollarCurly)
            {
                Next();
                var e = ParseExpr();
                Expect('}');
                list.Add(e is StringExpr s ? new AttrName(_symbols[s.Value.S]) : new AttrName(e));
            }
            else throw Fail("ID or OR_KW or DOLLAR_CURLY or '\"'");
            if (!IsChar('.')) break;
            // A '.' after an attribute path continues it.
            Next();
        }
        return list.ToArray();
    }
}
