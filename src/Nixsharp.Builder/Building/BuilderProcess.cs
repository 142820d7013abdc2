// Runs a builder (inside bwrap or directly) with exactly the environment given, standard input
// closed, and its standard output and error passed on as they come; kills it (with everything it
// started) when it runs too long, stays silent too long, or its output is refused.
namespace Nixsharp.Builder.Building;

using System.Diagnostics;

/// <summary>Why a builder was killed before it ended by itself.</summary>
internal enum BuilderKill { None, Timeout, Silence, OutputRefused }

internal readonly record struct BuilderExit(int ExitCode, BuilderKill KilledFor);

internal sealed class BuilderProcess : IDisposable
{
    private readonly Process _process;
    private Thread[] _pumps = Array.Empty<Thread>();
    private readonly long _started = Environment.TickCount64;
    private long _lastOutput;
    private int _killedFor;

    private BuilderProcess(Process process) { _process = process; _lastOutput = _started; }

    /// <summary>Process starts are serialised: a descriptor meant for one child (the seccomp
    /// filter) is open without close-on-exec only while that child is being started.</summary>
    private static readonly object StartLock = new();

    /// <summary>Starts the program. Call from the thread whose personality the builder should inherit.
    /// `inheritedFd`, when given, makes a descriptor for the child (its number is passed with the
    /// arguments it returns) and is closed here once the child has it. `output` gets what the builder
    /// writes, one piece at a time; when it returns false the builder is killed and nothing more is passed on.</summary>
    public static BuilderProcess Start(string program, Func<int?, IEnumerable<string>> argsFor, IReadOnlyDictionary<string, string> env,
        string workingDirectory, Func<byte[], int, bool> output, Func<int>? inheritedFd = null)
    {
        lock (StartLock)
        {
            int? fd = inheritedFd?.Invoke();
            try { return StartUnlocked(program, argsFor(fd), env, workingDirectory, output); }
            finally { if (fd is int f) Linux.SeccompFilter.Close(f); }
        }
    }

    private static BuilderProcess StartUnlocked(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> env,
        string workingDirectory, Func<byte[], int, bool> output)
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
        var builder = new BuilderProcess(p);
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
                    {
                        Volatile.Write(ref builder._lastOutput, Environment.TickCount64);
                        lock (gate)
                            if (Volatile.Read(ref builder._killedFor) == (int)BuilderKill.None && !output(buf, n))
                                builder.KillFor(BuilderKill.OutputRefused);
                    }
                }
                catch (IOException) { }
                catch (ObjectDisposedException) { }
            }) { IsBackground = true, Name = name };
            t.Start();
            return t;
        }
        builder._pumps = new[] { Pump(p.StandardOutput.BaseStream, "builder-stdout"), Pump(p.StandardError.BaseStream, "builder-stderr") };
        return builder;
    }

    public int Id => _process.Id;

    /// <summary>Waits for the builder and the end of its output; returns its exit code (128 + n
    /// when it died of signal n) and why it was killed, if it was. Kills it when `cancel` fires,
    /// after `timeoutSeconds` in all, or after `maxSilentSeconds` without output (0: no limit).</summary>
    public BuilderExit Wait(CancellationToken cancel, int timeoutSeconds = 0, int maxSilentSeconds = 0)
    {
        using (cancel.Register(Kill))
        {
            while (true)
            {
                long now = Environment.TickCount64, next = long.MaxValue;
                if (timeoutSeconds > 0)
                {
                    long deadline = _started + timeoutSeconds * 1000L;
                    if (now >= deadline) { KillFor(BuilderKill.Timeout); break; }
                    next = Math.Min(next, deadline);
                }
                if (maxSilentSeconds > 0)
                {
                    // Output moves this deadline on, so it is looked at again when reached.
                    long deadline = Volatile.Read(ref _lastOutput) + maxSilentSeconds * 1000L;
                    if (now >= deadline) { KillFor(BuilderKill.Silence); break; }
                    next = Math.Min(next, deadline);
                }
                if (_process.WaitForExit(next == long.MaxValue ? -1 : (int)Math.Min(next - now, int.MaxValue))) break;
            }
            _process.WaitForExit();
            foreach (var t in _pumps) t.Join();
        }
        cancel.ThrowIfCancellationRequested();
        return new BuilderExit(_process.ExitCode, (BuilderKill)Volatile.Read(ref _killedFor));
    }

    /// <summary>Kills the builder for a reason; the first reason given is the one reported.</summary>
    private void KillFor(BuilderKill reason)
    {
        Interlocked.CompareExchange(ref _killedFor, (int)reason, (int)BuilderKill.None);
        Kill();
    }

    /// <summary>Kills the builder and every process it started that is still its descendant
    /// (in the sandbox, killing its PID 1 ends the whole PID namespace).</summary>
    public void Kill()
    {
        try { _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

    public void Dispose() => _process.Dispose();
}
