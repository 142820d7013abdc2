// Finding which store paths a build output refers to: the hash parts (32 base-32 characters) of
// the candidate paths are looked for in the output's NAR serialisation, as Nix's RefScanSink does,
// so file contents, file names and symlink targets all count, and a hash split across two writes
// is still found.
namespace Nixsharp.Builder.Outputs;

using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Streams;

public sealed class ReferenceScanner
{
    private const int HashLength = 32;
    private static readonly bool[] IsBase32 = MakeTable();

    // PERF: candidates are bucketed by their first eight bytes, so a window of base-32 characters
    // costs one dictionary probe and no allocation; full comparison only on a prefix match.
    private readonly Dictionary<ulong, List<(byte[] Hash, string Path)>> _byPrefix = new();
    private readonly HashSet<string> _found = new(StringComparer.Ordinal);
    private readonly byte[] _tail = new byte[HashLength - 1];
    private int _tailLength;
    private readonly byte[] _joint = new byte[2 * HashLength];

    /// <param name="candidates">Store paths that may be referred to.</param>
    public ReferenceScanner(IEnumerable<string> candidates)
    {
        foreach (var path in candidates)
        {
            var baseName = path.Substring(path.LastIndexOf('/') + 1);
            if (baseName.Length < HashLength) continue;
            var hash = Encoding.ASCII.GetBytes(baseName.Substring(0, HashLength));
            var key = BinaryPrimitives.ReadUInt64LittleEndian(hash);
            if (!_byPrefix.TryGetValue(key, out var list)) _byPrefix[key] = list = new();
            list.Add((hash, path));
        }
    }

    /// <summary>The candidate paths seen so far.</summary>
    public IReadOnlySet<string> Found => _found;

    private static bool[] MakeTable()
    {
        var t = new bool[256];
        foreach (var c in NixBase32.Alphabet) t[c] = true;
        return t;
    }

    public void Feed(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        // A hash may span the previous write and this one: look in the joint first.
        int head = Math.Min(data.Length, HashLength);
        _tail.AsSpan(0, _tailLength).CopyTo(_joint);
        data[..head].CopyTo(_joint.AsSpan(_tailLength));
        Search(_joint.AsSpan(0, _tailLength + head));
        Search(data);
        // Keep the last 31 bytes seen.
        int keep = Math.Min(HashLength - 1, _tailLength + data.Length);
        int fromData = Math.Min(keep, data.Length);
        int fromTail = keep - fromData;
        if (fromTail > 0) _tail.AsSpan(_tailLength - fromTail, fromTail).CopyTo(_tail);
        data[^fromData..].CopyTo(_tail.AsSpan(fromTail));
        _tailLength = keep;
    }

    private void Search(ReadOnlySpan<byte> s)
    {
        for (int i = 0; i + HashLength <= s.Length;)
        {
            // Check the window from its end: a non-base-32 byte lets us skip past it.
            int j = HashLength - 1;
            while (j >= 0 && IsBase32[s[i + j]]) j--;
            if (j >= 0) { i += j + 1; continue; }
            var window = s.Slice(i, HashLength);
            if (_byPrefix.TryGetValue(BinaryPrimitives.ReadUInt64LittleEndian(window), out var list))
                foreach (var (hash, path) in list)
                    if (window.SequenceEqual(hash)) _found.Add(path);
            i++;
        }
    }
}

/// <summary>A write-only stream that scans for references while hashing (SHA-256) and counting
/// what passes: one pass over an output gives its references, NAR hash and NAR size.</summary>
public sealed class ScanningHashStream : WriteOnlyStream
{
    private readonly ReferenceScanner _scanner;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    public long BytesWritten { get; private set; }

    public ScanningHashStream(ReferenceScanner scanner) { _scanner = scanner; }

    public byte[] GetHash() => _hash.GetHashAndReset();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _scanner.Feed(buffer);
        _hash.AppendData(buffer);
        BytesWritten += buffer.Length;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }

    public override long Length => BytesWritten;
    public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }
}

/// <summary>Nix's HashModuloSink: hashes data with every occurrence of `modulus` (an output's own
/// hash part) replaced by zero bytes, then the positions of those occurrences as "|N". A
/// fixed-output path's content hash is computed this way, so self-references do not count.</summary>
public sealed class HashModuloStream : WriteOnlyStream
{
    private readonly IncrementalHash _hash;
    private readonly byte[] _modulus;
    private byte[] _pending = Array.Empty<byte>();
    private long _position;
    private readonly List<long> _matches = new();

    public HashModuloStream(string algo, string modulus)
    {
        _hash = HashAlgorithms.Create(algo);
        _modulus = Encoding.ASCII.GetBytes(modulus);
    }

    public override void Write(ReadOnlySpan<byte> data)
    {
        var s = new byte[_pending.Length + data.Length];
        _pending.CopyTo(s, 0);
        data.CopyTo(s.AsSpan(_pending.Length));
        int j = 0;
        while ((j = IndexOf(s, _modulus, j)) >= 0)
        {
            _matches.Add(_position + j);
            Array.Clear(s, j, _modulus.Length);
            j += _modulus.Length;
        }
        int keep = s.Length < _modulus.Length ? s.Length : _modulus.Length - 1;
        int consumed = s.Length - keep;
        _pending = s.AsSpan(consumed).ToArray();
        _position += consumed;
        if (consumed > 0) _hash.AppendData(s, 0, consumed);
    }

    private static int IndexOf(byte[] s, byte[] what, int from)
    {
        var i = s.AsSpan(from).IndexOf(what);
        return i < 0 ? -1 : from + i;
    }

    public byte[] Finish()
    {
        _position += _pending.Length;
        _hash.AppendData(_pending);
        _pending = Array.Empty<byte>();
        foreach (var pos in _matches) _hash.AppendData(Encoding.ASCII.GetBytes("|" + pos.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return _hash.GetHashAndReset();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }

    public override long Length => _position;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
}
