namespace Nixsharp.Remote.BinaryCaches;

using Nixsharp.Formats.BinaryCache;

/// <summary>What importing from a binary cache needs of it, whatever its transport (file://, http(s)://).</summary>
public interface IBinaryCacheReader
{
    /// <summary>How the cache is named in messages.</summary>
    string Display { get; }

    /// <summary>The path's narinfo (parsed strictly, and for that path), or null when the cache
    /// does not have it.</summary>
    NarInfo? QueryNarInfo(string storePath);

    /// <summary>Streams the path's NAR, decompressed, to `consume`, then checks the file's size and
    /// hash against the narinfo.</summary>
    void ReadNar(NarInfo info, Action<Stream> consume);
}
