// The store's repair primitive: contents are replaced only by a checked tree, a refused tree
// changes nothing, and the states a crash can leave (a stray PATH.repair before the swap; the path
// missing with its old contents at PATH.old between the fallback's two renames) are put right by
// the next repair.
namespace Nixsharp.Store.Tests;

using Nixsharp.Formats.Nar;
using Nixsharp.Store.Local;
using Xunit;

public sealed class RepairPrimitiveTests : IDisposable
{
    private readonly TempStoreRoot _root = new();
    private readonly LocalStore _store;
    private readonly string _path;
    private readonly string _real;
    private readonly byte[] _goodNar;

    public RepairPrimitiveTests()
    {
        _store = LocalStore.Open(_root.Layout);
        var src = _root.Scratch("src");
        Directory.CreateDirectory(Path.Combine(src, "tree"));
        File.WriteAllText(Path.Combine(src, "tree", "f"), "good\n");
        _path = _store.AddToStore("tree", Path.Combine(src, "tree"));
        _real = _store.ToRealPath(_path);
        var nar = new MemoryStream();
        NarWriter.Dump(_real, nar);
        _goodNar = nar.ToArray();
    }

    public void Dispose()
    {
        _store.Dispose();
        StoreFiles.DeleteTree(_root.Root);
    }

    private void Spoil()
    {
        File.SetUnixFileMode(_real, (UnixFileMode)0x1ED);
        File.SetUnixFileMode(Path.Combine(_real, "f"), (UnixFileMode)0x1A4);
        File.WriteAllText(Path.Combine(_real, "f"), "bad!\n");
    }

    /// <summary>A canonicalised tree inside the real store directory with `text` in f.</summary>
    private string Tree(string text)
    {
        var t = _real + ".new";
        Directory.CreateDirectory(t);
        File.WriteAllText(Path.Combine(t, "f"), text);
        StoreFiles.Canonicalise(t);
        return t;
    }

    private IEnumerable<string> Strays() =>
        Directory.EnumerateFileSystemEntries(_root.Layout.RealStoreDir).Where(e => e.StartsWith(_real + ".", StringComparison.Ordinal));

    [Fact]
    public void ATreeWithTheWrongHashIsRefusedAndNothingChanges()
    {
        Spoil();
        var tree = Tree("other\n");
        var ex = Assert.Throws<StoreException>(() => _store.ReplaceValidPathContentsLocked(_path, tree));
        Assert.Contains("not the expected", ex.Message);
        Assert.Equal("bad!\n", File.ReadAllText(Path.Combine(_real, "f")));
        Assert.False(_store.ContentsGood(_path));
        Assert.Empty(Strays());
    }

    [Fact]
    public void AGoodTreeReplacesDamagedContents()
    {
        Spoil();
        _store.ReplaceValidPathContentsLocked(_path, Tree("good\n"));
        Assert.True(_store.ContentsGood(_path));
        Assert.Empty(Strays());
    }

    [Fact]
    public void ARebuildThatDiffersIsRegisteredWithItsHash()
    {
        var tree = Tree("new\n");
        var (hash, size) = LocalStore.HashNar(tree);
        var info = _store.QueryPathInfo(_path)! with { NarHash = Database.ValidPathInfo.FormatNarHash(hash), NarSize = size, ContentAddress = null };
        _store.ReplaceValidPathContentsLocked(_path, tree, info);
        Assert.Equal("new\n", File.ReadAllText(Path.Combine(_real, "f")));
        Assert.True(_store.ContentsGood(_path));
    }

    [Fact]
    public void ANarWithTheWrongHashIsRefusedAndNothingChanges()
    {
        Spoil();
        var other = _root.Scratch("other");
        File.WriteAllText(Path.Combine(other, "f"), "nope\n");
        var nar = new MemoryStream();
        NarWriter.Dump(other, nar);
        Assert.Throws<StoreException>(() => _store.RepairFromNar(_path, restore => restore(new MemoryStream(nar.ToArray()))));
        Assert.Equal("bad!\n", File.ReadAllText(Path.Combine(_real, "f")));
        Assert.Empty(Strays());
    }

    [Fact]
    public void LeftoversOfACrashBeforeTheSwapAreCleared()
    {
        Spoil();
        Directory.CreateDirectory(_real + LocalStore.RepairSuffix);
        File.WriteAllText(Path.Combine(_real + LocalStore.RepairSuffix, "half"), "written");
        _store.RepairFromNar(_path, restore => restore(new MemoryStream(_goodNar)));
        Assert.True(_store.ContentsGood(_path));
        Assert.Empty(Strays());
    }

    [Fact]
    public void ACrashBetweenTheFallbackRenamesIsUndoneByTheNextRepair()
    {
        Spoil();
        // The state the fallback swap leaves when killed after its first rename.
        Directory.Move(_real, _real + ".old");
        _store.RepairFromNar(_path, restore => restore(new MemoryStream(_goodNar)));
        Assert.True(_store.ContentsGood(_path));
        Assert.Empty(Strays());
    }
}
