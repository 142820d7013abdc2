// Where one builder's output goes, as in Nix 2.8: every byte into the stored log (until
// max-build-log-size is passed, which ends the build), and line by line to the run's log (when
// builder output is shown), keeping the last lines for the error of a failed build. Lines are cut
// at newlines; a carriage return moves back to the start of the line, later characters
// overwriting earlier ones, as on a terminal.
namespace Nixsharp.Builder.Building;

using System.Text;

internal sealed class BuilderOutputSink : IDisposable
{
    private readonly string _drvPath;
    private Stream? _logFile;
    private readonly IBuildLog? _lines;
    private readonly long _maxLogSize;
    private readonly int _tailLines;
    private long _size;
    private readonly List<byte> _line = new();
    private int _linePos;
    private readonly Queue<byte[]> _tail = new();

    /// <summary>The error that stopped writing the stored log, if one did.</summary>
    public string? LogFileError { get; private set; }

    /// <param name="logFile">The stored log (owned from here on), or null when logs are not kept.</param>
    /// <param name="lines">Where lines go as they are completed, or null when builder output is not shown.</param>
    public BuilderOutputSink(string drvPath, Stream? logFile, IBuildLog? lines, long maxLogSize, int tailLines)
    {
        _drvPath = drvPath; _logFile = logFile; _lines = lines; _maxLogSize = maxLogSize; _tailLines = tailLines;
    }

    /// <summary>Takes a piece of output; false when it would pass the size limit (it is then dropped
    /// and the builder is to be killed).</summary>
    public bool Receive(byte[] buffer, int count)
    {
        _size += count;
        if (_maxLogSize > 0 && _size > _maxLogSize) return false;
        if (_logFile is not null)
        {
            try { _logFile.Write(buffer, 0, count); }
            catch (IOException e)
            {
                // A full disk loses the log, not the build.
                LogFileError = e.Message;
                CloseLogFile();
            }
        }
        for (int i = 0; i < count; i++)
        {
            byte c = buffer[i];
            if (c == (byte)'\r') _linePos = 0;
            else if (c == (byte)'\n') EndLine();
            else
            {
                if (_linePos < _line.Count) _line[_linePos] = c;
                else _line.Add(c);
                _linePos++;
            }
        }
        return true;
    }

    private void EndLine()
    {
        var line = _line.ToArray();
        _line.Clear();
        _linePos = 0;
        _lines?.BuilderLine(_drvPath, line);
        if (_tailLines <= 0) return;
        _tail.Enqueue(line);
        if (_tail.Count > _tailLines) _tail.Dequeue();
    }

    /// <summary>The builder has ended: a last line without a newline still counts.</summary>
    public void Finish()
    {
        if (_line.Count > 0) EndLine();
        CloseLogFile();
    }

    /// <summary>";\nlast N log lines:\n> …\nFor full logs, …" for a failed builder's error, or ""
    /// when it wrote nothing. Lines are made fit for a terminal where the error shows them
    /// (after "error: "'s indentation and "> ").</summary>
    public string TailForError()
    {
        if (_tail.Count == 0) return "";
        var sb = new StringBuilder();
        sb.Append(";\nlast ").Append(_tail.Count).Append(" log lines:");
        foreach (var line in _tail)
        {
            var shown = Encoding.UTF8.GetString(LogLineFilter.Filter(line, keepColours: false, startColumn: 9));
            sb.Append('\n').Append(("> " + shown).TrimEnd());
        }
        sb.Append("\nFor full logs, run 'nixsharp log ").Append(_drvPath).Append("'.");
        return sb.ToString();
    }

    private void CloseLogFile()
    {
        var f = _logFile;
        _logFile = null;
        if (f is null) return;
        try { f.Dispose(); }
        catch (IOException e) { LogFileError ??= e.Message; }
    }

    public void Dispose() => CloseLogFile();
}
