// An sshd of the tests' own on 127.0.0.1: fresh host and client keys, a free port, and an
// ssh_config naming it, so that transfer tests talk to "a remote host" through the real OpenSSH
// client and server without touching the machine's own ssh set-up.
namespace Nixsharp.Cli.Tests;

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

public sealed class LoopbackSshd : IDisposable
{
    public const string HostAlias = "nixsharp-test-host";
    public const string SshdPath = "/usr/sbin/sshd";

    private readonly TempDir _dir = new("nixsharp-sshd");
    private readonly Process _sshd;

    /// <summary>The port sshd listens on.</summary>
    public int Port { get; }
    /// <summary>An ssh_config file: `ssh -F ConfigFile nixsharp-test-host` reaches this sshd as the
    /// current user with the generated key and a known_hosts that holds only its host key.</summary>
    public string ConfigFile { get; }
    /// <summary>What Nix reads for extra ssh options (NIX_SSHOPTS).</summary>
    public IDictionary<string, string> Environment { get; }

    public static bool Available => File.Exists(SshdPath) && File.Exists("/usr/bin/ssh");

    public LoopbackSshd()
    {
        if (!Available) throw new InvalidOperationException($"{SshdPath} is not installed (apt-get install openssh-server)");
        var hostKey = _dir.Sub("host_ed25519");
        var clientKey = _dir.Sub("client_ed25519");
        Keygen(hostKey);
        Keygen(clientKey);
        File.Copy(clientKey + ".pub", _dir.Sub("authorized_keys"));
        File.WriteAllText(_dir.Sub("known_hosts"), $"[127.0.0.1]:{{PORT}} {File.ReadAllText(hostKey + ".pub").Trim()}\n");

        // sshd needs its privilege-separation directory even when it runs as root.
        Directory.CreateDirectory("/run/sshd");
        Port = FreePort();
        File.WriteAllText(_dir.Sub("known_hosts"), File.ReadAllText(_dir.Sub("known_hosts")).Replace("{PORT}", Port.ToString()));
        var user = System.Environment.UserName;
        File.WriteAllText(_dir.Sub("sshd_config"),
            $"""
            Port {Port}
            ListenAddress 127.0.0.1
            HostKey {hostKey}
            PidFile {_dir.Sub("sshd.pid")}
            AuthorizedKeysFile {_dir.Sub("authorized_keys")}
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            PermitRootLogin prohibit-password
            AllowUsers {user}
            StrictModes no
            UsePAM no
            # The remote side runs with the test's PATH, so that nix-store and nixsharp are found.
            SetEnv PATH={System.Environment.GetEnvironmentVariable("PATH")}
            Subsystem sftp internal-sftp

            """);
        ConfigFile = _dir.Sub("ssh_config");
        File.WriteAllText(ConfigFile,
            $"""
            Host {HostAlias}
              HostName 127.0.0.1
              Port {Port}
              User {user}
              IdentityFile {clientKey}
              IdentitiesOnly yes
              UserKnownHostsFile {_dir.Sub("known_hosts")}
              StrictHostKeyChecking yes
              BatchMode yes
              LogLevel ERROR

            """);
        Environment = new Dictionary<string, string> { ["NIX_SSHOPTS"] = $"-F {ConfigFile}" };

        var psi = new ProcessStartInfo(SshdPath) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-D", "-e", "-f", _dir.Sub("sshd_config") }) psi.ArgumentList.Add(a);
        _sshd = Process.Start(psi)!;
        _sshd.ErrorDataReceived += (_, _) => { };
        _sshd.BeginErrorReadLine();
        _sshd.BeginOutputReadLine();
        WaitUntilListening();
    }

    /// <summary>Runs a command on the "remote host" through the real ssh client.</summary>
    public RunResult Ssh(params string[] remoteCommand) =>
        Tools.Run("ssh", new[] { "-F", ConfigFile, HostAlias }.Concat(remoteCommand));

    private void WaitUntilListening()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_sshd.HasExited) throw new InvalidOperationException($"sshd exited with status {_sshd.ExitCode}");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) { Thread.Sleep(50); }
        }
        throw new TimeoutException($"sshd did not start listening on 127.0.0.1:{Port}");
    }

    private static void Keygen(string file)
    {
        var r = Tools.Run("ssh-keygen", new[] { "-q", "-t", "ed25519", "-N", "", "-C", "nixsharp-test", "-f", file });
        if (r.Code != 0) throw new InvalidOperationException($"ssh-keygen failed: {r.Stderr}");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose()
    {
        try { if (!_sshd.HasExited) _sshd.Kill(entireProcessTree: true); _sshd.WaitForExit(5000); }
        catch (InvalidOperationException) { }
        _sshd.Dispose();
        _dir.Dispose();
    }
}
