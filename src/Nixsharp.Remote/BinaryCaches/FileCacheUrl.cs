// "file:///dir?compression=xz&secret-key=FILE": a binary cache in a local directory, with the
// settings Nix 2.8 takes in the URL for writing one.
namespace Nixsharp.Remote.BinaryCaches;

using Nixsharp.Formats.Compression;

public sealed record FileCacheUrl
{
    public required string Directory { get; init; }
    /// <summary>How NARs are compressed when written (Nix's default: xz).</summary>
    public string Compression { get; init; } = "xz";
    /// <summary>Nix's compression-level; -1 keeps each method's default (see CompressionMethods.OpenCompressor).</summary>
    public int CompressionLevel { get; init; } = -1;
    /// <summary>A secret key file to sign what is written with.</summary>
    public string? SecretKeyFile { get; init; }

    /// <summary>The URL as it is shown in messages (without its settings, as Nix shows it).</summary>
    public string Display => "file://" + Directory;

    public static bool IsFileUrl(string url) => url.StartsWith("file://", StringComparison.Ordinal);

    public static FileCacheUrl Parse(string url)
    {
        if (!IsFileUrl(url)) throw new BinaryCacheException($"'{url}' is not a file:// binary cache URL");
        var rest = url["file://".Length..];
        string query = "";
        int q = rest.IndexOf('?');
        if (q >= 0) { query = rest[(q + 1)..]; rest = rest[..q]; }
        var dir = Uri.UnescapeDataString(rest);
        if (!dir.StartsWith('/'))
            throw new BinaryCacheException($"binary cache URL '{url}' must name an absolute directory (file:///path/to/cache)");
        var result = new FileCacheUrl { Directory = dir.Length > 1 ? dir.TrimEnd('/') : dir };
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            switch (key)
            {
                case "compression":
                    if (!CompressionMethods.Writable.Contains(value))
                        throw new BinaryCacheException($"compression method '{value}' in '{url}' is not supported for writing (use one of: {string.Join(", ", CompressionMethods.Writable)})");
                    result = result with { Compression = value };
                    break;
                case "compression-level":
                    if (!int.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var level))
                        throw new BinaryCacheException($"'compression-level' in '{url}' must be a number, not '{value}'");
                    result = result with { CompressionLevel = level };
                    break;
                case "secret-key":
                    if (value.Length == 0) throw new BinaryCacheException($"'secret-key' in '{url}' needs a file name");
                    result = result with { SecretKeyFile = value };
                    break;
                default:
                    throw new BinaryCacheException($"binary cache setting '{key}' in '{url}' is not supported (nixsharp knows 'compression', 'compression-level' and 'secret-key')");
            }
        }
        if (CompressionMethods.CheckLevel(result.Compression, result.CompressionLevel) is { } why)
            throw new BinaryCacheException($"'compression-level={result.CompressionLevel}' in '{url}': {why}");
        return result;
    }
}
