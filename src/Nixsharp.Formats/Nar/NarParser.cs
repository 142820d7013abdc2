// The NAR grammar, read iteratively (an explicit stack of open directories, so nesting depth costs
// heap, not call stack). Every read asks the input for at most the bytes the grammar still needs,
// which is what keeps the reader from consuming anything after the archive.
//
//   nar      = str("nix-archive-1") node
//   node     = str("(") str("type") (regular | symlink | directory) str(")")
//   regular  = [str("executable") str("")] str("contents") u64(size) bytes(size) padding
//   symlink  = str("target") str(target)
//   directory= { str("entry") str("(") str("name") str(name) str("node") node str(")") }
//
// Integers are 64-bit little-endian; strings are a length, the bytes, then zeros up to a multiple of 8.
namespace Nixsharp.Formats.Nar;

using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
using Nixsharp.Formats.Streams;

internal sealed class NarParser
{
    // The longest keyword is "executable" (10 bytes); the slack keeps short garbage readable in
    // messages without reading anything long.
    private const int MaxTagLength = 32;
    private const int ChunkSize = 64 * 1024;

    private readonly Stream _input;
    private readonly INarSink? _sink; // null when only validating: then nothing is decoded
    private readonly NarLimits _limits;

    private long _offset;     // bytes consumed so far
    private long _tokenStart; // where the token being checked starts, for messages
    private readonly byte[] _word = new byte[8];
    private readonly byte[] _tag = new byte[MaxTagLength];
    private byte[] _scratch = new byte[64];      // the name or symlink target just read
    private byte[] _pathBytes = new byte[256];   // the current entry's path; directories' paths are prefixes
    private int _pathLength;
    private string _path = "";                    // the same, decoded (only with a sink)
    private readonly List<DirectoryFrame> _frames = []; // reused as the depth goes up and down
    private int _depth;                           // open directories, the root included
    private byte[]? _chunk;

    private sealed class DirectoryFrame
    {
        public int PathLength;
        public string Path = "";
        public byte[] LastName = new byte[16];
        public int LastNameLength; // -1 before the first entry
    }

    public NarParser(Stream input, INarSink? sink, NarLimits limits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limits.MaxDepth);
        ArgumentOutOfRangeException.ThrowIfNegative(limits.MaxNameLength);
        ArgumentOutOfRangeException.ThrowIfNegative(limits.MaxSymlinkTargetLength);
        ArgumentOutOfRangeException.ThrowIfNegative(limits.MaxPathLength);
        _input = input;
        _sink = sink;
        _limits = limits;
    }

    /// <summary>Reads the whole archive; returns its length.</summary>
    public long Run()
    {
        try
        {
            ReadMagic();
            while (true)
            {
                if (!ParseNode())
                {
                    if (_depth == 0) return _offset; // the root was a file or symlink
                    ExpectTag(")"u8, "tag ')'");      // closes the entry
                }
                if (!AdvanceToNextEntry()) return _offset;
            }
        }
        finally
        {
            if (_chunk is not null) ArrayPool<byte>.Shared.Return(_chunk);
            _chunk = null;
        }
    }

    private void ReadMagic()
    {
        // Like Nix, a first string that is not the magic means "not a NAR", whatever it is; it is not
        // read when its length already rules it out.
        if (ReadU64() == 13)
        {
            var magic = _tag.AsSpan(0, 16);
            ReadExact(magic);
            if (magic.SequenceEqual("nix-archive-1\0\0\0"u8)) return;
        }
        _tokenStart = 0;
        throw Bad("input doesn't look like a Nix archive");
    }

    /// <summary>
    /// Reads a node up to its closing tag, or a directory only up to its type (its entries are read
    /// by AdvanceToNextEntry). Returns whether a directory was opened.
    /// </summary>
    private bool ParseNode()
    {
        ExpectTag("("u8, "tag '('");
        ExpectTag("type"u8, "tag 'type'");
        var type = ReadTag("a file type");
        if (type.SequenceEqual("regular"u8))
        {
            ParseRegular();
            return false;
        }
        if (type.SequenceEqual("symlink"u8))
        {
            ParseSymlink();
            return false;
        }
        if (type.SequenceEqual("directory"u8))
        {
            _sink?.CreateDirectory(_path);
            PushDirectory();
            return true;
        }
        throw Bad($"unknown file type '{Show(type)}'");
    }

    private void ParseRegular()
    {
        bool executable = false;
        var tag = ReadTag("tag 'executable' or 'contents'");
        if (tag.SequenceEqual("executable"u8))
        {
            _tokenStart = _offset;
            if (ReadU64() != 0) throw Bad("executable marker has non-empty value");
            executable = true;
            tag = ReadTag("tag 'contents'");
        }
        if (!tag.SequenceEqual("contents"u8))
            throw Bad($"expected tag {(executable ? "'contents'" : "'executable' or 'contents'")}, got '{Show(tag)}'");

        _tokenStart = _offset;
        ulong size = ReadU64();
        // Nothing is allocated for the size: a huge one just runs into the end of the input.
        if (size > long.MaxValue) throw Bad($"file size {size} is too large");
        long left = (long)size;
        if (_sink is not null)
        {
            var contents = new NarContentsStream(this, left);
            try
            {
                _sink.CreateRegularFile(_path, executable, left, contents);
            }
            finally
            {
                left = contents.Detach();
            }
        }
        Skip(left);
        ReadPadding(size);
        ExpectTag(")"u8, "tag ')'");
    }

    private void ParseSymlink()
    {
        ExpectTag("target"u8, "tag 'target'");
        _tokenStart = _offset;
        ulong length = ReadU64();
        if (length > (ulong)_limits.MaxSymlinkTargetLength)
            throw Bad($"symlink target of {length} bytes is longer than the limit of {_limits.MaxSymlinkTargetLength}");
        var target = ReadString((int)length);
        // Neither can be a symlink's target (Nix 2.8 silently cut a target at its first NUL).
        if (target.IsEmpty) throw Bad("NAR contains an empty symlink target");
        if (target.Contains((byte)0)) throw Bad($"NAR contains symlink target '{Show(target)}' with a NUL byte");
        if (_sink is not null)
        {
            if (!Utf8.IsValid(target)) throw Bad($"symlink target '{Show(target)}' is not valid UTF-8 (not supported)");
            _sink.CreateSymlink(_path, Encoding.UTF8.GetString(target));
        }
        ExpectTag(")"u8, "tag ')'");
    }

    private void PushDirectory()
    {
        if (_depth == _frames.Count) _frames.Add(new DirectoryFrame());
        var frame = _frames[_depth++];
        frame.PathLength = _pathLength;
        frame.Path = _path;
        frame.LastNameLength = -1;
    }

    /// <summary>
    /// Reads the innermost open directory's next tags, closing finished directories, until an
    /// entry's node is about to start (true; the current path is then that entry's) or the root
    /// directory has closed (false).
    /// </summary>
    private bool AdvanceToNextEntry()
    {
        while (true)
        {
            var dir = _frames[_depth - 1];
            _pathLength = dir.PathLength;
            _path = dir.Path;
            var tag = ReadTag("tag 'entry' or ')'");
            if (tag.SequenceEqual(")"u8))
            {
                if (--_depth == 0) return false;
                ExpectTag(")"u8, "tag ')'"); // closes the entry this directory was the node of
                continue;
            }
            if (!tag.SequenceEqual("entry"u8)) throw Bad($"expected tag 'entry' or ')', got '{Show(tag)}'");
            ExpectTag("("u8, "tag '('");
            ExpectTag("name"u8, "tag 'name'");
            ReadEntryName(dir);
            ExpectTag("node"u8, "tag 'node'");
            return true;
        }
    }

    /// <summary>Reads and checks an entry's name, and makes the entry the current path.</summary>
    private void ReadEntryName(DirectoryFrame dir)
    {
        _tokenStart = _offset;
        ulong length = ReadU64();
        if (length > (ulong)_limits.MaxNameLength)
            throw Bad($"file name of {length} bytes is longer than the limit of {_limits.MaxNameLength}");
        var name = ReadString((int)length);
        if (name.IsEmpty || name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)
            || name.Contains((byte)'/') || name.Contains((byte)0))
            throw Bad($"NAR contains invalid file name '{Show(name)}'");

        // Strictly ascending byte order: this is also what rules out duplicates.
        if (dir.LastNameLength >= 0)
        {
            var last = dir.LastName.AsSpan(0, dir.LastNameLength);
            int order = name.SequenceCompareTo(last);
            if (order == 0) throw Bad($"NAR directory is not sorted: '{Show(name)}' appears twice");
            if (order < 0) throw Bad($"NAR directory is not sorted: '{Show(name)}' comes after '{Show(last)}'");
        }
        Grow(ref dir.LastName, name.Length);
        name.CopyTo(dir.LastName);
        dir.LastNameLength = name.Length;

        if (_sink is not null && !Utf8.IsValid(name))
            throw Bad($"file name '{Show(name)}' is not valid UTF-8 (not supported)");
        if (_depth > _limits.MaxDepth)
            throw Bad($"NAR directory nesting exceeds maximum depth of {_limits.MaxDepth}");
        long longPathLength = dir.PathLength + (dir.PathLength > 0 ? 1L : 0L) + name.Length;
        if (longPathLength > _limits.MaxPathLength)
            throw Bad($"path of {longPathLength} bytes is longer than the limit of {_limits.MaxPathLength}");
        int pathLength = (int)longPathLength;

        Grow(ref _pathBytes, pathLength);
        int at = dir.PathLength;
        if (at > 0) _pathBytes[at++] = (byte)'/';
        name.CopyTo(_pathBytes.AsSpan(at));
        _pathLength = pathLength;
        if (_sink is not null)
        {
            int total = dir.Path.Length + (dir.Path.Length > 0 ? 1 : 0) + Encoding.UTF8.GetCharCount(name);
            _path = string.Create(total, (Prefix: dir.Path, Name: _scratch, Length: name.Length), static (chars, s) =>
            {
                s.Prefix.CopyTo(chars);
                int at = s.Prefix.Length;
                if (at > 0) chars[at++] = '/';
                Encoding.UTF8.GetChars(s.Name.AsSpan(0, s.Length), chars[at..]);
            });
        }
    }

    // ---- tokens -------------------------------------------------------------------------------

    private void ExpectTag(ReadOnlySpan<byte> wanted, string description)
    {
        var tag = ReadTag(description);
        if (!tag.SequenceEqual(wanted)) throw Bad($"expected {description}, got '{Show(tag)}'");
    }

    /// <summary>Reads a keyword-sized string; `description` says what was expected, for messages.</summary>
    private ReadOnlySpan<byte> ReadTag(string description)
    {
        _tokenStart = _offset;
        ulong length = ReadU64();
        if (length > MaxTagLength) throw Bad($"expected {description}, got a string of {length} bytes");
        int padded = ((int)length + 7) & ~7;
        ReadExact(_tag.AsSpan(0, padded));
        if (_tag.AsSpan((int)length, padded - (int)length).ContainsAnyExcept((byte)0)) throw Bad("non-zero padding");
        return _tag.AsSpan(0, (int)length);
    }

    /// <summary>Reads a string's bytes and padding (its length already read) into the scratch buffer.</summary>
    private ReadOnlySpan<byte> ReadString(int length)
    {
        Grow(ref _scratch, length);
        ReadExact(_scratch.AsSpan(0, length));
        ReadPadding((ulong)length);
        return _scratch.AsSpan(0, length);
    }

    private ulong ReadU64()
    {
        ReadExact(_word);
        return BinaryPrimitives.ReadUInt64LittleEndian(_word);
    }

    private void ReadPadding(ulong length)
    {
        int padding = (int)((8 - length % 8) % 8);
        if (padding == 0) return;
        long start = _offset;
        var bytes = _word.AsSpan(0, padding);
        ReadExact(bytes);
        if (bytes.ContainsAnyExcept((byte)0)) throw new NarFormatException("non-zero padding", ShowPath(), start);
    }

    private void Skip(long left)
    {
        if (left == 0) return;
        _chunk ??= ArrayPool<byte>.Shared.Rent(ChunkSize);
        while (left > 0) left -= ReadSome(_chunk.AsSpan(0, (int)Math.Min(left, _chunk.Length)));
    }

    private void ReadExact(Span<byte> buffer)
    {
        while (!buffer.IsEmpty) buffer = buffer[ReadSome(buffer)..];
    }

    /// <summary>Reads between 1 and `buffer.Length` bytes; running out of input is a format error.</summary>
    internal int ReadSome(Span<byte> buffer)
    {
        int n = _input.Read(buffer);
        if (n <= 0) throw new NarFormatException("unexpected end-of-file", ShowPath(), _offset);
        _offset += n;
        return n;
    }

    /// <summary>Makes `buffer` hold at least `length` bytes, keeping its contents.</summary>
    private static void Grow(ref byte[] buffer, int length)
    {
        if (buffer.Length < length) Array.Resize(ref buffer, (int)Math.Min(Math.Max(length, 2L * buffer.Length), Array.MaxLength));
    }

    // ---- messages -----------------------------------------------------------------------------

    private NarFormatException Bad(string reason) => new(reason, ShowPath(), _tokenStart);

    private string ShowPath() => Show(_pathBytes.AsSpan(0, _pathLength));

    /// <summary>Archive bytes for a message: UTF-8 as text, anything else (and control characters) as \xNN.</summary>
    private static string Show(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out var rune, out int used) == OperationStatus.Done && !Rune.IsControl(rune))
                sb.Append(rune.ToString());
            else
                for (int i = 0; i < used; i++) sb.Append($"\\x{bytes[i]:x2}");
            bytes = bytes[used..];
        }
        return sb.ToString();
    }
}

/// <summary>
/// A regular file's contents, read straight from the archive: at most the file's size, and only
/// while the sink's CreateRegularFile runs.
/// </summary>
internal sealed class NarContentsStream : Stream
{
    private NarParser? _parser;
    private readonly long _length;
    private long _left;

    public NarContentsStream(NarParser parser, long length)
    {
        _parser = parser;
        _length = length;
        _left = length;
    }

    /// <summary>Ends the stream's validity; returns what was left unread.</summary>
    internal long Detach()
    {
        _parser = null;
        return _left;
    }

    public override bool CanRead => _parser is not null;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _length - _left; set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer)
    {
        var parser = _parser ?? throw new ObjectDisposedException(nameof(NarContentsStream),
            "a NAR file's contents can only be read during the sink's CreateRegularFile call");
        if (_left == 0 || buffer.IsEmpty) return 0;
        int n = parser.ReadSome(buffer[..(int)Math.Min(buffer.Length, _left)]);
        _left -= n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// Passes reads through and forwards every byte read to `output`. Small reads (the archive's
/// tokens) are gathered so that `output` sees few, larger writes.
/// </summary>
internal sealed class TeeReadStream : ReadOnlyStream
{
    private const int PendingSize = 16 * 1024;
    private readonly Stream _input;
    private readonly Stream _output;
    private byte[]? _pending;
    private int _pendingLength;

    public TeeReadStream(Stream input, Stream output)
    {
        _input = input;
        _output = output;
    }

    public override int Read(Span<byte> buffer)
    {
        int n = _input.Read(buffer);
        if (n > 0) Forward(buffer[..n]);
        return n;
    }

    private void Forward(ReadOnlySpan<byte> data)
    {
        if (data.Length >= PendingSize / 4)
        {
            FlushPending();
            _output.Write(data);
            return;
        }
        _pending ??= ArrayPool<byte>.Shared.Rent(PendingSize);
        if (_pendingLength + data.Length > _pending.Length) FlushPending();
        data.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += data.Length;
    }

    public void FlushPending()
    {
        if (_pendingLength == 0) return;
        _output.Write(_pending!, 0, _pendingLength);
        _pendingLength = 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (_pending is not null) ArrayPool<byte>.Shared.Return(_pending);
        _pending = null;
        base.Dispose(disposing);
    }

}
