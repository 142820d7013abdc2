// NarReader and NarRestorer: round trips through NarWriter and Nix 2.8 (`nix-store --dump` and
// `--restore` are the oracle), exact stopping at the archive's end, hostile archives (each also
// fed to nix-store --restore) and flat memory on a 200 MB file.

namespace Nixsharp.Formats.Tests;

using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Nixsharp.Formats.Nar;
using Xunit;

/// <summary>Builds archives token by token, including malformed ones.</summary>
internal static class Nar
{
    public static byte[] U64(ulong n) => BitConverter.GetBytes(n); // little-endian on every platform we run

    public static byte[] Str(byte[] s)
    {
        var r = new byte[8 + (s.Length + 7) / 8 * 8];
        U64((ulong)s.Length).CopyTo(r, 0);
        s.CopyTo(r, 8);
        return r;
    }

    /// <summary>Strings become NAR strings, byte arrays are spliced in as they are, ulongs become integers.</summary>
    public static byte[] T(params object[] parts)
    {
        var ms = new MemoryStream();
        foreach (var p in parts)
        {
            var bytes = p switch
            {
                string s => Str(Encoding.UTF8.GetBytes(s)),
                byte[] b => b,
                ulong n => U64(n),
                _ => throw new ArgumentException(p.GetType().Name),
            };
            ms.Write(bytes);
        }
        return ms.ToArray();
    }

    public static readonly byte[] Magic = T("nix-archive-1");

    public static byte[] Reg(string contents = "", bool executable = false) => executable
        ? T("(", "type", "regular", "executable", "", "contents", contents, ")")
        : T("(", "type", "regular", "contents", contents, ")");

    public static byte[] Link(string target) => T("(", "type", "symlink", "target", target, ")");

    public static byte[] Entry(object name, byte[] node) =>
        T("entry", "(", "name", name is byte[] b ? Str(b) : name, "node", node, ")");

    public static byte[] Dir(params byte[][] entries) =>
        T("(", "type", "directory", T(entries.Cast<object>().ToArray()), ")");

    public static byte[] Archive(byte[] root) => T(Magic, root);

    /// <summary>`depth` directories named "a" inside each other, a file at the bottom.</summary>
    public static byte[] Deep(int depth)
    {
        var prefix = T("(", "type", "directory", "entry", "(", "name", "a", "node");
        var suffix = T(")", ")");
        var ms = new MemoryStream();
        ms.Write(Magic);
        for (int i = 0; i < depth; i++) ms.Write(prefix);
        ms.Write(Reg("x"));
        for (int i = 0; i < depth; i++) ms.Write(suffix);
        return ms.ToArray();
    }
}

/// <summary>Writes down every call, reading file contents (or only their first bytes).</summary>
internal sealed class RecordingSink(int readAtMost = int.MaxValue) : INarSink
{
    public readonly List<string> Calls = [];
    public readonly List<Stream> ContentStreams = [];

    public void CreateDirectory(string path) => Calls.Add($"dir '{path}'");

    public void CreateRegularFile(string path, bool executable, long size, Stream contents)
    {
        ContentStreams.Add(contents);
        Assert.Equal(size, contents.Length);
        var data = new MemoryStream();
        var buf = new byte[4096];
        int n;
        while (data.Length < readAtMost && (n = contents.Read(buf, 0, (int)Math.Min(buf.Length, readAtMost - data.Length))) > 0)
            data.Write(buf, 0, n);
        Calls.Add($"file '{path}' exe={executable} size={size} data={Encoding.UTF8.GetString(data.ToArray())}");
    }

    public void CreateSymlink(string path, string target) => Calls.Add($"link '{path}' -> '{target}'");
}

/// <summary>Ignores everything, never reading contents.</summary>
internal sealed class NullSink : INarSink
{
    public void CreateDirectory(string path) { }
    public void CreateRegularFile(string path, bool executable, long size, Stream contents) { }
    public void CreateSymlink(string path, string target) { }
}

/// <summary>Returns at most `chunk` bytes per read, and is not seekable: a pipe, as the serve protocol has.</summary>
internal sealed class TrickleStream(byte[] data, int chunk) : Stream
{
    public int Consumed { get; private set; }
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = Math.Min(Math.Min(count, chunk), data.Length - Consumed);
        Array.Copy(data, Consumed, buffer, offset, n);
        Consumed += n;
        return n;
    }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// A NAR of a directory holding one big file ("big", byte i = i % 251) and a small one after it,
/// followed by trailing bytes, generated on the fly.
/// </summary>
internal sealed class GeneratedNarStream : Stream
{
    public static readonly byte[] Trailer = "NEXT-MESSAGE"u8.ToArray();
    private readonly byte[] _head, _tail;
    private readonly long _size;
    private long _pos;
    public long NarLength { get; }

    public GeneratedNarStream(long size)
    {
        _size = size;
        _head = Nar.T(Nar.Magic, "(", "type", "directory", "entry", "(", "name", "big", "node",
            "(", "type", "regular", "contents", (ulong)size);
        _tail = Nar.T(new byte[(8 - size % 8) % 8], ")", ")", Nar.Entry("small", Nar.Reg("after")), ")");
        NarLength = _head.Length + size + _tail.Length;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        long total = NarLength + Trailer.Length;
        int n = (int)Math.Min(count, total - _pos);
        for (int i = 0; i < n; i++, _pos++)
        {
            long p = _pos;
            buffer[offset + i] = p < _head.Length ? _head[p]
                : (p -= _head.Length) < _size ? (byte)(p % 251)
                : (p -= _size) < _tail.Length ? _tail[p]
                : Trailer[p - _tail.Length];
        }
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _pos; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

public sealed class NarReaderTests : IClassFixture<TreeFixture>, IDisposable
{
    private readonly TreeFixture _f;
    private readonly string _tmp;

    public NarReaderTests(TreeFixture f)
    {
        _f = f;
        _tmp = Path.Combine(Path.GetTempPath(), "nixsharp-narreader-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_tmp);
    }

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private string NewSandbox()
    {
        var dir = Path.Combine(_tmp, Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static (byte[] Stdout, string Stderr, int Code) Run(byte[]? stdin, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NIX_PATH"] = "";
        using var p = Process.Start(psi)!;
        var errTask = p.StandardError.ReadToEndAsync();
        var outTask = Task.Run(() =>
        {
            var ms = new MemoryStream();
            p.StandardOutput.BaseStream.CopyTo(ms);
            return ms.ToArray();
        });
        try
        {
            if (stdin is not null) p.StandardInput.BaseStream.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // nix-store stopped reading at an error: the broken pipe is expected.
        }
        p.WaitForExit();
        return (outTask.Result, errTask.Result, p.ExitCode);
    }

    private static byte[] NixDump(string path)
    {
        var (nar, err, code) = Run(null, "nix-store", "--dump", path);
        Assert.True(code == 0, err);
        return nar;
    }

    private static byte[] Dump(string path)
    {
        var ms = new MemoryStream();
        NarWriter.Dump(path, ms);
        return ms.ToArray();
    }

    /// <summary>Every path under `root` (itself included) with its type and permission bits.</summary>
    private static List<string> Modes(string root)
    {
        var list = new List<string>();
        void Walk(string p, string rel)
        {
            var info = new FileInfo(p);
            if (info.LinkTarget is { } t) { list.Add($"{rel} link {t}"); return; }
            list.Add($"{rel} {(Directory.Exists(p) ? "dir" : "file")} {Convert.ToString((int)File.GetUnixFileMode(p), 8)}");
            if (Directory.Exists(p))
                foreach (var c in Directory.GetFileSystemEntries(p).Order(StringComparer.Ordinal))
                    Walk(c, rel + "/" + Path.GetFileName(c));
        }
        Walk(root, "");
        return list;
    }

    // ---- round trips ----------------------------------------------------------------------------

    [Fact]
    public void RestoringWhatNarWriterDumpedAndDumpingAgainGivesTheSameBytes()
    {
        var nar = Dump(_f.Tree);
        var target = Path.Combine(NewSandbox(), "out");
        var input = new MemoryStream(nar);
        Assert.Equal(nar.Length, NarRestorer.Restore(input, target));
        Assert.Equal(nar, Dump(target));
        Assert.Equal(100_000, new FileInfo(Path.Combine(target, "sub", "deeper", "x")).Length);
        Assert.Equal("/nonexistent/target", new FileInfo(Path.Combine(target, "dangling")).LinkTarget);
        Assert.Equal("u", File.ReadAllText(Path.Combine(target, "ünïcode name")));
    }

    [Fact]
    public void RestoringNixStoreDumpGivesWhatNixStoreRestoreGives()
    {
        var nar = NixDump(_f.Tree);
        var sandbox = NewSandbox();
        var ours = Path.Combine(sandbox, "ours");
        var theirs = Path.Combine(sandbox, "theirs");
        NarRestorer.Restore(new MemoryStream(nar), ours);
        var (_, err, code) = Run(nar, "nix-store", "--restore", theirs);
        Assert.True(code == 0, err);

        Assert.Equal(nar, NixDump(ours));
        Assert.Equal(NixDump(theirs), NixDump(ours));
        // Same types and permission bits everywhere: 0644 files, 0755 executables and directories.
        var modes = Modes(ours);
        Assert.Equal(Modes(theirs), modes);
        Assert.Contains("/run.sh file 755", modes);
        Assert.Contains("/hello.txt file 644", modes);
        Assert.Contains("/empty-dir dir 755", modes);
        Assert.Contains(" dir 755", modes[0]);
    }

    [Fact]
    public void RootMayBeAFileOrASymlink()
    {
        var sandbox = NewSandbox();
        var exe = Path.Combine(sandbox, "exe");
        NarRestorer.Restore(new MemoryStream(Nar.Archive(Nar.Reg("#!/bin/sh\n", executable: true))), exe);
        Assert.Equal("#!/bin/sh\n", File.ReadAllText(exe));
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(exe));

        var link = Path.Combine(sandbox, "link");
        NarRestorer.Restore(new MemoryStream(Nar.Archive(Nar.Link("../some/where"))), link);
        Assert.Equal("../some/where", new FileInfo(link).LinkTarget);
    }

    [Fact]
    public void SinkSeesEveryEntryInArchiveOrderWithPathsRelativeToTheRoot()
    {
        var nar = Nar.Archive(Nar.Dir(
            Nar.Entry("B", Nar.Reg("upper")),
            Nar.Entry("a", Nar.Dir(
                Nar.Entry("empty", Nar.Dir()),
                Nar.Entry("x.sh", Nar.Reg("echo", executable: true)))),
            Nar.Entry("l", Nar.Link("a/x.sh")),
            Nar.Entry("zé", Nar.Reg())));
        var sink = new RecordingSink();
        Assert.Equal(nar.Length, NarReader.Parse(new MemoryStream(nar), sink));
        Assert.Equal(
        [
            "dir ''",
            "file 'B' exe=False size=5 data=upper",
            "dir 'a'",
            "dir 'a/empty'",
            "file 'a/x.sh' exe=True size=4 data=echo",
            "link 'l' -> 'a/x.sh'",
            "file 'zé' exe=False size=0 data=",
        ], sink.Calls);
    }

    [Fact]
    public void ContentsLeftUnreadAreSkippedAndTheStreamDiesAfterTheCall()
    {
        var nar = Nar.Archive(Nar.Dir(
            Nar.Entry("a", Nar.Reg("0123456789abcdefXYZ")),
            Nar.Entry("b", Nar.Reg("second file"))));
        var sink = new RecordingSink(readAtMost: 3);
        NarReader.Parse(new MemoryStream(nar), sink);
        Assert.Equal(["dir ''", "file 'a' exe=False size=19 data=012", "file 'b' exe=False size=11 data=sec"], sink.Calls);
        var stale = sink.ContentStreams[0];
        Assert.False(stale.CanRead);
        Assert.Throws<ObjectDisposedException>(() => stale.ReadByte());

        // A sink asking for more than the file gets exactly the file.
        var whole = new RecordingSink();
        NarReader.Parse(new MemoryStream(nar), whole);
        Assert.Equal("file 'a' exe=False size=19 data=0123456789abcdefXYZ", whole.Calls[1]);
    }

    // ---- exact end --------------------------------------------------------------------------------

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1 << 20)]
    public void ReadingStopsExactlyAtTheArchivesEnd(int chunk)
    {
        var nar = Dump(_f.Tree);
        var trailer = "next message follows"u8.ToArray();
        var data = Nar.T(nar, trailer);

        var seekable = new MemoryStream(data);
        Assert.Equal(nar.Length, NarReader.Parse(seekable, new RecordingSink()));
        Assert.Equal(nar.Length, seekable.Position);

        var pipe = new TrickleStream(data, chunk);
        Assert.Equal(nar.Length, NarReader.Parse(pipe, new NullSink()));
        Assert.Equal(nar.Length, pipe.Consumed);

        var copied = new MemoryStream();
        var pipe2 = new TrickleStream(data, chunk);
        Assert.Equal(nar.Length, NarReader.Copy(pipe2, copied));
        Assert.Equal(nar.Length, pipe2.Consumed);
        Assert.Equal(nar, copied.ToArray());
        var rest = new MemoryStream();
        pipe2.CopyTo(rest);
        Assert.Equal(trailer, rest.ToArray());
    }

    [Fact]
    public void CopyForwardsNamesThatAreNotUtf8WhichParseRejects()
    {
        // Nix names are bytes: forwarding must not care, but strings cannot carry them.
        var nar = Nar.Archive(Nar.Dir(Nar.Entry(new byte[] { 0xff, 0xfe }, Nar.Reg("z"))));
        var copied = new MemoryStream();
        Assert.Equal(nar.Length, NarReader.Copy(new MemoryStream(nar), copied));
        Assert.Equal(nar, copied.ToArray());
        var e = Assert.Throws<NarFormatException>(() => NarReader.Parse(new MemoryStream(nar), new NullSink()));
        Assert.Equal(@"file name '\xff\xfe' is not valid UTF-8 (not supported)", e.Reason);
    }

    [Fact]
    public void CopyOfNixStoreDumpHashesLikeNixHash()
    {
        var nar = NixDump(_f.Tree);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var hashing = new HashingStream(sha);
        Assert.Equal(nar.Length, NarReader.Copy(new MemoryStream(nar), hashing));
        Assert.Equal(nar.Length, hashing.Length64);
        var (stdout, err, code) = Run(null, "nix-hash", "--type", "sha256", _f.Tree);
        Assert.True(code == 0, err);
        Assert.Equal(Encoding.ASCII.GetString(stdout).Trim(), Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    // ---- hostile archives -------------------------------------------------------------------------

    private static readonly byte[] R = Nar.Reg("x");

    /// <summary>Name → (archive, part of the reason, whether Nix 2.8's nix-store --restore rejects it too).</summary>
    private static readonly Dictionary<string, (byte[] Nar, string Reason, bool NixRejects)> Hostile = new()
    {
        ["empty input"] = ([], "unexpected end-of-file", true),
        ["bad magic"] = (Nar.T("nix-archive-2", R), "input doesn't look like a Nix archive", true),
        ["huge magic length"] = (Nar.T(1UL << 63), "input doesn't look like a Nix archive", true),
        ["magic with junk padding"] = (Nar.T(13UL, "nix-archive-1\0\0\x01"u8.ToArray(), R), "input doesn't look like a Nix archive", true),
        ["non-zero padding in contents"] = (Nar.T(Nar.Magic, "(", "type", "regular", "contents", 1UL, "x\0\0\0\0\0\0\x01"u8.ToArray(), ")"), "non-zero padding", true),
        ["non-zero padding in a tag"] = (Nar.T(Nar.Magic, "(", 4UL, "type\0\0\x01\0"u8.ToArray(), "regular", "contents", "", ")"), "non-zero padding", true),
        ["duplicate files"] = (Nar.Archive(Nar.Dir(Nar.Entry("a", R), Nar.Entry("a", R))), "NAR directory is not sorted: 'a' appears twice", true),
        ["duplicate directories"] = (Nar.Archive(Nar.Dir(Nar.Entry("a", Nar.Dir()), Nar.Entry("a", Nar.Dir()))), "NAR directory is not sorted: 'a' appears twice", true),
        ["directory then file of one name"] = (Nar.Archive(Nar.Dir(Nar.Entry("a", Nar.Dir()), Nar.Entry("a", R))), "appears twice", true),
        ["empty name"] = (Nar.Archive(Nar.Dir(Nar.Entry("", R))), "NAR contains invalid file name ''", true),
        ["name ."] = (Nar.Archive(Nar.Dir(Nar.Entry(".", R))), "NAR contains invalid file name '.'", true),
        ["name .."] = (Nar.Archive(Nar.Dir(Nar.Entry("..", R))), "NAR contains invalid file name '..'", true),
        ["name with slash"] = (Nar.Archive(Nar.Dir(Nar.Entry("a/b", R))), "NAR contains invalid file name 'a/b'", true),
        ["name with NUL"] = (Nar.Archive(Nar.Dir(Nar.Entry("a\0b", R))), @"NAR contains invalid file name 'a\x00b'", true),
        ["name of 256 bytes"] = (Nar.Archive(Nar.Dir(Nar.Entry(new string('n', 256), R))), "file name of 256 bytes is longer than the limit of 255", true),
        ["huge name length"] = (Nar.T(Nar.Magic, "(", "type", "directory", "entry", "(", "name", 1UL << 63, "abc"), "file name of 9223372036854775808 bytes", true),
        ["huge tag length"] = (Nar.T(Nar.Magic, "(", ulong.MaxValue, "abc"), "expected tag 'type', got a string of 18446744073709551615 bytes", true),
        ["huge symlink target length"] = (Nar.T(Nar.Magic, "(", "type", "symlink", "target", 1UL << 63), "symlink target of 9223372036854775808 bytes", true),
        ["symlink target of 4096 bytes"] = (Nar.Archive(Nar.Link(new string('t', 4096))), "symlink target of 4096 bytes is longer than the limit of 4095", true),
        ["empty symlink target"] = (Nar.Archive(Nar.Link("")), "NAR contains an empty symlink target", true),
        ["huge file size"] = (Nar.T(Nar.Magic, "(", "type", "regular", "contents", (1UL << 63) - 1, "abc"u8.ToArray()), "unexpected end-of-file", true),
        ["file size beyond 2^63"] = (Nar.T(Nar.Magic, "(", "type", "regular", "contents", ulong.MaxValue, "abc"u8.ToArray()), "file size 18446744073709551615 is too large", true),
        ["unknown type"] = (Nar.T(Nar.Magic, "(", "type", "fifo", ")"), "unknown file type 'fifo'", true),
        ["executable with a value"] = (Nar.T(Nar.Magic, "(", "type", "regular", "executable", "x", "contents", "", ")"), "executable marker has non-empty value", true),
        ["unknown field"] = (Nar.T(Nar.Magic, "(", "type", "regular", "contents", "", "foo", "", ")"), "expected tag ')', got 'foo'", true),
        ["type twice"] = (Nar.T(Nar.Magic, "(", "type", "regular", "type", "regular", ")"), "expected tag 'executable' or 'contents', got 'type'", true),
        ["missing open tag"] = (Nar.T(Nar.Magic, "type", "regular", "contents", "", ")"), "expected tag '(', got 'type'", true),
        ["entry in a file"] = (Nar.T(Nar.Magic, "(", "type", "regular", "contents", "", "entry", ")"), "expected tag ')', got 'entry'", true),
        // Nix 2.8 accepts these (its parser is looser than its writer); current Nix rejects them, as we do.
        ["unsorted entries"] = (Nar.Archive(Nar.Dir(Nar.Entry("b", R), Nar.Entry("a", R))), "NAR directory is not sorted: 'a' comes after 'b'", false),
        ["symlink target with NUL"] = (Nar.Archive(Nar.Link("ab\0cd")), @"NAR contains symlink target 'ab\x00cd' with a NUL byte", false),
        ["executable after contents"] = (Nar.T(Nar.Magic, "(", "type", "regular", "contents", "x", "executable", "", ")"), "expected tag ')', got 'executable'", false),
        ["file without contents"] = (Nar.T(Nar.Magic, "(", "type", "regular", ")"), "expected tag 'executable' or 'contents', got ')'", false),
        ["contents twice"] = (Nar.T(Nar.Magic, "(", "type", "regular", "contents", "x", "contents", "y", ")"), "expected tag ')', got 'contents'", false),
        ["symlink without target"] = (Nar.T(Nar.Magic, "(", "type", "symlink", ")"), "expected tag 'target', got ')'", false),
        ["node without type"] = (Nar.T(Nar.Magic, "(", ")"), "expected tag 'type', got ')'", false),
        ["entry without node"] = (Nar.T(Nar.Magic, "(", "type", "directory", "entry", "(", "name", "a", ")", ")"), "expected tag 'node', got ')'", false),
        ["entry with two names"] = (Nar.T(Nar.Magic, "(", "type", "directory", "entry", "(", "name", "a", "name", "b", "node", R, ")", ")"), "expected tag 'node', got 'name'", false),
    };

    public static TheoryData<string> HostileCases() => new(Hostile.Keys);

    [Theory]
    [MemberData(nameof(HostileCases))]
    public void HostileArchiveIsRejectedClearlyAndNothingLandsOutsideTheTarget(string name)
    {
        var (nar, reason, nixRejects) = Hostile[name];

        var e = Assert.Throws<NarFormatException>(() => NarReader.Parse(new MemoryStream(nar), new RecordingSink()));
        Assert.Contains(reason, e.Reason);
        Assert.StartsWith("bad archive: " + e.Reason + " (at ", e.Message);
        Assert.InRange(e.Offset, 0, nar.Length);
        Assert.Throws<NarFormatException>(() => NarReader.Copy(new MemoryStream(nar), new MemoryStream()));

        var sandbox = NewSandbox();
        var target = Path.Combine(sandbox, "target");
        var r = Assert.Throws<NarFormatException>(() => NarRestorer.Restore(new MemoryStream(nar), target));
        Assert.Equal(e.Message, r.Message);
        Assert.All(Directory.GetFileSystemEntries(sandbox), p => Assert.Equal(target, p));

        var (_, err, code) = Run(nar, "nix-store", "--restore", Path.Combine(sandbox, "nix"));
        if (nixRejects) Assert.True(code != 0, $"nix-store --restore accepted it: {err}");
        else Assert.True(code == 0, $"nix-store 2.8 was expected to accept this, but: {err}");
    }

    [Fact]
    public void ErrorsSayWhereInTheArchive()
    {
        var nar = Nar.Archive(Nar.Dir(Nar.Entry("sub", Nar.Dir(Nar.Entry("b", R), Nar.Entry("a", R)))));
        var e = Assert.Throws<NarFormatException>(() => NarReader.Parse(new MemoryStream(nar), new NullSink()));
        Assert.Equal("sub", e.EntryPath);
        Assert.Equal("bad archive: NAR directory is not sorted: 'a' comes after 'b' (at 'sub', offset " + e.Offset + ")", e.Message);
        // The offset is that of the offending name's length field.
        var nameAt = nar.AsSpan().LastIndexOf(Nar.T("name", "a"));
        Assert.Equal(nameAt + Nar.T("name").Length, e.Offset);

        var bad = Nar.Archive(Nar.Dir(Nar.Entry("d", Nar.Dir(Nar.Entry("f", Nar.T("(", "type", "regular", "contents", 1UL, "x\0\0\0\0\0\0\x05"u8.ToArray(), ")"))))));
        var p = Assert.Throws<NarFormatException>(() => NarReader.Parse(new MemoryStream(bad), new NullSink()));
        Assert.Equal("d/f", p.EntryPath);
        Assert.Equal("non-zero padding", p.Reason);
    }

    [Fact]
    public void TruncationAtEveryOffsetIsAFormatErrorAndNixAgrees()
    {
        var nar = Nar.Archive(Nar.Dir(
            Nar.Entry("d", Nar.Dir(Nar.Entry("e", Nar.Reg("1234567")))),
            Nar.Entry("l", Nar.Link("d/e")),
            Nar.Entry("x", Nar.Reg("12345678", executable: true))));
        Assert.Equal(nar.Length, NarReader.Parse(new MemoryStream(nar), new NullSink()));
        for (int cut = 0; cut < nar.Length; cut++)
        {
            var prefix = nar[..cut];
            foreach (var parse in new Action[]
            {
                () => NarReader.Parse(new MemoryStream(prefix), new RecordingSink()),
                () => NarReader.Copy(new MemoryStream(prefix), Stream.Null),
                () => NarRestorer.Restore(new MemoryStream(prefix), Path.Combine(NewSandbox(), "t")),
            })
            {
                var e = Assert.Throws<NarFormatException>(parse);
                Assert.Equal("unexpected end-of-file", e.Reason);
                Assert.Equal(cut, e.Offset);
            }
            if (cut % 8 == 3 || cut == 0)
            {
                var (_, err, code) = Run(prefix, "nix-store", "--restore", Path.Combine(NewSandbox(), "nix"));
                Assert.True(code != 0, $"nix-store --restore accepted {cut} of {nar.Length} bytes: {err}");
                Assert.Contains("unexpected end-of-file", err);
            }
        }
    }

    [Fact]
    public void HugeFileSizeAllocatesNothingAndFailsAtTheEndOfInput()
    {
        var nar = Hostile["huge file size"].Nar;
        NarReader.Parse(new MemoryStream(Nar.Archive(R)), new RecordingSink()); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<NarFormatException>(() => NarReader.Parse(new MemoryStream(nar), new RecordingSink()));
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 256 << 10);
        Assert.Equal(nar.Length, e.Offset);
    }

    [Fact]
    public void DeepNestingIsRejectedByTheDepthLimit()
    {
        var deep = Nar.Deep(10_000);
        var e = Assert.Throws<NarFormatException>(() => NarReader.Parse(new MemoryStream(deep), new NullSink()));
        Assert.Equal("NAR directory nesting exceeds maximum depth of 2048", e.Reason);
        Assert.Equal(2048, e.EntryPath.Split('/').Length);
        Assert.Throws<NarFormatException>(() => NarReader.Copy(new MemoryStream(deep), Stream.Null));

        // Restoring is stopped by the limit (a smaller one here: 2048 levels would be longer than
        // the kernel takes for a path under this sandbox), leaving nothing outside the target.
        var sandbox = NewSandbox();
        var limits = new NarLimits { MaxDepth = 100 };
        var r = Assert.Throws<NarFormatException>(() => NarRestorer.Restore(new MemoryStream(deep), Path.Combine(sandbox, "t"), limits));
        Assert.Equal("NAR directory nesting exceeds maximum depth of 100", r.Reason);
        Assert.Single(Directory.GetFileSystemEntries(sandbox));

        var (_, err, code) = Run(deep, "nix-store", "--restore", Path.Combine(sandbox, "nix"));
        Assert.True(code != 0, "nix-store --restore accepted 10 000 levels");
        Assert.Contains("File name too long", err);

        // The limit is exact: Deep(n) is n directories, the root one of them, and a file n components deep.
        Assert.Equal(Nar.Deep(100).Length, NarReader.Parse(new MemoryStream(Nar.Deep(100)), new NullSink(), limits));
        Assert.Throws<NarFormatException>(() => NarReader.Parse(new MemoryStream(Nar.Deep(101)), new NullSink(), limits));
    }

    [Fact]
    public void WhatNixRestoresAtDepth2000IsAccepted()
    {
        var nar = Nar.Deep(2000);
        var sandbox = NewSandbox();
        var (_, err, code) = Run(nar, "nix-store", "--restore", Path.Combine(sandbox, "n"));
        Assert.True(code == 0, err);
        var sink = new RecordingSink();
        Assert.Equal(nar.Length, NarReader.Parse(new MemoryStream(nar), sink));
        Assert.Equal(2001, sink.Calls.Count); // 2000 directories and the file
    }

    [Fact]
    public void NestingCostsNoCallStack()
    {
        // Far deeper than any recursive parser survives on a 1 MB thread stack.
        var deep = Nar.Deep(200_000);
        var unlimited = new NarLimits { MaxDepth = int.MaxValue, MaxPathLength = int.MaxValue };
        long length = 0;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { length = NarReader.Copy(new MemoryStream(deep), Stream.Null, unlimited); }
            catch (Exception e) { failure = e; }
        }, 256 * 1024);
        thread.Start();
        thread.Join();
        Assert.Null(failure);
        Assert.Equal(deep.Length, length);
    }

    [Fact]
    public void LimitsAreConfigurable()
    {
        var small = new NarLimits { MaxNameLength = 3, MaxSymlinkTargetLength = 4, MaxPathLength = 5 };
        Assert.True(NarReader.Parse(new MemoryStream(Nar.Archive(Nar.Dir(Nar.Entry("abc", R)))), new NullSink(), small) > 0);
        Assert.Equal("file name of 4 bytes is longer than the limit of 3",
            Assert.Throws<NarFormatException>(() => NarReader.Parse(new MemoryStream(Nar.Archive(Nar.Dir(Nar.Entry("abcd", R)))), new NullSink(), small)).Reason);
        Assert.True(NarReader.Parse(new MemoryStream(Nar.Archive(Nar.Link("1234"))), new NullSink(), small) > 0);
        Assert.Contains("longer than the limit of 4",
            Assert.Throws<NarFormatException>(() => NarReader.Parse(new MemoryStream(Nar.Archive(Nar.Link("12345"))), new NullSink(), small)).Reason);
        Assert.Equal("path of 7 bytes is longer than the limit of 5",
            Assert.Throws<NarFormatException>(() => NarReader.Parse(new MemoryStream(Nar.Archive(Nar.Dir(Nar.Entry("abc", Nar.Dir(Nar.Entry("def", R)))))), new NullSink(), small)).Reason);
    }

    // ---- memory -------------------------------------------------------------------------------------

    [Fact]
    public void MemoryStaysFlatForA200MegabyteFile()
    {
        const long size = 200L * 1024 * 1024 + 5;
        NarReader.Copy(new GeneratedNarStream(100), Stream.Null); // warm up
        NarRestorer.Restore(new GeneratedNarStream(100), Path.Combine(NewSandbox(), "warm"));

        var copyInput = new GeneratedNarStream(size);
        long before = GC.GetAllocatedBytesForCurrentThread();
        long copied = NarReader.Copy(copyInput, Stream.Null);
        long copyAllocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(copyInput.NarLength, copied);
        Assert.InRange(copyAllocated, 0, 4 << 20);

        var input = new GeneratedNarStream(size);
        var target = Path.Combine(NewSandbox(), "big");
        before = GC.GetAllocatedBytesForCurrentThread();
        long restored = NarRestorer.Restore(input, target);
        long restoreAllocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(input.NarLength, restored);
        Assert.InRange(restoreAllocated, 0, 4 << 20);
        Assert.Equal(input.NarLength, input.Position); // the trailer is still unread
        Assert.Equal("after", File.ReadAllText(Path.Combine(target, "small")));

        // The contents arrived intact.
        using var file = File.OpenRead(Path.Combine(target, "big"));
        Assert.Equal(size, file.Length);
        var buf = new byte[1 << 20];
        long pos = 0;
        int n;
        while ((n = file.Read(buf, 0, buf.Length)) > 0)
        {
            for (int i = 0; i < n; i++, pos++)
                if (buf[i] != (byte)(pos % 251)) Assert.Fail($"byte {pos} differs");
        }
        Assert.Equal(size, pos);
    }

    // ---- the restorer on its own ----------------------------------------------------------------------

    [Fact]
    public void RestorerRefusesAnExistingTargetEvenADanglingSymlink()
    {
        var sandbox = NewSandbox();
        var link = Path.Combine(sandbox, "t");
        File.CreateSymbolicLink(link, "/nonexistent");
        Assert.Throws<IOException>(() => new NarRestorer(link));
        Assert.Throws<IOException>(() => new NarRestorer(sandbox));
        Assert.Throws<IOException>(() => new NarRestorer(Path.Combine(sandbox, "missing", "t")));
    }

    [Fact]
    public void RestorerDrivenDirectlyNeverWritesOutsideNorThroughSymlinks()
    {
        var sandbox = NewSandbox();
        var outside = Path.Combine(sandbox, "outside");
        Directory.CreateDirectory(outside);
        var secret = Path.Combine(sandbox, "secret");
        File.WriteAllText(secret, "keep");
        var target = Path.Combine(sandbox, "t");
        var restorer = new NarRestorer(target);
        var none = new MemoryStream([]);

        Assert.Throws<InvalidOperationException>(() => restorer.CreateRegularFile("early", false, 0, none));
        restorer.CreateDirectory("");
        Assert.Throws<InvalidOperationException>(() => restorer.CreateDirectory(""));
        restorer.CreateSymlink("link", outside);
        // Inside a symlink, above the target, or out of order: all refused before touching the disk.
        Assert.Throws<InvalidOperationException>(() => restorer.CreateRegularFile("link/x", false, 0, none));
        Assert.Throws<InvalidOperationException>(() => restorer.CreateDirectory("link"));
        Assert.Throws<InvalidOperationException>(() => restorer.CreateRegularFile("../escape", false, 0, none));
        Assert.Throws<InvalidOperationException>(() => restorer.CreateRegularFile("sub/../../escape", false, 0, none));
        Assert.Throws<ArgumentException>(() => restorer.CreateRegularFile("..", false, 0, none));

        // Something else put symlinks into the target: files and directories are not created through them.
        File.CreateSymbolicLink(Path.Combine(target, "m-evil"), secret);
        Assert.Throws<IOException>(() => restorer.CreateRegularFile("m-evil", false, 4, new MemoryStream("gone"u8.ToArray())));
        File.CreateSymbolicLink(Path.Combine(target, "n-evil"), outside);
        Assert.Throws<IOException>(() => restorer.CreateDirectory("n-evil"));
        File.CreateSymbolicLink(Path.Combine(target, "o-evil"), Path.Combine(outside, "new"));
        Assert.Throws<IOException>(() => restorer.CreateRegularFile("o-evil", false, 0, none));

        Assert.Equal("keep", File.ReadAllText(secret));
        Assert.Empty(Directory.GetFileSystemEntries(outside));
        Assert.Equal(["outside", "secret", "t"], Directory.GetFileSystemEntries(sandbox).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void RestorerAcceptsUtf8OrderNotUtf16Order()
    {
        // U+FFFD sorts before U+1F600 in UTF-8 bytes, after its surrogates in UTF-16 units.
        var nar = Nar.Archive(Nar.Dir(Nar.Entry("\uFFFD", R), Nar.Entry("\U0001F600", R)));
        var target = Path.Combine(NewSandbox(), "t");
        NarRestorer.Restore(new MemoryStream(nar), target);
        Assert.Equal(nar, Dump(target));
    }
}
