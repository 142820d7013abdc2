// Where a build run reports to: informational lines ("building '…'..."), errors of builds that
// others depended on, and the builders' own output.
namespace Nixsharp.Builder;

public interface IBuildLog
{
    /// <summary>A line for the user (Nix prints these on standard error).</summary>
    void Info(string line);
    /// <summary>An error that does not end the run by itself (printed as "error: …").</summary>
    void Error(string message);
    /// <summary>Bytes a builder wrote to its standard output or error.</summary>
    void BuilderOutput(string drvPath, ReadOnlySpan<byte> bytes);
}

/// <summary>A log that drops everything (tests, --quiet).</summary>
public sealed class NullBuildLog : IBuildLog
{
    public static readonly NullBuildLog Instance = new();
    public void Info(string line) { }
    public void Error(string message) { }
    public void BuilderOutput(string drvPath, ReadOnlySpan<byte> bytes) { }
}
