// What the store database knows about one valid path: a row of ValidPaths plus its Refs.
namespace Nixsharp.Store.Database;

using System.Collections.Immutable;

public sealed record ValidPathInfo
{
    /// <summary>The store path, e.g. /nix/store/&lt;hash&gt;-name.</summary>
    public required string Path { get; init; }

    /// <summary>SHA-256 of the path's NAR serialisation as Nix stores it: "sha256:" and 64 base-16
    /// digits (see <see cref="FormatNarHash"/>).</summary>
    public required string NarHash { get; init; }

    /// <summary>Size of the NAR serialisation in bytes; 0 means unknown (stored as null).</summary>
    public long NarSize { get; init; }

    /// <summary>The derivation that produced the path, if known. It need not be valid.</summary>
    public string? Deriver { get; init; }

    /// <summary>When the path became valid, in seconds since the Unix epoch. 0 when registering
    /// means "now", as in Nix.</summary>
    public long RegistrationTime { get; init; }

    /// <summary>True when the path was built locally rather than copied from elsewhere.</summary>
    public bool Ultimate { get; init; }

    /// <summary>Signatures ("keyname:base64"); stored separated by spaces.</summary>
    public ImmutableSortedSet<string> Signatures
    {
        get => _signatures;
        init => _signatures = value.WithComparer(StringComparer.Ordinal);
    }

    /// <summary>The content address, in Nix's text form ("fixed:r:sha256:&lt;base32&gt;",
    /// "fixed:sha1:...", "text:sha256:..."), or null for input-addressed paths.</summary>
    public string? ContentAddress { get; init; }

    /// <summary>Store paths this path refers to, possibly including itself.</summary>
    public ImmutableSortedSet<string> References
    {
        get => _references;
        init => _references = value.WithComparer(StringComparer.Ordinal);
    }

    private readonly ImmutableSortedSet<string> _signatures = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);
    private readonly ImmutableSortedSet<string> _references = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>The text of a SHA-256 NAR hash as the hash column holds it.</summary>
    public static string FormatNarHash(ReadOnlySpan<byte> sha256)
    {
        if (sha256.Length != 32) throw new ArgumentException($"a SHA-256 hash has 32 bytes, not {sha256.Length}", nameof(sha256));
        Span<char> text = stackalloc char[7 + 64];
        "sha256:".CopyTo(text);
        Convert.TryToHexStringLower(sha256, text[7..], out _);
        return new string(text);
    }

    /// <summary>A NAR hash as the database holds it ("sha256:" and base 16), as Nix shows it in
    /// messages: "sha256:" and base 32.</summary>
    public static string ShowNarHash(string narHash) =>
        Nixsharp.Formats.Hashes.Hash.ParseAnyPrefixed(narHash).ToString(Nixsharp.Formats.Hashes.HashFormat.Base32, true);

    /// <summary>A set of paths in the order the database and Nix keep them (byte order).</summary>
    public static ImmutableSortedSet<string> PathSet(params IEnumerable<string> paths) =>
        ImmutableSortedSet.CreateRange(StringComparer.Ordinal, paths);

    // The sets compare by content, so two infos read from the database compare equal.
    public bool Equals(ValidPathInfo? other) =>
        other is not null
        && Path == other.Path && NarHash == other.NarHash && NarSize == other.NarSize
        && Deriver == other.Deriver && RegistrationTime == other.RegistrationTime
        && Ultimate == other.Ultimate && ContentAddress == other.ContentAddress
        && Signatures.SetEquals(other.Signatures) && References.SetEquals(other.References);

    public override int GetHashCode() => HashCode.Combine(Path, NarHash, NarSize, RegistrationTime);
}
