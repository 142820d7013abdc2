// The status line an interactive terminal shows under the build log: how many derivations are
// done out of how many, which are building, and the last line one of them wrote. It is redrawn in
// place ("\r", erase line) after every log line, so log lines scroll above it; a plain (redirected)
// log never gets one. Written by hand rather than with a live-display library because log lines
// from several builder threads must interleave with it, which such displays do not allow.
namespace Nixsharp.Cli.Commands.Build;

using System.Text;
using Nixsharp.Builder;

public sealed class BuildStatusLine
{
    private readonly Stream _terminal;
    private readonly Func<int> _width;
    private readonly List<string> _running = new(); // in the order they started
    private int _planned, _built, _failed;
    private string _lastLine = "";
    private bool _shown;

    /// <param name="width">The terminal's width in columns (asked each time: it may be resized).</param>
    public BuildStatusLine(Stream terminal, Func<int> width)
    {
        _terminal = terminal;
        _width = width;
    }

    /// <summary>Whether an interactive status line suits this process: standard error is a
    /// terminal that can move the cursor (not TERM=dumb) and the caller owns the process.</summary>
    public static bool SuitsTerminal(CliIo io) =>
        io.OwnsProcess && !Console.IsErrorRedirected && io.GetEnv("TERM") is { Length: > 0 } term && term != "dumb";

    public void Planned(int derivations) => _planned += derivations;

    public void Started(string drvPath) => _running.Add(drvPath);

    public void Ended(string drvPath, BuildStatus status)
    {
        _running.Remove(drvPath);
        if (status is BuildStatus.Built or BuildStatus.AlreadyValid or BuildStatus.Substituted) _built++;
        else if (status != BuildStatus.Cancelled) _failed++;
        if (_running.Count == 0) _lastLine = "";
    }

    public void LastLine(string text) => _lastLine = text;

    /// <summary>Erases the status line (before a log line is written in its place).</summary>
    public void Clear()
    {
        if (!_shown) return;
        _terminal.Write("\r\x1b[K"u8);
        _shown = false;
    }

    /// <summary>Draws the status line again after the cursor (at the start of an empty line).</summary>
    public void Draw()
    {
        if (_planned == 0) return;
        var text = Render(Math.Max(20, _width() - 1));
        _terminal.Write(Encoding.UTF8.GetBytes("\r\x1b[K" + text));
        _terminal.Flush();
        _shown = true;
    }

    /// <summary>The status text, cut to `columns` characters: "[3/10 built, 2 running, 1 failed]
    /// building hello-2.12: checking for gcc...".</summary>
    public string Render(int columns)
    {
        var sb = new StringBuilder();
        sb.Append('[').Append(_built).Append('/').Append(_planned).Append(" built");
        if (_running.Count > 0) sb.Append(", ").Append(_running.Count).Append(" running");
        if (_failed > 0) sb.Append(", ").Append(_failed).Append(" failed");
        sb.Append(']');
        if (_running.Count > 0)
        {
            sb.Append(" building ").Append(NameOf(_running[^1]));
            if (_running.Count > 1) sb.Append(" (+").Append(_running.Count - 1).Append(')');
            if (_lastLine.Length > 0) sb.Append(": ").Append(_lastLine);
        }
        return sb.Length <= columns ? sb.ToString() : sb.ToString(0, Math.Max(0, columns - 1)) + "…";
    }

    /// <summary>"/nix/store/<hash>-hello-2.12.drv" → "hello-2.12".</summary>
    private static string NameOf(string drvPath)
    {
        var slash = drvPath.LastIndexOf('/');
        var name = drvPath.Substring(slash + 1);
        if (name.Length > 33 && name[32] == '-') name = name.Substring(33);
        return name.EndsWith(".drv", StringComparison.Ordinal) ? name[..^4] : name;
    }
}
