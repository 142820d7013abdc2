// Builtins that read the file system: readFile, readDir, pathExists, search-path lookup.
namespace Nixsharp.Language.Builtins;

using Nixsharp.Language.Evaluation;
using Nixsharp.Language.Syntax;

internal static class FileBuiltins
{
    public static void Register(BuiltinRegistry r)
    {
        r.Add("__pathExists", 1, (st, a, pos) =>
        {
            var path = RealisePath(st, a[0], pos);
            return B.Bool(st.Host.GetFileTypeFollow(path) != HostFileType.Missing);
        });
        r.Add("__readFile", 1, (st, a, pos) =>
        {
            var path = RealisePath(st, a[0], pos);
            if (st.Host.GetFileTypeFollow(path) == HostFileType.Directory)
                throw new HostError("reading from file: Is a directory");
            try
            {
                return StringValue.Of(st.Host.ReadFile(path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new HostError($"opening file '{path}': {DescribeIo(e)}");
            }
        });
        r.Add("__readDir", 1, (st, a, pos) =>
        {
            var path = RealisePath(st, a[0], pos);
            IReadOnlyList<(string Name, HostFileType Type)> entries;
            if (st.Host.GetFileTypeFollow(path) == HostFileType.Regular)
                throw new HostError($"opening directory '{path}': Not a directory");
            try { entries = st.Host.ReadDirectory(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new HostError($"opening directory '{path}': {DescribeIo(e)}");
            }
            var b = new AttrsBuilder(entries.Count);
            foreach (var (name, type) in entries)
                b.Add(st.Symbols.Intern(name), StringValue.Of(TypeName(type)));
            return b.Build();
        });
        r.Add("__readFileType", 1, (st, a, pos) =>
        {
            var path = RealisePath(st, a[0], pos);
            var t = st.Host.GetFileType(path);
            if (t == HostFileType.Missing)
                throw new HostError($"getting status of '{path}': No such file or directory");
            return StringValue.Of(TypeName(t));
        });
        r.Add("__findFile", 2, (st, a, pos) =>
        {
            var list = st.ForceList(a[0], pos);
            var searchPath = new List<(string, string)>();
            foreach (var item in list.Items)
            {
                var e = st.ForceAttrs(item, pos);
                var prefix = "";
                var pv = e.Get(st.S.Prefix);
                if (pv is not null) prefix = st.ForceStringNoContext(pv, pos);
                var pathV = AttrBuiltins.Need(st, "findFile", st.S.Path, e, pos);
                var ctx = new ContextBuilder();
                var p = st.CoerceToString(pos, pathV, ctx, false, false);
                searchPath.Add((prefix, p));
            }
            var name = st.ForceStringNoContext(a[1], pos);
            return new PathValue(st.FindFile(searchPath, name, pos));
        });
        r.Add("__toPath", 1, (st, a, pos) =>
        {
            var ctx = new ContextBuilder();
            var path = CoreBuiltins.CoerceToPath(st, a[0], pos, ctx);
            return new StringValue(PathUtil.CanonPath(path), ctx.Build());
        });
    }

    public static string TypeName(HostFileType t) => t switch
    {
        HostFileType.Regular => "regular",
        HostFileType.Directory => "directory",
        HostFileType.Symlink => "symlink",
        _ => "unknown",
    };

    internal static string DescribeIo(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        _ => e.Message,
    };

    /// <summary>A path argument as a real path: what its context names is made valid first
    /// (derivation outputs are built: import from derivation), and a path in the store is read
    /// where the store keeps its files.</summary>
    public static string RealisePath(EvalState st, Value v, Pos pos)
    {
        var ctx = new ContextBuilder();
        string path;
        try
        {
            path = CoreBuiltins.CoerceToPath(st, v, pos, ctx);
        }
        catch (NixError e) when (e is not StackOverflowError)
        {
            e.AddTrace(pos, "while realising the context of a path");
            throw;
        }
        if (ctx.Build()?.Items is not { Count: > 0 } context || st.Host.Store is not { } store) return path;
        try
        {
            store.RealiseContext(context, st.Settings.AllowImportFromDerivation);
            return store.ToRealPath(path);
        }
        catch (NixError e) when (e is not StackOverflowError)
        {
            e.AddTrace(pos, $"while realising the context of path '{path}'");
            throw;
        }
    }
}
