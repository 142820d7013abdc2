// A binary cache's description of one store path: the `.narinfo` file, "Key: value" lines.
// Printing gives Nix 2.8's bytes. Parsing is stricter than Nix's: every line must be well formed,
// known fields may appear once (Sig any number of times), and every value must be what its field
// holds; unknown keys are skipped as Nix skips them (newer writers add fields). Errors keep Nix's
// "NAR info file '…' is corrupt" and add the line and what is wrong with it.
namespace Nixsharp.Formats.BinaryCache;

using System.Globalization;
using System.Text;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Signing;
using Nixsharp.Formats.StorePaths;

/// <summary>A .narinfo that cannot be read.</summary>
public sealed class NarInfoFormatException : FormatException
{
    public NarInfoFormatException(string message) : base(message) { }
}

public sealed record NarInfo
{
    /// <summary>The full store path.</summary>
    public required string StorePath { get; init; }
    /// <summary>Where the (compressed) NAR is, relative to the cache ("nar/….nar.xz").</summary>
    public required string Url { get; init; }
    /// <summary>xz, zstd, bzip2, none… Nix reads a missing field as bzip2 (its first default).</summary>
    public string Compression { get; init; } = "bzip2";
    /// <summary>Hash and size of the file at Url (the compressed NAR).</summary>
    public Hash? FileHash { get; init; }
    public long FileSize { get; init; }
    public required Hash NarHash { get; init; }
    public required long NarSize { get; init; }
    /// <summary>Full store paths, in byte order.</summary>
    public IReadOnlyList<string> References { get; init; } = [];
    /// <summary>Full store path of the derivation, if known.</summary>
    public string? Deriver { get; init; }
    public string? System { get; init; }
    /// <summary>Signatures "NAME:BASE64", in byte order.</summary>
    public IReadOnlyList<string> Signatures { get; init; } = [];
    /// <summary>Content address ("fixed:…", "text:…"), if the path is content-addressed.</summary>
    public string? ContentAddress { get; init; }

    /// <summary>The base name's hash part: the narinfo's file name without ".narinfo".</summary>
    public string HashPart => HashPartOf(StorePath);

    public static string HashPartOf(string storePath) =>
        storePath.Substring(storePath.LastIndexOf('/') + 1, StorePathComputer.HashPartLength);

    /// <summary>What signatures of this path sign.</summary>
    public string Fingerprint => PathFingerprint.Of(StorePath, NarHash, NarSize, References);

    /// <summary>The file as Nix 2.8 writes it.</summary>
    public string Print()
    {
        if (FileHash is null || FileSize <= 0)
            throw new InvalidOperationException($"the narinfo of '{StorePath}' has no file hash or size to print");
        var sb = new StringBuilder();
        Line(sb, "StorePath", StorePath);
        Line(sb, "URL", Url);
        Line(sb, "Compression", Compression);
        Line(sb, "FileHash", FileHash.ToString(HashFormat.Base32, includeAlgo: true));
        Line(sb, "FileSize", FileSize.ToString(CultureInfo.InvariantCulture));
        Line(sb, "NarHash", NarHash.ToString(HashFormat.Base32, includeAlgo: true));
        Line(sb, "NarSize", NarSize.ToString(CultureInfo.InvariantCulture));
        Line(sb, "References", string.Join(' ', References.Select(BaseName)));
        if (Deriver is not null) Line(sb, "Deriver", BaseName(Deriver));
        if (System is not null) Line(sb, "System", System);
        foreach (var sig in Signatures) Line(sb, "Sig", sig);
        if (ContentAddress is not null) Line(sb, "CA", ContentAddress);
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string key, string value) => sb.Append(key).Append(": ").Append(value).Append('\n');

    private static string BaseName(string storePath) => storePath.Substring(storePath.LastIndexOf('/') + 1);

    /// <summary>Parses a .narinfo. `whence` names the file or URL in errors.</summary>
    /// <exception cref="NarInfoFormatException">what is wrong, with the line number</exception>
    public static NarInfo Parse(string text, string storeDir, string whence)
    {
        string? storePath = null, url = null, compression = null, deriver = null, system = null, ca = null;
        Hash? fileHash = null, narHash = null;
        long? fileSize = null, narSize = null;
        List<string>? references = null;
        var signatures = new SortedSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);

        NarInfoFormatException Corrupt(int line, string why) =>
            new($"NAR info file '{whence}' is corrupt: line {line}: {why}");

        if (text.Length == 0) throw new NarInfoFormatException($"NAR info file '{whence}' is corrupt: it is empty");
        if (text[^1] != '\n')
            throw new NarInfoFormatException($"NAR info file '{whence}' is corrupt: its last line has no newline (truncated?)");
        int lineNo = 0;
        foreach (var line in text[..^1].Split('\n'))
        {
            lineNo++;
            int sep = line.IndexOf(": ", StringComparison.Ordinal);
            if (sep <= 0)
            {
                // "References: " with nothing after it is written with its space; tolerate a trimmed one.
                if (line.EndsWith(':') && line.Length > 1) sep = line.Length - 1;
                else throw Corrupt(lineNo, $"expected 'Key: value', got '{Shorten(line)}'");
            }
            var key = line[..sep];
            var value = sep + 2 <= line.Length ? line[(sep + 2)..] : "";
            if (key != "Sig" && IsKnown(key) && !seen.Add(key)) throw Corrupt(lineNo, $"'{key}' appears more than once");
            try
            {
                switch (key)
                {
                    case "StorePath": storePath = CheckPath(storeDir, value); break;
                    case "URL":
                        if (value.Length == 0 || value.Any(c => c <= ' ')) throw new FormatException($"URL '{value}' is empty or has spaces");
                        url = value;
                        break;
                    case "Compression":
                        if (value.Length == 0 || !value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9')))
                            throw new FormatException($"compression method '{value}' is not a name");
                        compression = value;
                        break;
                    case "FileHash": fileHash = Hash.ParseAnyPrefixed(value); break;
                    case "FileSize": fileSize = ParseSize(value); break;
                    case "NarHash":
                        narHash = Hash.ParseAnyPrefixed(value);
                        if (narHash.Type != HashType.Sha256) throw new FormatException($"NAR hash '{value}' is not SHA-256");
                        break;
                    case "NarSize":
                        narSize = ParseSize(value);
                        if (narSize == 0) throw new FormatException("NAR size is 0");
                        break;
                    case "References":
                        references = new List<string>();
                        if (value.Length > 0)
                        {
                            foreach (var r in value.Split(' '))
                            {
                                if (r.Contains('/')) throw new FormatException($"reference '{r}' is not a store path's base name");
                                references.Add(CheckPath(storeDir, storeDir + "/" + r));
                            }
                        }
                        if (references.Distinct(StringComparer.Ordinal).Count() != references.Count)
                            throw new FormatException("a reference is listed twice");
                        break;
                    case "Deriver":
                        if (value == "unknown-deriver") break;
                        if (value.Contains('/')) throw new FormatException($"deriver '{value}' is not a store path's base name");
                        deriver = CheckPath(storeDir, storeDir + "/" + value);
                        break;
                    case "System": system = value; break;
                    case "Sig":
                        if (value.IndexOf(':') <= 0 || value.Any(c => c <= ' ')) throw new FormatException($"signature '{Shorten(value)}' is not NAME:BASE64");
                        signatures.Add(value);
                        break;
                    case "CA":
                        if (!(value.StartsWith("fixed:", StringComparison.Ordinal) || value.StartsWith("text:", StringComparison.Ordinal)))
                            throw new FormatException($"content address '{value}' is neither 'fixed:…' nor 'text:…'");
                        ca = value;
                        break;
                    default: break; // unknown keys are skipped, as Nix does
                }
            }
            catch (FormatException e) when (e is not NarInfoFormatException)
            {
                throw Corrupt(lineNo, $"{key}: {e.Message}");
            }
        }
        foreach (var required in new[] { "StorePath", "URL", "NarHash", "NarSize" })
        {
            if (!seen.Contains(required))
                throw new NarInfoFormatException($"NAR info file '{whence}' is corrupt: the required field '{required}' is missing");
        }
        return new NarInfo
        {
            StorePath = storePath!, Url = url!, Compression = compression ?? "bzip2",
            FileHash = fileHash, FileSize = fileSize ?? 0, NarHash = narHash!, NarSize = narSize!.Value,
            References = (references ?? []).Order(StringComparer.Ordinal).ToList(),
            Deriver = deriver, System = system, Signatures = signatures.ToList(), ContentAddress = ca,
        };
    }

    private static bool IsKnown(string key) => key is "StorePath" or "URL" or "Compression" or "FileHash" or "FileSize"
        or "NarHash" or "NarSize" or "References" or "Deriver" or "System" or "Sig" or "CA";

    private static string CheckPath(string storeDir, string path) =>
        StorePathComputer.StorePathError(storeDir, path) is { } error ? throw new FormatException(error) : path;

    private static long ParseSize(string value)
    {
        if (value.Length == 0 || value.Length > 19 || !value.All(char.IsAsciiDigit)
            || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            throw new FormatException($"'{Shorten(value)}' is not a size in bytes");
        return n;
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";
}
