// The setting names nixsharp recognises: every name Nix 2.8 knows (so that one nix.conf serves both
// tools without warnings), the older names Nix 2.8 still accepts for some of them, and nixsharp's own.
// Which of them a command acts on is the command's business; a name outside this list earns
// "warning: unknown setting", as in Nix.
namespace Nixsharp.Cli.Settings;

public static class SettingNames
{
    /// <summary>The names Nix 2.8's `nix show-config` lists.</summary>
    private static readonly string[] Nix28 =
    [
        "accept-flake-config", "access-tokens", "allow-dirty", "allow-import-from-derivation", "allow-new-privileges",
        "allow-symlinked-store", "allow-unsafe-native-code-during-evaluation", "allowed-impure-host-deps", "allowed-uris",
        "allowed-users", "auto-optimise-store", "bash-prompt", "bash-prompt-suffix", "build-hook", "build-poll-interval",
        "build-users-group", "builders", "builders-use-substitutes", "commit-lockfile-summary", "compress-build-log",
        "connect-timeout", "cores", "diff-hook", "download-attempts", "enforce-determinism", "eval-cache",
        "experimental-features", "extra-platforms", "fallback", "filter-syscalls", "flake-registry", "fsync-metadata",
        "gc-reserved-space", "hashed-mirrors", "http-connections", "http2", "ignored-acls", "impersonate-linux-26",
        "keep-build-log", "keep-derivations", "keep-env-derivations", "keep-failed", "keep-going", "keep-outputs",
        "log-lines", "max-build-log-size", "max-free", "max-jobs", "max-silent-time", "min-free", "min-free-check-interval",
        "nar-buffer-size", "narinfo-cache-negative-ttl", "narinfo-cache-positive-ttl", "netrc-file", "nix-path",
        "plugin-files", "post-build-hook", "pre-build-hook", "preallocate-contents", "print-missing", "pure-eval", "repeat",
        "require-sigs", "restrict-eval", "run-diff-hook", "sandbox", "sandbox-build-dir", "sandbox-dev-shm-size",
        "sandbox-fallback", "sandbox-paths", "secret-key-files", "show-trace", "stalled-download-timeout", "store",
        "substitute", "substituters", "sync-before-registering", "system", "system-features", "tarball-ttl", "timeout",
        "trace-function-calls", "trusted-public-keys", "trusted-substituters", "trusted-users", "use-case-hack",
        "use-registries", "use-sqlite-wal", "user-agent-suffix", "warn-dirty",
    ];

    /// <summary>Older names Nix 2.8 still takes, and the setting each stands for.</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["build-use-sandbox"] = "sandbox",
        ["build-use-chroot"] = "sandbox",
        ["build-sandbox-paths"] = "sandbox-paths",
        ["build-chroot-dirs"] = "sandbox-paths",
        ["build-max-jobs"] = "max-jobs",
        ["build-cores"] = "cores",
        ["build-use-substitutes"] = "substitute",
        ["binary-caches"] = "substituters",
        ["binary-cache-public-keys"] = "trusted-public-keys",
        ["trusted-binary-caches"] = "trusted-substituters",
        ["build-timeout"] = "timeout",
        ["build-max-silent-time"] = "max-silent-time",
        ["build-max-log-size"] = "max-build-log-size",
        ["build-keep-log"] = "keep-build-log",
        ["build-compress-log"] = "compress-build-log",
        ["build-fallback"] = "fallback",
        ["build-repeat"] = "repeat",
        ["gc-keep-outputs"] = "keep-outputs",
        ["gc-keep-derivations"] = "keep-derivations",
        ["env-keep-derivations"] = "keep-env-derivations",
    };

    /// <summary>Settings nixsharp has that Nix 2.8 does not.</summary>
    private static readonly string[] NixsharpOnly = ["max-call-depth", "abort-on-warn", "store-dir"];

    private static readonly HashSet<string> Known = new(Nix28.Concat(NixsharpOnly), StringComparer.Ordinal);

    /// <summary>The current name for `name` (an older alias maps to the setting it stands for;
    /// `extra-` stays in front).</summary>
    public static string Canonical(string name)
    {
        if (name.StartsWith("extra-", StringComparison.Ordinal))
        {
            var bare = name[6..];
            return Aliases.TryGetValue(bare, out var c) ? "extra-" + c : name;
        }
        return Aliases.TryGetValue(name, out var canonical) ? canonical : name;
    }

    /// <summary>Whether `name` (current, an alias, or `extra-` before either) is a setting at all.</summary>
    public static bool IsKnown(string name)
    {
        var c = Canonical(name);
        if (Known.Contains(c)) return true;
        return c.StartsWith("extra-", StringComparison.Ordinal) && Known.Contains(c[6..]);
    }
}
