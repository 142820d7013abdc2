// Devices, fifos and sockets: files a NAR cannot hold, which Nix calls "unknown" in filters and
// refuses to archive. .NET reports them as regular files and has no public lstat file type.
namespace Nixsharp.Formats.Nar;

using System.Formats.Tar;

public static class SpecialFiles
{
    /// <summary>True when the entry (not followed if a symlink) is a character or block device,
    /// a fifo or a socket.</summary>
    public static bool IsSpecial(FileSystemInfo entry)
    {
        // All of these have size 0, so an ordinary non-empty file is settled without a probe.
        if (entry is not FileInfo file || !file.Exists || file.LinkTarget is not null || file.Length != 0) return false;
        try
        {
            // The tar writer is the one public API that reads a file's type from lstat: the
            // entry it writes says which kind it found. A fifo is never opened, so this cannot block.
            var archive = new MemoryStream();
            using (var writer = new TarWriter(archive, TarEntryFormat.Ustar, leaveOpen: true))
                writer.WriteEntry(file.FullName, "probe");
            archive.Position = 0;
            using var reader = new TarReader(archive);
            return reader.GetNextEntry()?.EntryType is TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            // Gone meanwhile, or an empty regular file that may not be read: not special.
            return false;
        }
        catch (IOException)
        {
            // The tar writer refuses sockets, the one remaining kind.
            return true;
        }
    }
}
