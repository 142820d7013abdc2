// Standard streams as byte sinks: Nix output is bytes, and so are our byte strings.
namespace Nixsharp.Cli;

using System.Text;

/// <summary>The process's streams and environment, injectable so tests run commands in-process.</summary>
public sealed class CliIo
{
    public Stream Stdout { get; }
    public Stream Stderr { get; }
    public Func<string, string?> GetEnv { get; }
    public string WorkingDirectory { get; }
    public Func<Stream> Stdin { get; }
    /// <summary>True for the real process (not an in-process test run): it may exit directly.</summary>
    public bool OwnsProcess { get; init; }
    /// <summary>How `instantiate` names itself in usage hints: "nixsharp instantiate", or the
    /// program name when the binary was run as nix-instantiate (as Nix prints its argv[0]).</summary>
    public string InstantiateName { get; init; } = "nixsharp instantiate";

    private Settings.Configuration? _config;

    /// <summary>The settings from nix.conf files and NIX_CONFIG, read on first use (Cli.Run asks
    /// first, so that their errors and warnings come before anything else).</summary>
    public Settings.Configuration Config => _config ??= Settings.Configuration.Load(this);

    public CliIo(Stream stdout, Stream stderr, Func<string, string?> getEnv, string cwd, Func<Stream>? stdin = null)
    {
        Stdout = stdout; Stderr = stderr; GetEnv = getEnv; WorkingDirectory = cwd;
        Stdin = stdin ?? (() => Stream.Null);
    }

    public static CliIo FromProcess() => new(
        Console.OpenStandardOutput(), Console.OpenStandardError(),
        Environment.GetEnvironmentVariable, Environment.CurrentDirectory, Console.OpenStandardInput)
    {
        OwnsProcess = true,
    };

    /// <summary>Writes a byte string (one char per byte).</summary>
    public static void Write(Stream s, string byteString)
    {
        var bytes = Encoding.Latin1.GetBytes(byteString);
        s.Write(bytes, 0, bytes.Length);
    }

    public void Out(string byteString) => Write(Stdout, byteString);
    public void Err(string byteString) => Write(Stderr, byteString);
}

/// <summary>A usage mistake on the command line: printed as "error: …" plus a hint, exit 1.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }
}
