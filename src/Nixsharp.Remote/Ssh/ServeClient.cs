// The client side of the serve protocol over an ssh session: one request, one answer, except where
// the caller pipelines (several requests written before their answers are read). Every failure
// becomes a RemoteException that names the URL and says whether the connection was lost (with
// ssh's exit status and the remote's last words) or the remote sent something malformed.
namespace Nixsharp.Remote.Ssh;

using Nixsharp.Formats.Nar;
using Nixsharp.Formats.Serve;
using Nixsharp.Formats.Wire;

public sealed class ServeClient : IDisposable
{
    private readonly SshProcess _ssh;
    public SshStoreUrl Url { get; }
    public uint RemoteVersion { get; private set; }
    public Stream To => _ssh.Input;
    public EofTrackingStream From => _ssh.Output;
    /// <summary>Requests sent, by command: tests and --json use it to check round trips.</summary>
    public Dictionary<ServeCommand, int> Requests { get; } = new();

    private ServeClient(SshStoreUrl url, SshProcess ssh) { Url = url; _ssh = ssh; }

    /// <summary>Runs `remote-program --serve [--write] [--store S]` over ssh and exchanges greetings.</summary>
    public static ServeClient Connect(SshStoreUrl url, bool write, string? sshOpts)
    {
        var command = url.RemoteProgram + " --serve" + (write ? " --write" : "") +
                      (url.RemoteStore is { } s ? " --store " + ShellQuote(s) : "");
        var client = new ServeClient(url, SshProcess.Start(url, command, sshOpts));
        try
        {
            ServeProtocol.WriteClientHello(client.To);
            client.To.Flush();
            client.RemoteVersion = ServeProtocol.ReadServerHello(client.From);
            return client;
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            var reason = client._ssh.Output.SawEof || e is IOException
                ? client._ssh.ExitReason()
                : $"it did not answer as 'nix-store --serve' does ({e.Message}); is remote-program '{url.RemoteProgram}' right?";
            client.Dispose();
            throw new RemoteException($"cannot connect to '{url.Display}': {reason}");
        }
    }

    /// <summary>Nix quotes the remote store for the remote shell; so does nixsharp.</summary>
    public static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private void Count(ServeCommand cmd) => Requests[cmd] = Requests.GetValueOrDefault(cmd) + 1;

    /// <summary>Whether the session itself failed (end of its output, or a write to it failed), as
    /// opposed to local trouble or the remote's garbage.</summary>
    public bool ConnectionBroken => _ssh.Output.SawEof || _ssh.InputFailed;

    /// <summary>Turns a failure while talking into a RemoteException (ending the session).</summary>
    public RemoteException Failure(Exception e, string doing)
    {
        string message;
        if (ConnectionBroken || e is IOException)
            message = $"lost the connection to '{Url.Display}' while {doing}: {_ssh.ExitReason()}";
        else
        {
            _ssh.Kill();
            message = $"'{Url.Display}' sent garbage while {doing}: {e.Message}";
        }
        return new RemoteException(message);
    }

    /// <summary>Runs one exchange, translating failures.</summary>
    public T Exchange<T>(string doing, Func<T> body)
    {
        try { return body(); }
        catch (Exception e) when (e is IOException or FormatException) { throw Failure(e, doing); }
    }

    /// <summary>Which of the paths the remote store has (one round trip).</summary>
    public HashSet<string> QueryValidPaths(IReadOnlyCollection<string> paths, bool lockPaths = false, bool substitute = false) =>
        Exchange("asking which paths it has", () =>
        {
            Count(ServeCommand.QueryValidPaths);
            ServeProtocol.WriteQueryValidPaths(To, lockPaths, substitute, paths);
            To.Flush();
            var asked = new HashSet<string>(paths, StringComparer.Ordinal);
            var valid = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in ServeProtocol.ReadPaths(From, "the valid paths"))
            {
                if (!asked.Contains(p)) throw new WireFormatException($"it answered with '{p}', which was not asked about");
                valid.Add(p);
            }
            return valid;
        });

    /// <summary>The closure of paths on the remote side (one round trip).</summary>
    public List<string> QueryClosure(IReadOnlyCollection<string> paths, bool includeOutputs) =>
        Exchange("asking for the closure", () =>
        {
            Count(ServeCommand.QueryClosure);
            ServeProtocol.WriteCommand(To, ServeCommand.QueryClosure);
            ServeProtocol.WriteBool(To, includeOutputs);
            WireStream.WriteStrings(To, paths);
            To.Flush();
            return ServeProtocol.ReadPaths(From, "the closure");
        });

    /// <summary>The infos of the valid ones among the paths (one round trip).</summary>
    public List<ServePathInfo> QueryPathInfos(IReadOnlyCollection<string> paths)
    {
        if (ServeProtocol.Minor(RemoteVersion) < 4)
            throw new RemoteException($"'{Url.Display}' speaks serve protocol 2.{ServeProtocol.Minor(RemoteVersion)}, which sends no NAR hashes; nixsharp needs 2.4 or later (Nix 2.0 or later)");
        return Exchange("asking for path infos", () =>
        {
            Count(ServeCommand.QueryPathInfos);
            ServeProtocol.WriteCommand(To, ServeCommand.QueryPathInfos);
            WireStream.WriteStrings(To, paths);
            To.Flush();
            var asked = new HashSet<string>(paths, StringComparer.Ordinal);
            var infos = ServeProtocol.ReadPathInfos(From);
            foreach (var i in infos)
                if (!asked.Remove(i.Path)) throw new WireFormatException($"it sent the info of '{i.Path}', which was not asked about (or twice)");
            return infos;
        });
    }

    /// <summary>Sends DumpStorePath requests (the NARs come back in this order; read them with From).</summary>
    public void RequestNar(string path)
    {
        Count(ServeCommand.DumpStorePath);
        ServeProtocol.WriteCommand(To, ServeCommand.DumpStorePath);
        WireStream.WriteString(To, path);
    }

    /// <summary>Counts a request the caller writes itself (AddToStoreNar, ImportPaths).</summary>
    public void CountRequest(ServeCommand cmd) => Count(cmd);

    /// <summary>Skips a NAR on From (one that arrived for a path that became valid meanwhile).</summary>
    public void SkipNar() => NarReader.Copy(From, Stream.Null);

    /// <summary>Ends the session: the remote program sees end of input and exits.</summary>
    public void Close() => _ssh.Close();

    public void Kill() => _ssh.Kill();

    public void Dispose() => _ssh.Dispose();
}
