// Runs a builder (inside bwrap or directly) with exactly the environment given, standard input
// closed, and its standard output and error passed on to the log as they come.
namespace Nixsharp.Builder.Building;

using System.Diagnostics;

internal sealed class BuilderProcess : IDisposable
{
    private readonly Process _process;
    private readonly Thread[] _pumps;

    private BuilderProcess(Process process, Thread[] pumps) { _process = process; _pumps = pumps; }

    /// <summary>Process starts are serialised: a descriptor meant for one child (the seccomp
    /// filter) is open without close-on-exec only while that child is being started.</summary>
    private static readonly object StartLock = new();

    /// <summary>Starts the program. Call from the thread whose personality the builder should inherit.
    /// `inheritedFd`, when given, makes a descriptor for the child (its number is passed with the
    /// arguments it returns) and is closed here once the child has it.</summary>
    public static BuilderProcess Start(string program, Func<int?, IEnumerable<string>> argsFor, IReadOnlyDictionary<string, string> env,
        string workingDirectory, Action<byte[], int> output, Func<int>? inheritedFd = null)
    {
        lock (StartLock)
        {
            int? fd = inheritedFd?.Invoke();
            try { return StartUnlocked(program, argsFor(fd), env, workingDirectory, output); }
            finally { if (fd is int f) Linux.SeccompFilter.Close(f); }
        }
    }

    private static BuilderProcess StartUnlocked(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> env,
        string workingDirectory, Action<byte[], int> output)
    {
        var psi = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Nothing of this process's environment leaks into the build.
        psi.Environment.Clear();
        foreach (var (k, v) in env) psi.Environment[k] = v;
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new IOException($"executing '{program}' failed");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"executing '{program}': {e.Message}");
        }
        // The builder reads end-of-file on standard input, as from /dev/null.
        p.StandardInput.Close();
        var gate = new object();
        Thread Pump(Stream s, string name)
        {
            var t = new Thread(() =>
            {
                var buf = new byte[16384];
                try
                {
                    int n;
                    while ((n = s.Read(buf, 0, buf.Length)) > 0)
                        lock (gate) output(buf, n);
                }
                catch (IOException) { }
                catch (ObjectDisposedException) { }
            }) { IsBackground = true, Name = name };
            t.Start();
            return t;
        }
        var pumps = new[] { Pump(p.StandardOutput.BaseStream, "builder-stdout"), Pump(p.StandardError.BaseStream, "builder-stderr") };
        return new BuilderProcess(p, pumps);
    }

    public int Id => _process.Id;

    /// <summary>Waits for the builder and the end of its output; returns its exit code (128 + n
    /// when it died of signal n). Kills it when `cancel` fires.</summary>
    public int Wait(CancellationToken cancel)
    {
        using (cancel.Register(Kill))
        {
            _process.WaitForExit();
            foreach (var t in _pumps) t.Join();
        }
        cancel.ThrowIfCancellationRequested();
        return _process.ExitCode;
    }

    public void Kill()
    {
        try { _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

    public void Dispose() => _process.Dispose();
}
