namespace Nixsharp.Store.Tests;

using Nixsharp.Store.Local;
using Xunit;

public class StoreLayoutTests
{
    [Fact]
    public void ChrootStoreKeepsLogicalPathsButWritesUnderItsRoot()
    {
        var l = StoreLayout.Chroot("/tmp/x/");
        Assert.Equal("/nix/store", l.StoreDir);
        Assert.Equal("/tmp/x/nix/store", l.RealStoreDir);
        Assert.Equal("/tmp/x/nix/var/nix/db/db.sqlite", l.DbFile);
        Assert.Equal("/tmp/x/nix/store/abc-foo/bin", l.ToReal("/nix/store/abc-foo/bin"));
        Assert.Equal("/elsewhere", l.ToReal("/elsewhere"));
    }

    [Fact]
    public void DefaultLayoutIsNixs()
    {
        var l = StoreLayout.Default();
        Assert.Equal("/nix/store/abc-foo", l.ToReal("/nix/store/abc-foo"));
        Assert.Equal("/nix/var/nix/db/schema", l.SchemaFile);
        Assert.Equal("/nix/var/nix/temproots", l.TempRootsDir);
    }
}
