// Lexical path handling as Nix does it: no symlink resolution, `.` and `..` folded away.
namespace Nixsharp.Language.Syntax;

public static class PathUtil
{
    /// <summary>Canonical absolute form of an absolute path: no `.`, `..`, `//` or trailing `/`.</summary>
    public static string CanonPath(string path)
    {
        var parts = new List<string>();
        foreach (var seg in path.Split('/'))
        {
            if (seg.Length == 0 || seg == ".") continue;
            if (seg == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(seg);
        }
        return "/" + string.Join('/', parts);
    }

    public static string AbsPath(string path, string baseDir) =>
        path.StartsWith('/') ? CanonPath(path) : CanonPath(baseDir + "/" + path);

    /// <summary>Everything before the last slash ("/" for top-level entries), like Nix's dirOf.</summary>
    public static string DirOf(string path)
    {
        int i = path.LastIndexOf('/');
        if (i < 0) return ".";
        return i == 0 ? "/" : path.Substring(0, i);
    }

    /// <summary>The last path component, ignoring one trailing slash, like Nix's baseNameOf.</summary>
    public static string BaseNameOf(string path)
    {
        if (path.Length == 0) return "";
        int last = path.Length - 1;
        if (path[last] == '/' && last > 0) last--;
        int pos = path.LastIndexOf('/', last);
        return pos < 0 ? path.Substring(0, last + 1) : path.Substring(pos + 1, last - pos);
    }
}
