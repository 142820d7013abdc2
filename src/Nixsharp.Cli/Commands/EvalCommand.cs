// `nixsharp eval`: the modern form (`eval -f FILE ATTR`, `--expr`, `--json`, `--raw`). Like
// `nix eval` it works on a real store (opened when first needed): sources are copied in, .drv
// files written, and derivation outputs the evaluation reads are built.
namespace Nixsharp.Cli.Commands;

using System.CommandLine;
using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Output;
using Nixsharp.Language.Syntax;

public static class EvalCommand
{
    public static Command Create(CliIo io)
    {
        var file = new Option<string?>("--file", "-f") { Description = "Evaluate this file instead of an installable" };
        var expr = new Option<string?>("--expr") { Description = "Evaluate this expression" };
        var json = new Option<bool>("--json") { Description = "Print the value as JSON" };
        var raw = new Option<bool>("--raw") { Description = "Print a string value without quotes or escapes" };
        var showTrace = new Option<bool>("--show-trace") { Description = "Show the evaluation trace of errors" };
        var include = new Option<string[]>("-I", "--include") { Description = "Add a search path entry (PATH or prefix=PATH)", AllowMultipleArgumentsPerToken = false };
        var argStr = new Option<string[]>("--argstr") { Description = "NAME=VALUE: pass a string argument to a top-level function" };
        var maxDepth = new Option<int>("--max-call-depth") { Description = "Fail with \"stack overflow\" beyond this many nested calls" };
        var storeOption = new Option<string?>("--store") { Description = "The store to use ('auto', 'local', a directory, 'local?root=DIR')" };
        var attr = new Argument<string?>("attribute") { Description = "Attribute path to select", Arity = ArgumentArity.ZeroOrOne };

        var cmd = new Command("eval", "Evaluate a Nix expression and print its value (strictly, like `nix eval`)")
        {
            file, expr, json, raw, showTrace, include, argStr, maxDepth, storeOption, attr,
        };
        cmd.SetAction(pr =>
        {
            var session = new EvalSession(io, "nixsharp eval");
            if (pr.GetValue(showTrace)) session.Settings.ShowTrace = true;
            if (pr.GetResult(maxDepth) is not null) session.Settings.MaxCallDepth = pr.GetValue(maxDepth);
            foreach (var i in pr.GetValue(include) ?? Array.Empty<string>()) session.IncludePaths.Add(ByteString.FromUtf16(i));
            foreach (var s in pr.GetValue(argStr) ?? Array.Empty<string>())
            {
                int eq = s.IndexOf('=');
                if (eq > 0) session.AutoArgs.Add((ByteString.FromUtf16(s[..eq]), ByteString.FromUtf16(s[(eq + 1)..]), true));
            }
            return session.Guard(() =>
            {
                session.StoreUri = pr.GetValue(storeOption);
                using var store = new Glue.LazyStore(() => Glue.StoreOpener.Open(session.StoreUri, io));
                var st = session.CreateState(new Glue.LazyStoreBackend(store, session.Effects));
                var cwd = session.Settings.WorkingDirectory;
                Expr e;
                var f = pr.GetValue(file);
                var x = pr.GetValue(expr);
                if (x is not null) e = st.ParseString(ByteString.FromUtf16(x), cwd);
                else if (f is not null)
                {
                    var path = st.ResolveExprPath(PathUtil.AbsPath(ByteString.FromUtf16(f), cwd), default);
                    if (st.Host.GetFileTypeFollow(path) == HostFileType.Missing)
                        throw new HostError($"getting status of '{path}': No such file or directory");
                    e = st.ParseFile(path);
                }
                else throw new UsageException("nothing to evaluate: give --expr EXPR or --file FILE");
                var root = e.Eval(st, st.BaseEnv);
                var autoArgs = session.BuildAutoArgs(st);
                root = st.AutoCall(root, autoArgs);
                var (v, pos) = AttrPath.Find(st, ByteString.FromUtf16(pr.GetValue(attr) ?? ""), autoArgs, root);
                v = st.Force(v, pos);
                if (pr.GetValue(raw))
                {
                    var s = st.CoerceToString(pos, v, new ContextBuilder(), true, false);
                    io.Out(s);
                    return 0;
                }
                if (pr.GetValue(json))
                {
                    io.Out(JsonWriter.ToJson(st, v, true, new ContextBuilder(), pos) + "\n");
                    return 0;
                }
                st.ForceDeep(v);
                io.Out(ValuePrinter.Print(st, v) + "\n");
                return 0;
            });
        });
        return cmd;
    }
}
