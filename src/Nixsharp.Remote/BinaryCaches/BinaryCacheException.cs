namespace Nixsharp.Remote.BinaryCaches;

/// <summary>A binary cache cannot be used, or what it holds is refused; the message names the
/// cache, the path or file, and what is wrong.</summary>
public sealed class BinaryCacheException : Exception
{
    public BinaryCacheException(string message) : base(message) { }
    public BinaryCacheException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The URL answered, but not as a binary cache (it has no nix-cache-info).</summary>
    public bool NotABinaryCache { get; init; }
}
