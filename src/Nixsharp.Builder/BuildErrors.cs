// Build failures as values the scheduler and the CLI can act on: each carries Nix's message and
// the kind of failure, from which the exit status is computed as Nix computes it.
namespace Nixsharp.Builder;

/// <summary>How a derivation's build ended (a subset of Nix's BuildResult statuses).</summary>
public enum BuildStatus
{
    Built,
    AlreadyValid,
    /// <summary>The wanted outputs were fetched from a substituter instead of built.</summary>
    Substituted,
    /// <summary>The builder failed (non-zero exit, signal) in a sandboxed build.</summary>
    PermanentFailure,
    /// <summary>Failed in a way that may not happen again (an unsandboxed or fixed-output builder failing).</summary>
    TransientFailure,
    /// <summary>The builder succeeded but its outputs were refused (missing, bad references, ...).</summary>
    OutputRejected,
    /// <summary>Could not start (bad derivation, missing input, unsupported platform, sandbox set-up).</summary>
    MiscFailure,
    DependencyFailed,
    /// <summary>A fixed-output derivation produced a different hash.</summary>
    HashMismatch,
    /// <summary>Not attempted because another build failed first (without --keep-going).</summary>
    Cancelled,
    /// <summary>Killed for running longer than timeout, or silent longer than max-silent-time.</summary>
    TimedOut,
    /// <summary>Killed for writing more than max-build-log-size bytes of output.</summary>
    LogLimitExceeded,
    /// <summary>A --check rebuild produced an output different from the valid one.</summary>
    NotDeterministic,
}

/// <summary>A build of one derivation failed; the message is Nix's.</summary>
public sealed class BuildException : Exception
{
    public BuildStatus Status { get; }
    public BuildException(BuildStatus status, string message) : base(message) { Status = status; }
}

/// <summary>Realising failed. ExitStatus is what nix-build and nix-store exit with (1, or 100 plus
/// bits: 1 timed out, 2 hash mismatch, 4 build failure, 8 not deterministic).</summary>
public sealed class RealiseException : Exception
{
    public int ExitStatus { get; }
    public RealiseException(int exitStatus, string message) : base(message) { ExitStatus = exitStatus; }
}
