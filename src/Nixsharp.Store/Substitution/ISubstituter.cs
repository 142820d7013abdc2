// A substituter as the realiser sees it: somewhere ready-made store paths can be fetched from
// instead of built (a binary cache, over whatever transport). The transport lives elsewhere
// (Nixsharp.Remote); here is only what a run asks of one.
namespace Nixsharp.Store.Substitution;

using Nixsharp.Store.Local;

/// <summary>What a substituter says about a path it has.</summary>
public sealed record SubstitutablePath
{
    public required string Path { get; init; }
    public required IReadOnlyList<string> References { get; init; }
    public string? Deriver { get; init; }
    /// <summary>The size of the path's NAR (Nix's "unpacked" size).</summary>
    public long NarSize { get; init; }
    /// <summary>The size of what is downloaded (the compressed NAR file); 0 when not known.</summary>
    public long DownloadSize { get; init; }
    /// <summary>Whether this substituter's copy may be imported: signed by a trusted key, proven by
    /// its content address, or signatures are not required. Listing what will be fetched ignores
    /// this (as Nix does); fetching does not.</summary>
    public bool Trusted { get; init; }
}

public interface ISubstituter
{
    /// <summary>How it is named in messages ("file:///dir", "https://host").</summary>
    string Url { get; }

    /// <summary>Its priority: lower is asked first (Nix's default is 50). Reading it may connect;
    /// throws SubstituterUnavailableException when the substituter cannot be used at all.</summary>
    int Priority { get; }

    /// <summary>What it has of `paths` (paths it lacks are left out). Throws
    /// SubstituterUnavailableException when it cannot be asked.</summary>
    IReadOnlyDictionary<string, SubstitutablePath> Query(IReadOnlyCollection<string> paths);

    /// <summary>Fetches a path this substituter has (as Query described it; its references must be
    /// valid) into `store`, which registers it only once its NAR hash and size are checked. Throws
    /// SubstitutionException when the copy fails; nothing of it is then left.</summary>
    void Fetch(SubstitutablePath path, LocalStore store);

    /// <summary>Repairs a valid path whose contents are damaged or missing with this substituter's
    /// copy (LocalStore.RepairFromNar: the copy must have the NAR hash the store records, or
    /// nothing changes). Throws SubstitutionException when it fails.</summary>
    void FetchForRepair(SubstitutablePath path, LocalStore store);
}

/// <summary>A substituter cannot be used (unreachable, not a binary cache, for another store
/// directory); the message says so in Nix's words and is shown as a warning.</summary>
public sealed class SubstituterUnavailableException(string message) : Exception(message);

/// <summary>Fetching a path from a substituter failed (download, decompression, hash or size check).</summary>
public sealed class SubstitutionException(string message) : Exception(message);
