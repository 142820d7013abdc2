// Closures made up directly as export streams, for transfer tests that need many paths with
// references quickly (no builds, one import process).
namespace Nixsharp.Cli.Tests;

using System.Security.Cryptography;
using System.Text;
using Nixsharp.Formats.Export;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Nar;
using Xunit;

/// <summary>Closures made up directly as export streams: input-addressed paths with references,
/// imported with `nixsharp store import` (one process, however many paths).</summary>
public static class FakeClosure
{
    public sealed record Item(string Path, string[] References, Action<Stream> WriteNar);

    public static string NewPath(string name) =>
        "/nix/store/" + NixBase32.Encode(RandomNumberGenerator.GetBytes(20)) + "-" + name;

    /// <summary>A file that mentions its references (as real outputs do).</summary>
    public static Item TextItem(string name, string text, params string[] refs)
    {
        var contents = Encoding.UTF8.GetBytes(text + "\n" + string.Join("\n", refs) + "\n");
        return new Item(NewPath(name), refs, s => NarWriter.WriteRegularFile(contents, executable: false, s));
    }

    public static Item TreeItem(string name, string dir, params string[] refs) =>
        new(NewPath(name), refs, s => NarWriter.Dump(dir, s));

    /// <summary>Imports items (references first) into a chroot store.</summary>
    public static void Import(string storeRoot, IEnumerable<Item> items)
    {
        var ms = new MemoryStream();
        foreach (var i in items) ExportFormat.WritePath(ms, i.WriteNar, new ExportTrailer(i.Path, i.References, null));
        ExportFormat.WriteEnd(ms);
        var r = Tools.Run(Tools.Nixsharp, ["store", "import", "--store", storeRoot], stdin: ms.ToArray());
        Assert.True(r.Code == 0, "import: " + r.Stderr);
    }
}
