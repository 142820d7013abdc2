// The system's OpenSSH client as a pipe to a command on another host: users' ~/.ssh/config,
// agents, jump hosts and known_hosts apply as for any ssh command. Nix's NIX_SSHOPTS adds options.
namespace Nixsharp.Remote.Ssh;

using System.Diagnostics;
using System.Text;
using Nixsharp.Formats.Streams;

public sealed class SshProcess : IDisposable
{
    private readonly Process _process;
    private readonly WriteFailureTrackingStream _inputPipe;
    private readonly StringBuilder _stderr = new();
    private const int StderrKept = 16 << 10;

    /// <summary>Writes go to the remote command's standard input (buffered: flush to send).</summary>
    public Stream Input { get; }
    /// <summary>Whether a write to ssh failed (it exited, or the remote stopped reading).</summary>
    public bool InputFailed => _inputPipe.Failed;
    /// <summary>Reads come from the remote command's standard output.</summary>
    public EofTrackingStream Output { get; }
    /// <summary>The ssh command line, for messages.</summary>
    public string CommandLine { get; }

    private SshProcess(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
        Input = new BufferedStream(_inputPipe = new WriteFailureTrackingStream(process.StandardInput.BaseStream), 1 << 16);
        Output = new EofTrackingStream(new BufferedStream(process.StandardOutput.BaseStream, 1 << 16));
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr)
            {
                _stderr.Append(e.Data).Append('\n');
                if (_stderr.Length > StderrKept) _stderr.Remove(0, _stderr.Length - StderrKept);
            }
        };
        process.BeginErrorReadLine();
    }

    /// <summary>ssh's arguments for a URL and a remote command (run by the remote user's shell).
    /// NIX_SSHOPTS is split at whitespace, as Nix 2.8 splits it.</summary>
    public static List<string> Arguments(SshStoreUrl url, string remoteCommand, string? sshOpts)
    {
        var args = new List<string> { "-x", "-a" };
        if (sshOpts is not null) args.AddRange(sshOpts.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (url.SshKey is { } key) args.AddRange(["-i", key]);
        if (url.Compress) args.Add("-C");
        if (url.Port is { } port) args.AddRange(["-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        // "--" ends ssh's options: the destination is never read as one.
        args.AddRange(["--", url.Destination, remoteCommand]);
        return args;
    }

    public static SshProcess Start(SshStoreUrl url, string remoteCommand, string? sshOpts)
    {
        var psi = new ProcessStartInfo("ssh")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var args = Arguments(url, remoteCommand, sshOpts);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var commandLine = "ssh " + string.Join(' ', args);
        try
        {
            return new SshProcess(Process.Start(psi)!, commandLine);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new RemoteException($"cannot connect to '{url.Display}': cannot run ssh: {e.Message} (is OpenSSH's client installed and on PATH?)");
        }
    }

    /// <summary>What ssh (and the remote command) wrote on stderr lately.</summary>
    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString().TrimEnd(); }
    }

    /// <summary>After the connection broke: how ssh ended ("ssh exited with status 255: …"), waiting
    /// a little for it to finish (it may still be printing its reason).</summary>
    public string ExitReason()
    {
        string how;
        if (_process.WaitForExit(10_000))
        {
            _process.WaitForExit(); // drains the stderr reader
            how = _process.ExitCode switch
            {
                127 => "the remote program was not found (exit status 127)",
                var c => $"ssh exited with status {c}",
            };
        }
        else how = "ssh is still running";
        var err = Stderr;
        return err.Length > 0 ? $"{how}: {err}" : how;
    }

    /// <summary>Ends the session cleanly: closes the remote command's input and waits for ssh.</summary>
    public void Close()
    {
        try { Input.Flush(); Input.Dispose(); } catch (IOException) { }
        if (!_process.WaitForExit(30_000)) Kill();
    }

    /// <summary>Ends the session at once (after garbage, or when the caller gives up).</summary>
    public void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(); } catch (InvalidOperationException) { }
        _process.WaitForExit(5_000);
    }

    public void Dispose()
    {
        try { Input.Dispose(); } catch (IOException) { }
        Kill();
        _process.Dispose();
    }
}

/// <summary>Remembers whether the other end closed the stream: a protocol error after that is a
/// lost connection, before it is garbage.</summary>
public sealed class EofTrackingStream : ReadOnlyStream
{
    private readonly Stream _inner;
    public bool SawEof { get; private set; }
    public EofTrackingStream(Stream inner) { _inner = inner; }
    public override int Read(Span<byte> buffer)
    {
        int n;
        try { n = _inner.Read(buffer); }
        catch (IOException) { SawEof = true; throw; }
        if (n == 0 && buffer.Length > 0) SawEof = true;
        return n;
    }
    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Remembers whether a write failed: an I/O error there is the connection's, not the
/// local disk's.</summary>
internal sealed class WriteFailureTrackingStream : WriteOnlyStream
{
    private readonly Stream _inner;
    public bool Failed { get; private set; }
    public WriteFailureTrackingStream(Stream inner) { _inner = inner; }
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try { _inner.Write(buffer); }
        catch (IOException) { Failed = true; throw; }
    }
    public override void Flush()
    {
        try { _inner.Flush(); }
        catch (IOException) { Failed = true; throw; }
    }
    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>A transfer to or from another machine failed; the message names the URL and why.</summary>
public sealed class RemoteException : Exception
{
    public RemoteException(string message) : base(message) { }
}
