// Serialises a file tree as a NAR (Nix ARchive), streaming: files are copied in chunks, so memory
// stays flat whatever their size. Entries are written in byte order of their names, as Nix does.
namespace Nixsharp.Formats.Nar;

using System.Buffers;
using System.Buffers.Binary;
using System.Text;

public sealed class NarWriter
{
    private readonly Stream _out;
    private readonly byte[] _buf = new byte[8];
    private static readonly byte[] Zeros = new byte[8];
    /// <summary>While a tree is written: tokens (and small files) gathered here and passed on in
    /// one write, rather than a dozen small writes per entry, each of which a hashing or piping
    /// stream pays a call into native code for. Null: written straight through.</summary>
    private byte[]? _pending;
    private int _pendingLength;
    private const int PendingSize = 16 * 1024;

    public NarWriter(Stream output, Func<string, bool>? filter = null) { _out = output; _filter = filter; }

    private readonly Func<string, bool>? _filter;

    /// <summary>Writes the NAR of the file, directory or symlink at `path` (not followed). A filter,
    /// when given, is asked about every entry below the root (by its full path); entries it refuses
    /// are left out, as with builtins.filterSource.</summary>
    public static void Dump(string path, Stream output, Func<string, bool>? filter = null) =>
        new NarWriter(output, filter).WriteArchive(path);

    /// <summary>The NAR of a single regular file with these contents, written without touching
    /// the file system (for texts the store has just written from memory).</summary>
    public static void WriteRegularFile(ReadOnlySpan<byte> contents, bool executable, Stream output)
    {
        var w = new NarWriter(output);
        w.Str("nix-archive-1");
        w.Str("(");
        w.Str("type");
        w.Str("regular");
        if (executable)
        {
            w.Str("executable");
            w.Str("");
        }
        w.Str("contents");
        w.Int((ulong)contents.Length);
        output.Write(contents);
        w.Pad((ulong)contents.Length);
        w.Str(")");
    }

    public void WriteArchive(string path)
    {
        _pending = ArrayPool<byte>.Shared.Rent(PendingSize);
        try
        {
            Str("nix-archive-1");
            WriteNode(path);
            FlushPending();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_pending);
            _pending = null;
            _pendingLength = 0;
        }
    }

    /// <summary>Everything bytes go through on their way out.</summary>
    private void Emit(ReadOnlySpan<byte> bytes)
    {
        if (_pending is null)
        {
            _out.Write(bytes);
            return;
        }
        if (_pendingLength + bytes.Length > _pending.Length)
        {
            FlushPending();
            if (bytes.Length > _pending.Length)
            {
                _out.Write(bytes);
                return;
            }
        }
        bytes.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += bytes.Length;
    }

    private void FlushPending()
    {
        if (_pending is null || _pendingLength == 0) return;
        _out.Write(_pending, 0, _pendingLength);
        _pendingLength = 0;
    }

    private void Int(ulong n)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buf, n);
        Emit(_buf);
    }

    private void Pad(ulong len)
    {
        int pad = (int)((8 - len % 8) % 8);
        if (pad > 0) Emit(Zeros.AsSpan(0, pad));
    }

    private void Str(string s)
    {
        // Tokens and most names are short: encode them on the stack rather than allocate.
        if (s.Length <= 128)
        {
            Span<byte> buffer = stackalloc byte[s.Length * 3];
            int n = Encoding.UTF8.GetBytes(s, buffer);
            Int((ulong)n);
            Emit(buffer.Slice(0, n));
            Pad((ulong)n);
        }
        else Bytes(Encoding.UTF8.GetBytes(s));
    }

    private void Bytes(byte[] b)
    {
        Int((ulong)b.Length);
        Emit(b);
        Pad((ulong)b.Length);
    }

    private void WriteNode(string path)
    {
        // One lstat per entry: the FileInfo caches it, and only symlinks are asked for a target.
        var info = new FileInfo(path);
        var attributes = info.Attributes;
        Str("(");
        Str("type");
        if ((attributes & FileAttributes.ReparsePoint) != 0 && info.LinkTarget is { } target)
        {
            Str("symlink");
            Str("target");
            Str(target);
        }
        else if ((attributes & FileAttributes.Directory) != 0)
        {
            Str("directory");
            var names = Directory.EnumerateFileSystemEntries(path)
                .Select(p => Path.GetFileName(p))
                .Select(n => (Name: n, Bytes: Encoding.UTF8.GetBytes(n)))
                .OrderBy(e => e.Bytes, ByteOrder.Instance)
                .ToList();
            foreach (var (name, bytes) in names)
            {
                if (_filter is not null && !_filter(Path.Combine(path, name))) continue;
                Str("entry");
                Str("(");
                Str("name");
                Bytes(bytes);
                Str("node");
                WriteNode(Path.Combine(path, name));
                Str(")");
            }
        }
        else
        {
            Str("regular");
            if ((info.UnixFileMode & UnixFileMode.UserExecute) != 0)
            {
                Str("executable");
                Str("");
            }
            Str("contents");
            ulong len = (ulong)info.Length;
            Int(len);
            // Exactly the size lstat gave: a file that shrinks meanwhile is an error, not a short NAR.
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                ulong copied = 0;
                while (copied < len)
                {
                    int want = (int)Math.Min((ulong)chunk.Length, len - copied);
                    int n = RandomAccess.Read(handle, chunk.AsSpan(0, want), (long)copied);
                    if (n <= 0) throw new IOException($"file '{path}' changed size while being archived");
                    // A small file joins the tokens around it; a large one's chunks go straight out.
                    Emit(chunk.AsSpan(0, n));
                    copied += (ulong)n;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
            Pad(len);
        }
        Str(")");
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
