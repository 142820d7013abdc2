// What a build run may do: how many builds at once, whether to sandbox, which host paths the
// sandbox gets, the platform this machine builds for, limits on builders, where their output goes,
// and whether to check (rebuild and compare) instead of build. Passed explicitly (no global settings).
namespace Nixsharp.Builder;

/// <summary>Nix's `sandbox` setting: true, false or relaxed (fixed-output derivations and those
/// with __noChroot unsandboxed).</summary>
public enum SandboxMode { Enabled, Disabled, Relaxed }

public sealed record BuildSettings
{
    /// <summary>How many builders may run at once (max-jobs).</summary>
    public int MaxJobs { get; init; } = 1;
    /// <summary>NIX_BUILD_CORES for builders (0 tells them to use every CPU).</summary>
    public int Cores { get; init; } = Environment.ProcessorCount;
    /// <summary>Go on with other builds after one fails (--keep-going).</summary>
    public bool KeepGoing { get; init; }
    /// <summary>Keep the build directory of a failed build (--keep-failed).</summary>
    public bool KeepFailed { get; init; }
    public SandboxMode Sandbox { get; init; } = SandboxMode.Enabled;
    /// <summary>Host paths made visible in the sandbox, already checked (see SandboxPaths.Parse).</summary>
    public IReadOnlyList<SandboxPath> SandboxPaths { get; init; } = Array.Empty<SandboxPath>();
    /// <summary>The build directory's path inside the sandbox (sandbox-build-dir).</summary>
    public string SandboxBuildDir { get; init; } = "/build";
    /// <summary>The platform this machine builds for (system).</summary>
    public string System { get; init; } = "x86_64-linux";
    /// <summary>Other platforms it can build for (extra-platforms; Nix adds i686-linux on x86_64).</summary>
    public IReadOnlyCollection<string> ExtraPlatforms { get; init; } = new[] { "i686-linux" };
    /// <summary>system-features; null means Nix's default (nixos-test, benchmark, big-parallel, and kvm when usable).</summary>
    public IReadOnlyCollection<string>? SystemFeatures { get; init; }
    /// <summary>The bubblewrap executable; null means 'bwrap' found on PATH.</summary>
    public string? BwrapPath { get; init; }
    /// <summary>Where build directories go (Nix uses TMPDIR, else /tmp).</summary>
    public string TempDir { get; init; } = "/tmp";
    /// <summary>Seconds a builder may run before it is killed (timeout; 0: no limit).</summary>
    public int Timeout { get; init; }
    /// <summary>Seconds a builder may stay silent before it is killed (max-silent-time; 0: no limit).</summary>
    public int MaxSilentTime { get; init; }
    /// <summary>Bytes of output a builder may write before it is killed (max-build-log-size; 0: no limit).</summary>
    public long MaxLogSize { get; init; }
    /// <summary>Store each build's output in the log directory (keep-build-log).</summary>
    public bool KeepLog { get; init; } = true;
    /// <summary>bzip2-compress stored logs (compress-build-log).</summary>
    public bool CompressLog { get; init; } = true;
    /// <summary>Pass builder output on to the log as it comes (false for nix-build -Q, whose build
    /// errors then end with the last LogLines lines instead).</summary>
    public bool VerboseBuild { get; init; } = true;
    /// <summary>How many of the last lines a failed builder's error shows when output is not passed on (log-lines).</summary>
    public int LogLines { get; init; } = 10;
    /// <summary>Rebuild the requested derivations, whose outputs must be valid, and compare the
    /// results with the valid outputs instead of building what is missing (--check).</summary>
    public bool Check { get; init; }
    /// <summary>Check the contents of the valid outputs of the derivations looked at, and put back
    /// damaged ones from a substituter or by rebuilding in the sandbox (--repair).</summary>
    public bool Repair { get; init; }
    /// <summary>Build a derivation whose outputs' substitutes failed to download instead of failing
    /// it (--fallback).</summary>
    public bool Fallback { get; init; }
}
