// The format of `nix-store --export`: for each path, the number 1, the path's NAR, a magic number,
// the path, its references, its deriver ("" if none) and 0 (no legacy signature); 0 at the end.
// Paths are written references first, so an importer can register each one as it arrives.
namespace Nixsharp.Formats.Export;

using Nixsharp.Formats.Wire;

public sealed record ExportTrailer(string Path, IReadOnlyList<string> References, string? Deriver);

public static class ExportFormat
{
    public const ulong Magic = 0x4558494e; // "NIXE"
    private const int MaxPathLength = 4096;
    private const int MaxReferences = 1 << 20;

    /// <summary>Writes one path: the caller's writeNar puts the NAR on the stream.</summary>
    public static void WritePath(Stream output, Action<Stream> writeNar, ExportTrailer trailer)
    {
        WireStream.WriteU64(output, 1);
        writeNar(output);
        WireStream.WriteU64(output, Magic);
        WireStream.WriteString(output, trailer.Path);
        WireStream.WriteStrings(output, trailer.References);
        WireStream.WriteString(output, trailer.Deriver ?? "");
        WireStream.WriteU64(output, 0);
    }

    public static void WriteEnd(Stream output) => WireStream.WriteU64(output, 0);

    /// <summary>Reads the marker before a path: true when a path (its NAR first) follows, false at
    /// the end of the stream.</summary>
    public static bool ReadStart(Stream input)
    {
        var n = WireStream.ReadU64(input, "the start of an exported path");
        if (n == 0) return false;
        if (n != 1) throw new WireFormatException("input doesn't look like something created by 'nix-store --export'");
        return true;
    }

    /// <summary>Reads what follows a path's NAR.</summary>
    public static ExportTrailer ReadTrailer(Stream input)
    {
        var magic = WireStream.ReadU64(input, "the export magic number");
        if (magic != Magic) throw new WireFormatException("Nix archive cannot be imported; wrong format");
        var path = WireStream.ReadString(input, MaxPathLength, "the path name");
        var refs = WireStream.ReadStrings(input, MaxReferences, MaxPathLength, "the references");
        var deriver = WireStream.ReadString(input, MaxPathLength, "the deriver");
        var sig = WireStream.ReadU64(input, "the signature marker");
        if (sig == 1) WireStream.ReadString(input, 1 << 16, "a legacy signature");
        else if (sig != 0) throw new WireFormatException("bad signature marker in export stream");
        return new ExportTrailer(path, refs, deriver.Length == 0 ? null : deriver);
    }
}
