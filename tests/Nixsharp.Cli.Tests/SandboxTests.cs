// The sandbox keeps builds in: no network but their own loopback (fixed-output derivations keep
// the host's), no host files or undeclared store paths, no writes outside the outputs, the build
// directory and /tmp, no setuid files in the store, no view of host processes, and sandbox-paths
// that cannot climb out with "..".
namespace Nixsharp.Cli.Tests;

using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Xunit;

public class SandboxTests
{
    [Fact]
    public void BuildsHaveOnlyTheirOwnLoopbackButFixedOutputBuildsReachTheHost()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        // A listener on the host's loopback: a builder in its own network namespace cannot reach it.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = new List<string>();
        var acceptThread = new Thread(() =>
        {
            try
            {
                while (true)
                {
                    using var c = listener.AcceptTcpClient();
                    lock (accepted) accepted.Add("connection");
                    c.GetStream().Write("reached\n"u8);
                }
            }
            catch (SocketException) { }
            catch (ObjectDisposedException) { }
        }) { IsBackground = true };
        acceptThread.Start();
        var reachedHash = Convert.ToHexStringLower(SHA256.HashData("reached\n"u8));
        s.Write($$"""
              net = mk "net" "nc -w 2 127.0.0.1 {{port}} </dev/null > reply 2>&1; cat reply > $out; cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' ' >> $out";
              fod = mkWith "fod-net" { outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = "{{reachedHash}}"; }
                "nc -w 5 127.0.0.1 {{port}} </dev/null > $out";
            """);
        var net = s.BuildOk("-A", "net");
        Assert.Equal("lo\n", s.Read(net).Replace("nc: can't connect to remote host (127.0.0.1): Connection refused\n", ""));
        lock (accepted) Assert.Empty(accepted);
        // The control: a fixed-output derivation shares the host's network and gets the reply.
        var fod = s.BuildOk("-A", "fod");
        Assert.Equal("reached\n", s.Read(fod));
        lock (accepted) Assert.Single(accepted);
        listener.Stop();
    }

    [Fact]
    public void HostFilesAndUndeclaredStorePathsAreInvisibleAndOnlyOutputsAreWritable()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        var secretFile = s.Dir.Sub("secret");
        File.WriteAllText(secretFile, "secret\n");
        var added = Tools.Ns("store", "add", "--store", s.Store.Root, secretFile);
        Assert.Equal(0, added.Code);
        var undeclared = added.Out.Trim();
        Assert.True(File.Exists(s.Store.Real(undeclared)));
        s.Write($$"""
              probe = mk "probe" ''
                exec > $out
                for p in /home /root /usr /var /sys /run /boot /srv /opt /etc/shadow /etc/ssl {{s.Dir.Path}} {{undeclared}}; do
                  if [ -e "$p" ]; then echo "visible $p"; fi
                done
                cat {{undeclared}} 2>/dev/null && echo "read the undeclared path"
                echo x > /etc/passwd 2>/dev/null && echo "wrote /etc/passwd"
                touch /etc/new 2>/dev/null && echo "created /etc/new"
                mkdir /newdir 2>/dev/null && echo "created /newdir"
                touch /bin/new 2>/dev/null && echo "created /bin/new"
                echo x > /bin/sh 2>/dev/null && echo "wrote /bin/sh"
                echo x > /tmp/ok && echo x > $TMPDIR/ok && echo "tmp and build dir writable"
                ls /etc | tr '\n' ' '
                echo; ls / | tr '\n' ' '
                echo done
              '';
            """);
        var outPath = s.BuildOk("-A", "probe");
        Assert.Equal("tmp and build dir writable\ngroup hosts passwd \nbin build dev etc nix proc tmp done\n", s.Read(outPath));
        Assert.Equal("secret\n", File.ReadAllText(secretFile)); // the host file is untouched
        s.AssertNoLeftovers();
    }

    [Fact]
    public void SetuidAndSetgidBitsAreRefusedAndNeverReachTheStore()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        // As in Nix's sandbox, making a file setuid or setgid fails (EPERM); plain modes work. A
        // directory's sticky bit is allowed but, like every mode bit beyond r/x, canonicalised away.
        s.Write("""
              suid = mk "suid" ''
                mkdir $out $out/d; echo x > $out/su; echo y > $out/sg
                for m in 4755:su 2755:sg 6755:su u+s:su g+s:sg 755:su 1777:d; do
                  chmod ''${m%%:*} $out/''${m#*:} 2>/dev/null && echo "allowed $m" >> $TMPDIR/log || echo "refused $m" >> $TMPDIR/log
                done
                cp $TMPDIR/log $out/log
              '';
            """);
        var outPath = s.BuildOk("-A", "suid");
        Assert.Equal("refused 4755:su\nrefused 2755:sg\nrefused 6755:su\nrefused u+s:su\nrefused g+s:sg\nallowed 755:su\nallowed 1777:d\n",
            s.Read(outPath + "/log"));
        foreach (var f in new[] { "su", "sg", "d" })
            Assert.Equal((UnixFileMode)(f == "sg" ? 0b100_100_100 : 0b101_101_101), File.GetUnixFileMode(s.Store.Real(outPath + "/" + f)));
        s.Store.AssertVerifies("after a build that tried to make setuid files");
    }

    [Fact]
    public void BuildsSeeOnlyTheirOwnProcesses()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        s.Write("""
              procs = mk "procs" "sleep 0 & ls /proc | grep -E '^[0-9]+$' > $out; cat /proc/1/cmdline | tr '\\000' ' ' >> $out";
            """);
        var outPath = s.BuildOk("-A", "procs");
        var lines = s.Read(outPath).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var pids = lines.Where(l => l.All(char.IsAsciiDigit)).Select(int.Parse).ToList();
        // Only the builder (PID 1) and its few children: no PID of the host's many processes.
        Assert.Contains(1, pids);
        Assert.True(pids.Count < 10 && pids.All(p => p < 100), "pids seen: " + string.Join(' ', pids));
        Assert.DoesNotContain(Environment.ProcessId, pids);
        Assert.StartsWith("/bin/sh -c sleep 0", lines.Last()); // PID 1 is the builder itself
    }

    [Fact]
    public void SandboxPathsWithDotDotAreRejectedBeforeBuilding()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        s.Write("""  x = mk "x" "echo x > $out";""");
        foreach (var bad in new[] { "/bin/../etc=/etc", "/data=/tmp/../etc", "/a/..", "relative=/etc" })
        {
            var r = s.Build("-A", "x", "--option", "extra-sandbox-paths", bad);
            Assert.Equal(1, r.Code);
            Assert.Contains("error: sandbox path '" + bad + "'", r.Stderr);
            Assert.DoesNotContain("building", r.Stderr);
        }
        Assert.DoesNotContain(s.Store.ValidPaths(), p => p.EndsWith("-x", StringComparison.Ordinal));
        // A good extra path is visible where it was asked for.
        var data = s.Dir.Sub("data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "f"), "host data\n");
        s.Write("""  y = mk "y" "cat /data/f > $out";""");
        var y = s.BuildOk("-A", "y", "--option", "extra-sandbox-paths", "/data=" + data);
        Assert.Equal("host data\n", s.Read(y));
    }
}
