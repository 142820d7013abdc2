// Build logs where Nix 2.8 keeps them: <log dir>/drvs/<first two characters of the .drv's base
// name>/<the rest>, bzip2-compressed with a .bz2 suffix (compress-build-log) or plain. Either kind
// is read, the plain one first, so nixsharp and Nix read each other's logs.
namespace Nixsharp.Store.Local;

using Nixsharp.Formats.Compression;

public static class BuildLogs
{
    /// <summary>The log file of a derivation, without the .bz2 suffix.</summary>
    public static string PathFor(StoreLayout layout, string drvPath)
    {
        var baseName = drvPath.Substring(drvPath.LastIndexOf('/') + 1);
        return $"{layout.LogDir}/drvs/{baseName[..2]}/{baseName[2..]}";
    }

    /// <summary>A derivation's log, or null when there is none (or it cannot be decompressed,
    /// which Nix treats the same way).</summary>
    public static byte[]? Read(StoreLayout layout, string drvPath)
    {
        var plain = PathFor(layout, drvPath);
        if (File.Exists(plain)) return File.ReadAllBytes(plain);
        var compressed = plain + ".bz2";
        if (!File.Exists(compressed) || !Bzip2.IsAvailable) return null;
        try { return Bzip2.Decompress(File.ReadAllBytes(compressed)); }
        catch (Nixsharp.Formats.Compression.CompressionException) { return null; }
    }

    /// <summary>Starts a derivation's log, replacing any earlier one (of either kind). Compressed
    /// unless told otherwise or libbz2 is missing.</summary>
    public static Stream Create(StoreLayout layout, string drvPath, bool compress)
    {
        var plain = PathFor(layout, drvPath);
        Directory.CreateDirectory(Path.GetDirectoryName(plain)!);
        compress &= Bzip2.IsAvailable;
        // The other kind would be read instead of (plain) or mistaken for (compressed) this one.
        File.Delete(compress ? plain : plain + ".bz2");
        var file = new FileStream(compress ? plain + ".bz2" : plain, FileMode.Create, FileAccess.Write, FileShare.Read);
        return compress ? new Bzip2CompressStream(file) : file;
    }
}
