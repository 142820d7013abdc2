// Where a build run reports to: informational lines ("building '…'..."), errors of builds that
// others depended on, and the builders' own output, line by line (as Nix prints it).
namespace Nixsharp.Builder;

public interface IBuildLog
{
    /// <summary>A line for the user (Nix prints these on standard error).</summary>
    void Info(string line);
    /// <summary>An error that does not end the run by itself (printed as "error: …").</summary>
    void Error(string message);
    /// <summary>A warning (printed as "warning: …").</summary>
    void Warning(string message) => Info("warning: " + message);
    /// <summary>A line a builder wrote (standard output or error), without its newline and with
    /// carriage returns applied; raw bytes, not yet made fit for a terminal (see LogLineFilter).</summary>
    void BuilderLine(string drvPath, ReadOnlySpan<byte> line);

    // Progress events, for logs that show what is going on (a status line); plain logs ignore them.

    /// <summary>The run will build (or check) this many derivations.</summary>
    void RunPlanned(int derivations) { }
    /// <summary>A builder is starting for this derivation (after any wait for its locks).</summary>
    void BuildStarted(string drvPath) { }
    /// <summary>A derivation of the run is done: built, found valid meanwhile, failed or cancelled.</summary>
    void BuildEnded(string drvPath, BuildStatus status) { }
}

/// <summary>A log that drops everything (tests, --quiet).</summary>
public sealed class NullBuildLog : IBuildLog
{
    public static readonly NullBuildLog Instance = new();
    public void Info(string line) { }
    public void Error(string message) { }
    public void BuilderLine(string drvPath, ReadOnlySpan<byte> line) { }
}

/// <summary>Makes a builder's line fit for a terminal as Nix does: escape sequences are dropped
/// (colour ones kept when asked), other control characters too, and tabs become spaces up to the
/// next multiple of eight columns.</summary>
public static class LogLineFilter
{
    /// <param name="startColumn">The column the line starts at (for tab stops).</param>
    public static byte[] Filter(ReadOnlySpan<byte> line, bool keepColours, int startColumn = 0)
    {
        var result = new List<byte>(line.Length + 8);
        int column = startColumn;
        for (int i = 0; i < line.Length; i++)
        {
            byte c = line[i];
            if (c == 0x1b)
            {
                if (i + 1 < line.Length && line[i + 1] == (byte)'[')
                {
                    // A control sequence: parameters and intermediates, then one final byte.
                    int j = i + 2;
                    while (j < line.Length && line[j] is >= 0x20 and <= 0x3f) j++;
                    bool complete = j < line.Length && line[j] is >= 0x40 and <= 0x7e;
                    if (complete && line[j] == (byte)'m' && keepColours)
                        for (int k = i; k <= j; k++) result.Add(line[k]);
                    i = complete ? j : line.Length - 1;
                }
                else i++; // ESC and the character after it
            }
            else if (c == (byte)'\t')
            {
                do { result.Add((byte)' '); column++; } while (column % 8 != 0);
            }
            else if (c < 0x20 || c == 0x7f) { }
            else
            {
                result.Add(c);
                // Columns are characters: UTF-8 continuation bytes take none.
                if ((c & 0xc0) != 0x80) column++;
            }
        }
        return result.ToArray();
    }
}
