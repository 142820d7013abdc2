// Unpacking a downloaded archive as fetchTarball does. Tar archives (plain, gzip, bzip2, xz, zstd)
// go to the system's GNU tar, which recognises each compression by its magic bytes and knows every
// tar dialect (pax, GNU long names, sparse files, hard links); .NET has no xz or zstd decoder, so a
// reader of our own would still need external programs. Zip archives are read with .NET's ZipFile.
// Anything else is refused with libarchive's words, as Nix 2.8 (which uses libarchive) says them.
namespace Nixsharp.Store.Fetching;

using System.Diagnostics;
using System.IO.Compression;

public static class ArchiveUnpacker
{
    private enum Kind { Tar, Zip, Unknown }

    /// <summary>Unpacks `archive` into the (empty, existing) directory `destination`.</summary>
    public static void Unpack(string archive, string destination)
    {
        switch (Detect(archive))
        {
            case Kind.Zip:
                try { ZipFile.ExtractToDirectory(archive, destination); }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    throw new FetchException($"failed to extract archive ({e.Message})");
                }
                break;
            case Kind.Tar:
                RunTar(archive, destination);
                break;
            default:
                throw new FetchException("failed to open archive: Unrecognized archive format");
        }
    }

    /// <summary>Unpacks `archive` under `workDir` and returns its single top-level entry; `url`
    /// names the archive in the error when there is not exactly one.</summary>
    public static string UnpackSingleTopLevel(string archive, string workDir, string url)
    {
        var unpacked = Path.Combine(workDir, "unpacked");
        Directory.CreateDirectory(unpacked);
        Unpack(archive, unpacked);
        var members = Directory.GetFileSystemEntries(unpacked);
        if (members.Length != 1)
            throw new FetchException($"tarball '{url}' contains an unexpected number of top-level files");
        return members[0];
    }

    private static Kind Detect(string archive)
    {
        var head = new byte[512];
        int n;
        using (var f = File.OpenRead(archive))
        {
            n = 0;
            int r;
            while (n < head.Length && (r = f.Read(head, n, head.Length - n)) > 0) n += r;
        }
        ReadOnlySpan<byte> h = head.AsSpan(0, n);
        if (h.StartsWith("PK\x03\x04"u8) || h.StartsWith("PK\x05\x06"u8)) return Kind.Zip;
        if (h.StartsWith(new byte[] { 0x1f, 0x8b })                      // gzip
            || h.StartsWith("BZh"u8)                                      // bzip2
            || h.StartsWith(new byte[] { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 }) // xz
            || h.StartsWith(new byte[] { 0x28, 0xb5, 0x2f, 0xfd })        // zstd
            || h.StartsWith(new byte[] { 0x5d, 0x00, 0x00 })              // lzma
            || h.StartsWith(new byte[] { 0x1f, 0x9d }))                   // compress
            return Kind.Tar;
        // An uncompressed tar: "ustar" at offset 257, or an old-style header whose checksum adds up.
        if (n >= 512 && (h.Slice(257, 5).SequenceEqual("ustar"u8) || OldTarChecksumMatches(h))) return Kind.Tar;
        return Kind.Unknown;
    }

    private static bool OldTarChecksumMatches(ReadOnlySpan<byte> header)
    {
        var field = System.Text.Encoding.ASCII.GetString(header.Slice(148, 8)).Trim(' ', '\0');
        if (field.Length == 0) return false;
        long stored;
        try { stored = Convert.ToInt64(field, 8); }
        catch (FormatException) { return false; }
        long sum = 0;
        for (int i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? ' ' : header[i];
        return sum == stored;
    }

    private static void RunTar(string archive, string destination)
    {
        var psi = new ProcessStartInfo("tar")
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        // Not the archive's owners (we may be root); modes as the archive has them less the umask.
        foreach (var a in new[] { "-x", "-f", archive, "-C", destination, "--no-same-owner", "--no-same-permissions", "--delay-directory-restore" })
            psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new FetchException($"cannot unpack '{archive}': running 'tar' failed ({e.Message}); install GNU tar");
        }
        using (p)
        {
            var stderr = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new FetchException($"failed to extract archive ({stderr.Result.Trim().Replace('\n', ' ')})");
        }
        // Entries the archive made unreadable (or unsearchable) for their owner could not be stored.
        MakeReadable(destination);
    }

    private static void MakeReadable(string dir)
    {
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", new EnumerationOptions
                 { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false }))
        {
            if (entry.LinkTarget is not null) continue;
            var mode = entry.UnixFileMode;
            var wanted = mode | UnixFileMode.UserRead | UnixFileMode.UserWrite | (entry is DirectoryInfo ? UnixFileMode.UserExecute : 0);
            if (wanted != mode) entry.UnixFileMode = wanted;
            if (entry is DirectoryInfo) MakeReadable(entry.FullName);
        }
    }
}
