// `nix-store --export` / `--import` streams. Importing streams each NAR into a temporary
// directory in the store (protected by a temporary root) while hashing it, because the path's
// name and references only follow the NAR; then it moves into place and is registered.
namespace Nixsharp.Store.Local;

using System.Security.Cryptography;
using Nixsharp.Formats.Export;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Nar;
using Nixsharp.Store.Database;

public sealed partial class LocalStore
{
    /// <summary>Writes the paths (references before referrers) in Nix's export format. A path whose
    /// contents no longer match its recorded hash is refused, so corruption does not spread.</summary>
    public void ExportPaths(IEnumerable<string> paths, Stream output)
    {
        var sorted = TopoSortPaths(paths);
        sorted.Reverse();
        foreach (var path in sorted)
        {
            var info = QueryValidPathInfo(path);
            ExportFormat.WritePath(output, o =>
            {
                using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var tee = new TeeWriteStream(o, h);
                NarWriter.Dump(ToRealPath(path), tee);
                var actual = ValidPathInfo.FormatNarHash(h.GetHashAndReset());
                if (actual != info.NarHash)
                    throw new StoreException($"hash of path '{path}' has changed from '{ToBase32(info.NarHash)}' to '{ToBase32(actual)}'!");
            }, new ExportTrailer(path, info.References.ToList(), info.Deriver));
        }
        ExportFormat.WriteEnd(output);
    }

    /// <summary>Imports an export stream; returns the paths in the order they arrived.</summary>
    public List<string> ImportPaths(Stream input)
    {
        var imported = new List<string>();
        while (ExportFormat.ReadStart(input))
        {
            var tempPath = StoreDir + "/" + RandomHashPart() + "-import";
            AddTempRoot(tempPath);
            var tempReal = ToRealPath(tempPath);
            try
            {
                using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var reader = new HashingReadStream(input, h);
                NarReader.Parse(reader, new NarRestorer(tempReal));
                var narHash = h.GetHashAndReset();
                var trailer = ExportFormat.ReadTrailer(input);
                ParseStorePath(trailer.Path);
                foreach (var r in trailer.References) ParseStorePath(r);
                if (trailer.Deriver is { } d) ParseStorePath(d);
                var info = new ValidPathInfo
                {
                    Path = trailer.Path, NarHash = ValidPathInfo.FormatNarHash(narHash), NarSize = reader.BytesRead,
                    References = ValidPathInfo.PathSet(trailer.References), Deriver = trailer.Deriver,
                };
                WriteOnce(info.Path, repair: false, real =>
                {
                    Directory.Move(tempReal, real);
                    StoreFiles.Canonicalise(real);
                    return info;
                });
                imported.Add(info.Path);
            }
            finally
            {
                StoreFiles.DeleteTree(tempReal);
            }
        }
        return imported;
    }

    private static string RandomHashPart() => NixBase32.Encode(RandomNumberGenerator.GetBytes(20));
}

/// <summary>Writes through to an inner stream while hashing what passes.</summary>
public sealed class TeeWriteStream : Stream
{
    private readonly Stream _inner;
    private readonly IncrementalHash _hash;
    public TeeWriteStream(Stream inner, IncrementalHash hash) { _inner = inner; _hash = hash; }
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Write(ReadOnlySpan<byte> buffer) { _hash.AppendData(buffer); _inner.Write(buffer); }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => _inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
