// Hostile input: malformed NARs, export streams and derivations, built byte by byte and fed to
// `nixsharp store import` and `nixsharp store restore`. Each must fail with exit 1 and a clear
// "error: …" (no stack trace, no internal error) that names what is wrong, and must leave the store
// exactly as it was (database rows and every file under the store, temporary-roots and GC-roots
// directories) or, for restore, write nothing outside the target.
namespace Nixsharp.Cli.Tests;

using System.Text;
using Nixsharp.Formats.Export;
using Nixsharp.Formats.StorePaths;
using Nixsharp.Formats.Wire;
using Xunit;

/// <summary>Writes NAR tokens by hand, so that any of them can be wrong.</summary>
public sealed class NarBuilder
{
    private readonly MemoryStream _ms = new();

    public NarBuilder S(string s) { WireStream.WriteString(_ms, s); return this; }
    public NarBuilder U64(ulong n) { WireStream.WriteU64(_ms, n); return this; }
    public NarBuilder Raw(byte[] b) { _ms.Write(b); return this; }
    public byte[] ToArray() => _ms.ToArray();

    public static NarBuilder Archive() => new NarBuilder().S("nix-archive-1");

    public NarBuilder File(string contents, bool executable = false)
    {
        S("(").S("type").S("regular");
        if (executable) S("executable").S("");
        return S("contents").S(contents).S(")");
    }

    public NarBuilder Symlink(string target) => S("(").S("type").S("symlink").S("target").S(target).S(")");

    public NarBuilder Dir(params (string Name, Action<NarBuilder> Node)[] entries)
    {
        S("(").S("type").S("directory");
        foreach (var (name, node) in entries)
        {
            S("entry").S("(").S("name").S(name).S("node");
            node(this);
            S(")");
        }
        return S(")");
    }
}

/// <summary>A store with some valid paths in it (a tree, sources, texts, derivations), shared by
/// the cases, which must each leave it as they found it.</summary>
public sealed class HostileInputStore : IDisposable
{
    public TempDir Tmp { get; } = new("nixsharp-hostile");
    public TestStore Store { get; }
    /// <summary>Two independent derivations: (.drv path, its "out" path).</summary>
    public (string Drv, string Out) A { get; }
    public (string Drv, string Out) B { get; }

    public HostileInputStore()
    {
        Store = new TestStore(Tmp.Sub("store"));
        var tree = Inputs.MakeTree(Tmp.Sub("tree"), dirs: 2, filesPerDir: 3, bigBytes: 1000, seed: 1);
        Assert.Equal(0, Tools.Ns("store", "add", "--store", Store.Root, tree).Code);
        var expr = Tmp.Sub("two.nix");
        System.IO.File.WriteAllText(expr, """
            let mk = name: derivation { inherit name; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo > $out" ]; };
            in [ (mk "a") (mk "b") ]
            """);
        var drvs = Tools.Ns("instantiate", "--store", Store.Root, expr);
        Assert.True(drvs.Code == 0, drvs.Stderr);
        var lines = drvs.Out.TrimEnd('\n').Split('\n');
        A = (lines[0], OutputOf(lines[0]));
        B = (lines[1], OutputOf(lines[1]));
    }

    private string OutputOf(string drv) => Tools.Ns("store", "query", "--outputs", "--store", Store.Root, drv).Out.Trim();

    public void Dispose() => Tmp.Dispose();
}

public sealed class HostileInputTests : IClassFixture<HostileInputStore>
{
    private readonly HostileInputStore _fx;
    public HostileInputTests(HostileInputStore fixture) { _fx = fixture; }

    private const string HashPart = "0123456789abcdfghijklmnpqrsvwxyz"; // every base-32 digit once
    private const string ImportedPath = "/nix/store/" + HashPart + "-hostile";
    private const string MissingPath = "/nix/store/zyxwvsrqpnmlkjihgfdcba9876543210-missing";

    // ---- Building blocks ----

    private static byte[] GoodTreeNar() => NarBuilder.Archive().Dir(
        ("a", n => n.File("first\n")),
        ("b", n => n.Dir(("c", m => m.File("#!/bin/sh\n", executable: true)))),
        ("d", n => n.Symlink("a"))).ToArray();

    /// <summary>An export stream of one path (with the end marker).</summary>
    private static byte[] Export(byte[] nar, string path = ImportedPath, IReadOnlyCollection<string>? references = null,
        string deriver = "", ulong marker = 1, ulong magic = ExportFormat.Magic)
    {
        var ms = new MemoryStream();
        WireStream.WriteU64(ms, marker);
        ms.Write(nar);
        WireStream.WriteU64(ms, magic);
        WireStream.WriteString(ms, path);
        WireStream.WriteStrings(ms, references ?? []);
        WireStream.WriteString(ms, deriver);
        WireStream.WriteU64(ms, 0);
        WireStream.WriteU64(ms, 0);
        return ms.ToArray();
    }

    private static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
    private static byte[] U64(ulong n) { var ms = new MemoryStream(); WireStream.WriteU64(ms, n); return ms.ToArray(); }

    private static byte[] Nesting(int depth)
    {
        var n = NarBuilder.Archive();
        for (int i = 0; i < depth; i++) n.S("(").S("type").S("directory").S("entry").S("(").S("name").S("a").S("node");
        n.File("deep");
        for (int i = 0; i < depth; i++) n.S(")").S(")");
        return n.ToArray();
    }

    /// <summary>Malformed NARs with a fragment of the error each must give.</summary>
    private static readonly Dictionary<string, (Func<byte[]> Nar, string Error)> NarCases = new()
    {
        ["bad magic"] = (() => new NarBuilder().S("nix-archive-2").File("x").ToArray(), "doesn't look like a Nix archive"),
        ["not a NAR at all"] = (() => Encoding.ASCII.GetBytes("#!/bin/sh\nrm -rf /\n"), "doesn't look like a Nix archive"),
        ["entry named .."] = (() => NarBuilder.Archive().Dir(("..", n => n.File("escaped"))).ToArray(), "invalid file name '..'"),
        ["entry named ."] = (() => NarBuilder.Archive().Dir((".", n => n.File("here"))).ToArray(), "invalid file name '.'"),
        ["entry named a/b"] = (() => NarBuilder.Archive().Dir(("a/b", n => n.File("slash"))).ToArray(), "invalid file name 'a/b'"),
        ["entry name with NUL"] = (() => NarBuilder.Archive().Dir(("a\0b", n => n.File("nul"))).ToArray(), "invalid file name"),
        ["empty entry name"] = (() => NarBuilder.Archive().Dir(("", n => n.File("empty"))).ToArray(), "invalid file name ''"),
        ["entry name ../../escape"] = (() => NarBuilder.Archive().Dir(("../../escape", n => n.File("x"))).ToArray(), "invalid file name"),
        ["symlink, then a directory through it"] = (() => NarBuilder.Archive().Dir(
            ("a", n => n.Symlink("../outside")), ("a", n => n.Dir(("x", m => m.File("through")))))
            .ToArray(), "'a' appears twice"),
        ["symlink, then a file below it"] = (() => NarBuilder.Archive().Dir(
            ("a", n => n.Symlink("../outside")), ("a/x", n => n.File("through")))
            .ToArray(), "invalid file name 'a/x'"),
        ["unsorted entries"] = (() => NarBuilder.Archive().Dir(("b", n => n.File("b")), ("a", n => n.File("a"))).ToArray(), "not sorted"),
        ["duplicate entries"] = (() => NarBuilder.Archive().Dir(("a", n => n.File("1")), ("a", n => n.File("2"))).ToArray(), "appears twice"),
        ["non-zero padding"] = (() =>
        {
            var nar = NarBuilder.Archive().File("abc").ToArray();
            nar[^17] = 0xff; // the last padding byte of the contents, before ")"
            return nar;
        }, "padding"),
        ["huge file size"] = (() => Cat(NarBuilder.Archive().S("(").S("type").S("regular").S("contents").ToArray(), U64(1UL << 62), "short"u8.ToArray()), "unexpected end-of-file"),
        ["file size beyond 2^63"] = (() => Cat(NarBuilder.Archive().S("(").S("type").S("regular").S("contents").ToArray(), U64(ulong.MaxValue)), "too large"),
        ["huge name length"] = (() => Cat(NarBuilder.Archive().S("(").S("type").S("directory").S("entry").S("(").S("name").ToArray(), U64(1UL << 40)), "longer than the limit"),
        ["huge symlink target length"] = (() => Cat(NarBuilder.Archive().S("(").S("type").S("symlink").S("target").ToArray(), U64(ulong.MaxValue)), "longer than the limit"),
        // Import checks the whole archive first and stops at the depth limit; restore meets the
        // system's limit on path length (4096 bytes) first.
        ["10000-deep nesting"] = (() => Nesting(10_000), "path would be|exceeds maximum depth"),
        ["unknown file type"] = (() => NarBuilder.Archive().S("(").S("type").S("fifo").S(")").ToArray(), "unknown file type 'fifo'"),
        ["executable marker with a value"] = (() => NarBuilder.Archive().S("(").S("type").S("regular").S("executable").S("yes").S("contents").S("x").S(")").ToArray(), "executable marker"),
        ["empty symlink target"] = (() => NarBuilder.Archive().Symlink("").ToArray(), "empty symlink target"),
    };

    public static IEnumerable<object[]> NarCaseNames() => NarCases.Keys.Select(k => new object[] { k });

    /// <summary>Runs nixsharp with `stdin`; asserts a clean failure naming `error` and that the
    /// store is unchanged.</summary>
    private void AssertRefused(byte[] stdin, string error, params string[] args)
    {
        var before = _fx.Store.Snapshot();
        var r = Tools.Run(Tools.Nixsharp, args, stdin: stdin);
        AssertCleanFailure(r, error);
        Assert.Equal(before, _fx.Store.Snapshot());
    }

    private static void AssertCleanFailure(RunResult r, string error)
    {
        Assert.True(r.Code == 1, $"exit code {r.Code}, stdout:\n{r.Out}\nstderr:\n{r.Stderr}");
        // `error` may list alternatives separated by '|'.
        Assert.True(r.Stderr.StartsWith("error: ", StringComparison.Ordinal) && error.Split('|').Any(e => r.Stderr.Contains(e, StringComparison.Ordinal)),
            $"expected an error about '{error}', got:\n{r.Stderr}");
        Assert.True(r.Stderr.Length < 1000, $"an error message of {r.Stderr.Length} characters is not one a person can read");
        Assert.DoesNotContain("\n   at ", r.Stderr);
        Assert.DoesNotContain("Unhandled exception", r.Stderr);
        Assert.DoesNotContain("internal error", r.Stderr);
        Assert.Equal("", r.Out);
    }

    private void AssertImportRefused(byte[] stream, string error) =>
        AssertRefused(stream, error, "store", "import", "--store", _fx.Store.Root);

    // ---- The cases ----

    [Fact]
    public void AWellFormedStreamImports()
    {
        // The control: the builders make streams that import, so each refusal below is for its own fault.
        using var tmp = new TempDir();
        var store = new TestStore(tmp.Sub("store"));
        var r = Tools.Run(Tools.Nixsharp, ["store", "import", "--store", store.Root], stdin: Export(GoodTreeNar()));
        Assert.True(r.Code == 0, r.Stderr);
        Assert.Equal(ImportedPath + "\n", r.Out);
        store.AssertVerifies("after importing the control stream");
        var restored = tmp.Sub("restored");
        Assert.Equal(0, Tools.Run(Tools.Nixsharp, ["store", "restore", restored], stdin: GoodTreeNar()).Code);
        Assert.Equal("#!/bin/sh\n", File.ReadAllText(Path.Combine(restored, "b", "c")));
    }

    [Theory]
    [MemberData(nameof(NarCaseNames))]
    public void MalformedNarInAnExportStreamIsRefused(string name)
    {
        var (nar, error) = NarCases[name];
        AssertImportRefused(Export(nar()), error);
    }

    [Theory]
    [MemberData(nameof(NarCaseNames))]
    public void MalformedNarIsRefusedByRestoreWithoutWritingOutsideTheTarget(string name)
    {
        var (nar, error) = NarCases[name];
        using var tmp = new TempDir();
        var outside = tmp.Sub("outside");
        Directory.CreateDirectory(outside);
        var target = tmp.Sub("target");
        var r = Tools.Run(Tools.Nixsharp, ["store", "restore", target], stdin: nar());
        AssertCleanFailure(r, error);
        // Only the target (whatever part of it was restored) may exist beside the decoy directory,
        // which the cases' symlinks point to, and which must stay empty.
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.All(Directory.EnumerateFileSystemEntries(tmp.Path), e => Assert.Contains(Path.GetFileName(e), new[] { "outside", "target" }));
    }

    /// <summary>Cuts through the control NAR: in the magic, after it, in a name, in file contents
    /// and before the last ")".</summary>
    public static IEnumerable<object[]> Cuts() => new[] { 12, 24, 140, GoodTreeNar().Length / 2, GoodTreeNar().Length - 16 }.Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cuts))]
    public void ExportStreamTruncatedInItsNarIsRefused(int cut) =>
        AssertImportRefused(Export(GoodTreeNar())[..(8 + cut)], "unexpected end-of-file");

    [Theory]
    [MemberData(nameof(Cuts))]
    public void TruncatedNarIsRefusedByRestore(int cut)
    {
        using var tmp = new TempDir();
        AssertCleanFailure(Tools.Run(Tools.Nixsharp, ["store", "restore", tmp.Sub("target")], stdin: GoodTreeNar()[..cut]), "unexpected end-of-file");
    }

    [Fact]
    public void BadStartMarkerIsRefused() => AssertImportRefused(Export(GoodTreeNar(), marker: 2), "doesn't look like something created by 'nix-store --export'");

    [Fact]
    public void BadExportMagicIsRefused() => AssertImportRefused(Export(GoodTreeNar(), magic: 0x4558494f), "wrong format");

    [Fact]
    public void EmptyInputIsRefused() => AssertImportRefused([], "end of input");

    [Theory]
    [InlineData("/tmp/" + HashPart + "-outside", "not in the Nix store")]
    [InlineData("/nix/store/../etc/passwd", "not a valid store path")]
    [InlineData("/nix/store/" + HashPart + "-x/../../etc", "not a valid store path")]
    [InlineData("/nix/store/..", "not a valid store path")]
    [InlineData("/nix/store", "not in the Nix store")]
    [InlineData("/nix/store/" + HashPart + "-has space", "illegal character ' '")]
    [InlineData("/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x", "not a valid store path")]
    [InlineData("/nix/store/short-x", "not a valid store path")]
    [InlineData("/nix/store/" + HashPart + "-", "not a valid store path")]
    [InlineData("/nix/store/" + HashPart + "-.hidden\n", "illegal character")]
    public void ImportedPathNameMustBeAStorePath(string path, string error) => AssertImportRefused(Export(GoodTreeNar(), path), error);

    [Fact]
    public void ReferenceToAPathThatIsNeitherValidNorInTheStreamIsRefused() =>
        AssertImportRefused(Export(GoodTreeNar(), references: [MissingPath]), MissingPath);

    [Fact]
    public void ReferenceThatIsNotAStorePathIsRefused() =>
        AssertImportRefused(Export(GoodTreeNar(), references: ["/etc/passwd"]), "not in the Nix store");

    [Fact]
    public void DeriverThatIsNotAStorePathIsRefused() =>
        AssertImportRefused(Export(GoodTreeNar(), deriver: "/nix/store/../../etc/x.drv"), "not a valid store path");

    [Fact]
    public void AbsurdPathLengthIsRefused()
    {
        var stream = Cat(U64(1), GoodTreeNar(), U64(ExportFormat.Magic), U64(1UL << 60));
        AssertImportRefused(stream, "more than the 4096 allowed");
    }

    [Fact]
    public void AbsurdReferenceCountIsRefused()
    {
        var ms = new MemoryStream();
        WireStream.WriteU64(ms, 1); ms.Write(GoodTreeNar()); WireStream.WriteU64(ms, ExportFormat.Magic);
        WireStream.WriteString(ms, ImportedPath);
        WireStream.WriteU64(ms, 1UL << 40);
        AssertImportRefused(ms.ToArray(), "entries, more than");
    }

    [Fact]
    public void BadSignatureMarkerIsRefused()
    {
        var stream = Export(GoodTreeNar());
        stream[^16] = 2; // the signature marker, before the end marker
        AssertImportRefused(stream, "bad signature marker");
    }

    [Theory]
    [InlineData(0)]   // before the magic
    [InlineData(4)]   // inside the magic
    [InlineData(12)]  // inside the path's length
    [InlineData(24)]  // inside the path
    [InlineData(76)]  // inside the number of references
    [InlineData(100)] // inside the reference
    [InlineData(144)] // before the deriver
    [InlineData(152)] // before the signature marker
    public void TruncatedTrailerIsRefused(int keptAfterNar)
    {
        var nar = GoodTreeNar();
        var stream = Export(nar, references: [_fx.A.Drv]);
        AssertImportRefused(stream[..(8 + nar.Length + keptAfterNar)], "unexpected end of input");
    }

    [Fact]
    public void DerivationClaimingAnotherDerivationsOutputIsRefused()
    {
        // a.drv, rewritten so that its output is b's: the name and contents agree, the output lies.
        var text = File.ReadAllText(_fx.Store.Real(_fx.A.Drv)).Replace(_fx.A.Out, _fx.B.Out);
        Assert.Contains(_fx.B.Out, text);
        var path = new StorePathComputer("/nix/store").ComputeTextPath("a.drv", Encoding.UTF8.GetBytes(text), []);
        AssertImportRefused(Export(NarBuilder.Archive().File(text).ToArray(), path), "incorrect output");
    }

    [Fact]
    public void DerivationWithAForgedOutputPathIsRefused()
    {
        var text = File.ReadAllText(_fx.Store.Real(_fx.A.Drv)).Replace(_fx.A.Out, "/nix/store/" + HashPart + "-a");
        var path = new StorePathComputer("/nix/store").ComputeTextPath("a.drv", Encoding.UTF8.GetBytes(text), []);
        AssertImportRefused(Export(NarBuilder.Archive().File(text).ToArray(), path), "incorrect output");
    }

    [Theory]
    [InlineData("Derive([(\"out\",\"/nix/store/")]
    [InlineData("this is not a derivation")]
    [InlineData("")]
    public void SyntacticallyBrokenDerivationIsRefused(string text)
    {
        var path = new StorePathComputer("/nix/store").ComputeTextPath("broken.drv", Encoding.UTF8.GetBytes(text), []);
        AssertImportRefused(Export(NarBuilder.Archive().File(text).ToArray(), path), "error parsing derivation");
    }

    [Fact]
    public void DerivationThatIsADirectoryIsRefused()
    {
        var path = "/nix/store/" + HashPart + "-dir.drv";
        AssertImportRefused(Export(GoodTreeNar(), path), $"derivation '{path}' is not a regular file");
    }

    [Theory]
    [InlineData("/dev/zero")]   // endless: reading it would exhaust memory
    [InlineData("/etc/passwd")] // a file outside the store
    [InlineData("missing")]     // dangling
    public void DerivationThatIsASymlinkIsRefusedUnread(string target)
    {
        var path = "/nix/store/" + HashPart + "-link.drv";
        AssertImportRefused(Export(NarBuilder.Archive().Symlink(target).ToArray(), path), $"derivation '{path}' is not a regular file");
    }
}
