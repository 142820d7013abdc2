// Evaluation and parse errors as values with positions; the CLI turns them into Nix-style text.
// The class tree mirrors the distinctions Nix makes (tryEval catches only throw and assert).
namespace Nixsharp.Language.Evaluation;

using Nixsharp.Language.Syntax;

/// <summary>One "… while evaluating" frame shown with --show-trace.</summary>
public readonly record struct TraceFrame(Pos Pos, string Message);

public class NixError : Exception
{
    public Pos Pos { get; set; }
    public List<TraceFrame> Traces { get; } = new();
    /// <summary>Nearby names for "Did you mean …?"; null when none.</summary>
    public IReadOnlyList<string>? Suggestions { get; init; }
    /// <summary>The exit status a command ends with because of this error (Nix's: 100 when a build
    /// failed, 102 for a hash mismatch, 1 otherwise).</summary>
    public int ExitStatus { get; init; } = 1;

    public NixError(string message, Pos pos = default) : base(message) { Pos = pos; }

    public NixError AddTrace(Pos pos, string message)
    {
        Traces.Add(new TraceFrame(pos, message));
        return this;
    }
}

public class ParseError : NixError { public ParseError(string m, Pos p) : base(m, p) { } }
public class UndefinedVarError : NixError { public UndefinedVarError(string m, Pos p) : base(m, p) { } }
public class EvalError : NixError { public EvalError(string m, Pos p = default) : base(m, p) { } }
public class AssertionError : EvalError { public AssertionError(string m, Pos p = default) : base(m, p) { } }
public sealed class ThrownError : AssertionError { public ThrownError(string m, Pos p = default) : base(m, p) { } }
public sealed class AbortError : EvalError { public AbortError(string m, Pos p = default) : base(m, p) { } }
public sealed class TypeError : EvalError { public TypeError(string m, Pos p = default) : base(m, p) { } }
public sealed class MissingArgumentError : EvalError { public MissingArgumentError(string m, Pos p = default) : base(m, p) { } }
/// <summary>The stack ran out; not catchable by tryEval, like in Nix.</summary>
public sealed class StackOverflowError : NixError { public StackOverflowError(string m) : base(m) { } }
/// <summary>An error from outside the evaluator proper (I/O, unsupported feature).</summary>
public sealed class HostError : NixError { public HostError(string m, Pos p = default) : base(m, p) { } }
/// <summary>A misuse that Nix reports as a usage error (e.g. an unknown hash algorithm).</summary>
public sealed class UsageError : NixError { public UsageError(string m, Pos p = default) : base(m, p) { } }
