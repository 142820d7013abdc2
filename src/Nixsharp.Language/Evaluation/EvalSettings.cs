// Evaluator settings, passed explicitly (no global state).
namespace Nixsharp.Language.Evaluation;

public sealed class EvalSettings
{
    /// <summary>The `-I` entries followed by NIX_PATH's, as (prefix, path); prefix "" for plain entries.</summary>
    public List<(string Prefix, string Path)> SearchPath { get; } = new();
    public bool ShowTrace { get; set; }
    /// <summary>Maximum nesting of function calls; 0 means limited only by the stack.</summary>
    public int MaxCallDepth { get; set; }
    public string CurrentSystem { get; set; } = "x86_64-linux";
    public string StoreDir { get; set; } = "/nix/store";
    public string NixVersion { get; set; } = "2.8.0";
    public string Home { get; set; } = "/homeless-shelter";
    public bool PureEval { get; set; }
    /// <summary>allow-import-from-derivation: whether reading a derivation's output during
    /// evaluation may build it.</summary>
    public bool AllowImportFromDerivation { get; set; } = true;
    /// <summary>builtins.warn fails after printing (current Nix's abort-on-warn).</summary>
    public bool AbortOnWarn { get; set; }
    /// <summary>Where relative paths on the command line and in the search path are resolved.</summary>
    public string WorkingDirectory { get; set; } = Environment.CurrentDirectory;
    /// <summary>Nix 2.8 wraps on integer overflow; current Nix reports an error. Default: report.</summary>
    public bool IntegerOverflowIsError { get; set; } = true;
    public long CurrentTime { get; set; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    /// <summary>Called when evaluation runs out of stack, before the error is thrown. A command
    /// line tool can report and exit here: unwinding hundreds of thousands of frames takes seconds,
    /// and nothing can catch this error anyway.</summary>
    public Action<StackOverflowError>? OnStackOverflow { get; set; }

    /// <summary>Adds one `-I`/NIX_PATH entry ("prefix=path" or "path").</summary>
    public void AddSearchPathEntry(string entry)
    {
        int eq = entry.IndexOf('=');
        if (eq < 0) SearchPath.Add(("", entry));
        else SearchPath.Add((entry.Substring(0, eq), entry.Substring(eq + 1)));
    }

    /// <summary>Splits a NIX_PATH value on ':' (but not inside "scheme://").</summary>
    public static IEnumerable<string> SplitNixPath(string value)
    {
        var cur = new System.Text.StringBuilder();
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c == ':')
            {
                // Keep "https://" and similar intact.
                var soFar = cur.ToString();
                int eq = soFar.IndexOf('=');
                var tail = eq >= 0 ? soFar.Substring(eq + 1) : soFar;
                if (i + 2 < value.Length && value[i + 1] == '/' && value[i + 2] == '/' && IsScheme(tail))
                {
                    cur.Append(c);
                    continue;
                }
                if (cur.Length > 0) yield return soFar;
                cur.Clear();
                continue;
            }
            cur.Append(c);
        }
        if (cur.Length > 0) yield return cur.ToString();
    }

    private static bool IsScheme(string s) =>
        s is "http" or "https" or "file" or "channel" or "git" or "git+https" or "git+ssh" or "flake" || s.StartsWith("git+", StringComparison.Ordinal);
}
