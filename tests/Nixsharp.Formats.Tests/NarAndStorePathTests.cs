// NAR dumps and store paths, checked against Nix 2.8 (nix-store --dump, nix-instantiate) on a
// tree with every entry kind, odd names, empty files and directories.

namespace Nixsharp.Formats.Tests;

using System.Diagnostics;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Nar;
using Nixsharp.Formats.StorePaths;
using Xunit;

public sealed class TreeFixture : IDisposable
{
    public string Root { get; }

    public TreeFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "nixsharp-nar-" + Guid.NewGuid().ToString("N"));
        var t = Path.Combine(Root, "tree");
        Directory.CreateDirectory(Path.Combine(t, "sub", "deeper"));
        Directory.CreateDirectory(Path.Combine(t, "empty-dir"));
        File.WriteAllText(Path.Combine(t, "hello.txt"), "hello\n");
        File.WriteAllBytes(Path.Combine(t, "empty"), Array.Empty<byte>());
        File.WriteAllBytes(Path.Combine(t, "seven"), "1234567"u8.ToArray());
        File.WriteAllBytes(Path.Combine(t, "eight"), "12345678"u8.ToArray());
        File.WriteAllText(Path.Combine(t, "sub", "deeper", "x"), new string('x', 100_000));
        File.WriteAllText(Path.Combine(t, "ünïcode name"), "u");
        File.WriteAllText(Path.Combine(t, "B-upper"), "sorted before lower case");
        var exe = Path.Combine(t, "run.sh");
        File.WriteAllText(exe, "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(exe, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(Path.Combine(t, "link"), "hello.txt");
        File.CreateSymbolicLink(Path.Combine(t, "dangling"), "/nonexistent/target");
    }

    public string Tree => Path.Combine(Root, "tree");

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

public class NarAndStorePathTests : IClassFixture<TreeFixture>
{
    private readonly TreeFixture _f;
    public NarAndStorePathTests(TreeFixture f) { _f = f; }

    private static (byte[] Stdout, string Stderr, int Code) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NIX_PATH"] = "";
        using var p = Process.Start(psi)!;
        var ms = new MemoryStream();
        var errTask = p.StandardError.ReadToEndAsync();
        p.StandardOutput.BaseStream.CopyTo(ms);
        p.WaitForExit();
        return (ms.ToArray(), errTask.Result, p.ExitCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello.txt")]
    [InlineData("empty")]
    [InlineData("seven")]
    [InlineData("eight")]
    [InlineData("run.sh")]
    [InlineData("link")]
    [InlineData("empty-dir")]
    [InlineData("sub")]
    public void NarDumpIsByteIdenticalToNixStoreDump(string entry)
    {
        var path = entry.Length == 0 ? _f.Tree : Path.Combine(_f.Tree, entry);
        var (expected, err, code) = Run("nix-store", "--dump", path);
        Assert.True(code == 0, err);
        var ms = new MemoryStream();
        NarWriter.Dump(path, ms);
        Assert.Equal(expected, ms.ToArray());
    }

    [Theory]
    [InlineData("hello.txt")]
    [InlineData("empty")]
    [InlineData("seven")]
    [InlineData("eight")]
    [InlineData("run.sh")]
    public void NarOfFileContentsFromMemoryEqualsNixStoreDump(string entry)
    {
        var path = Path.Combine(_f.Tree, entry);
        var (expected, err, code) = Run("nix-store", "--dump", path);
        Assert.True(code == 0, err);
        var executable = (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0;
        var ms = new MemoryStream();
        NarWriter.WriteRegularFile(File.ReadAllBytes(path), executable, ms);
        Assert.Equal(expected, ms.ToArray());
    }

    [Fact]
    public void SourcePathEqualsWhatNixInstantiateComputes()
    {
        var (stdout, err, code) = Run("nix-instantiate", "--eval", "-E", $"\"${{{_f.Tree}}}\"");
        Assert.True(code == 0, err);
        var expected = System.Text.Encoding.UTF8.GetString(stdout).Trim().Trim('"');
        var computed = new StorePathComputer("/nix/store").ComputeSourcePath(_f.Tree, "tree", out var narHash, out var narSize);
        Assert.Equal(expected, computed);
        Assert.Equal(32, narHash.Length);
        Assert.True(narSize > 100_000);
    }

    [Fact]
    public void TextPathEqualsWhatNixInstantiateComputesForToFile()
    {
        var (stdout, err, code) = Run("nix-instantiate", "--eval", "-E", "builtins.toFile \"greeting\" \"hello\\n\"");
        Assert.True(code == 0, err);
        var expected = System.Text.Encoding.UTF8.GetString(stdout).Trim().Trim('"');
        Assert.Equal(expected, new StorePathComputer("/nix/store").ComputeTextPath("greeting", "hello\n"u8, []));
    }

    [Fact]
    public void Base32RoundTripsAndMatchesKnownValue()
    {
        // sha256("") in Nix's base 32, as `nix-hash --type sha256 --to-base32` prints it.
        var h = HashAlgorithms.Compute("sha256", ReadOnlySpan<byte>.Empty);
        var s = NixBase32.Encode(h);
        Assert.Equal("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73", s);
        Assert.Equal(h, NixBase32.Decode(s, 32));
        Assert.Null(NixBase32.Decode("e" + s[1..], 32));
        Assert.Null(NixBase32.Decode(s.AsSpan(1), 32));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/inside")]
    public void BadNamesAreRejected(string name) =>
        Assert.Throws<FormatException>(() => StorePathComputer.CheckName(name));
}
