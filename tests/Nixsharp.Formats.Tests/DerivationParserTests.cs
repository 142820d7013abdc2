// The .drv parser and the store's output check, on .drv files that Nix 2.8 wrote (golden/drv/, made
// by golden/regenerate-drv.sh) and on broken variants of them.
namespace Nixsharp.Formats.Tests;

using System.Text;
using Nixsharp.Formats.Derivations;
using Nixsharp.Formats.StorePaths;
using Xunit;

public class DerivationParserTests
{
    private const string StoreDir = "/nix/store";
    private static readonly string GoldenDir = Path.Combine(AppContext.BaseDirectory, "golden", "drv");

    private static string[] GoldenFileNames() =>
        Directory.GetFiles(GoldenDir, "*.drv").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    public static TheoryData<string> GoldenFiles() => new(GoldenFileNames());

    private static byte[] Golden(string fileName) => File.ReadAllBytes(Path.Combine(GoldenDir, fileName));

    /// <summary>The golden file whose name ends in "-NAME.drv".</summary>
    private static string GoldenNamed(string name) =>
        Path.GetFileName(Directory.GetFiles(GoldenDir, "*-" + name + ".drv").Single());

    private static string DrvName(string fileName) => fileName[(StorePathComputer.HashPartLength + 1)..^".drv".Length];

    private static Derivation ParseGolden(string fileName) => DerivationParser.Parse(Golden(fileName), DrvName(fileName), StoreDir);

    private static Derivation Parse(string text, string name = "t") => DerivationParser.Parse(Encoding.UTF8.GetBytes(text), name, StoreDir);

    /// <summary>A hasher that reads input derivations from the golden directory.</summary>
    private static DerivationHasher GoldenHasher() => new(new StorePathComputer(StoreDir), drvPath =>
    {
        var fileName = drvPath[(StoreDir.Length + 1)..];
        return File.Exists(Path.Combine(GoldenDir, fileName)) ? ParseGolden(fileName) : null;
    });

    [Fact]
    public void GoldenSetIsThere()
    {
        var files = GoldenFileNames();
        Assert.True(files.Length >= 14, $"only {files.Length} golden .drv files");
    }

    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public void GoldenFilesRoundTripByteForByte(string fileName)
    {
        var bytes = Golden(fileName);
        var drv = DerivationParser.Parse(bytes, DrvName(fileName), StoreDir);
        Assert.Equal(bytes, Encoding.UTF8.GetBytes(drv.Unparse(false)));
        Assert.Equal(DrvName(fileName), drv.Name);
        Assert.NotEmpty(drv.Outputs);
    }

    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public void GoldenStorePathsAreRecomputed(string fileName)
    {
        var drv = ParseGolden(fileName);
        var hasher = GoldenHasher();
        var drvPath = StoreDir + "/" + fileName;
        Assert.Equal(drvPath, hasher.DrvPath(drv));
        hasher.CheckOutputs(drvPath, drv);

        // The outputs again, computed the way the evaluator does it from a derivation without them.
        var paths = new StorePathComputer(StoreDir);
        var fresh = new Derivation { Name = drv.Name, Platform = drv.Platform, Builder = drv.Builder };
        fresh.Args.AddRange(drv.Args);
        foreach (var (k, v) in drv.Env) fresh.Env[k] = v;
        foreach (var (k, v) in drv.InputDrvs) fresh.InputDrvs[k] = v;
        foreach (var s in drv.InputSrcs) fresh.InputSrcs.Add(s);
        if (drv.IsFixedOutput)
        {
            var o = drv.Outputs["out"];
            bool recursive = o.HashAlgo.StartsWith("r:", StringComparison.Ordinal);
            var algo = recursive ? o.HashAlgo[2..] : o.HashAlgo;
            Assert.Equal(o.Path, paths.MakeFixedOutputPath(recursive, algo, Convert.FromHexString(o.Hash), drv.Name));
            return;
        }
        foreach (var name in drv.Outputs.Keys)
        {
            fresh.Outputs[name] = new DerivationOutput("", "", "");
            fresh.Env[name] = "";
        }
        GoldenHasher().FillInputAddressedOutputs(fresh);
        foreach (var (name, o) in drv.Outputs) Assert.Equal(o.Path, fresh.Outputs[name].Path);
        Assert.Equal(drv.Unparse(false), fresh.Unparse(false));
    }

    [Fact]
    public void GoldenContentsAreReadRight()
    {
        var multi = ParseGolden(GoldenNamed("multi"));
        Assert.Equal(["dev", "doc", "out"], multi.Outputs.Keys);
        Assert.Equal(["-c", "mkdir $out $dev $doc"], multi.Args);

        var withInputs = ParseGolden(GoldenNamed("with-inputs"));
        Assert.Equal(["dev", "doc"], withInputs.InputDrvs[StoreDir + "/" + GoldenNamed("multi")]);
        Assert.Equal(3, withInputs.InputSrcs.Count);

        var fixedRecursive = ParseGolden(GoldenNamed("fixed-recursive")).Outputs["out"];
        Assert.Equal("r:sha256", fixedRecursive.HashAlgo);
        Assert.Equal(64, fixedRecursive.Hash.Length);
        Assert.True(ParseGolden(GoldenNamed("fixed-md5")).IsFixedOutput);

        var tricky = ParseGolden(GoldenNamed("tricky-strings"));
        Assert.Equal("she said \"hi\" and \\ left", tricky.Env["quotes"]);
        Assert.Equal("dos line\r\nend\r", tricky.Env["cr"]);
        Assert.Equal("a\tb\t\tc", tricky.Env["tabs"]);
        Assert.Equal("héllo wörld — ✓ 日本語 😀", tricky.Env["unicode"]);
        Assert.Equal("bell\u0007 del\u007f esc\u001b nul-free", tricky.Env["controls"]);
        Assert.Equal("empty name", tricky.Env[""]);
        Assert.Equal(["-c", "printf '%s\\n' \"$quotes\"", "", "tab\there", "new\nline", "😀"], tricky.Args);
        // Nix orders keys by their UTF-8 bytes: U+E000 and U+FFFD before U+1F600.
        var keys = tricky.Env.Keys.ToList();
        Assert.True(keys.IndexOf("a\uFFFD") < keys.IndexOf("a😀"));
        Assert.True(keys.IndexOf("a\uE000") < keys.IndexOf("a\uFFFD"));

        var structured = ParseGolden(GoldenNamed("structured"));
        Assert.StartsWith("{\"builder\":\"/bin/sh\"", structured.Env["__json"]);
    }

    private static string Plain => Encoding.UTF8.GetString(Golden(GoldenNamed("plain")));
    private static string PlainOut => ParseGolden(GoldenNamed("plain")).Outputs["out"].Path;

    private static DerivationFormatException Rejects(string text) =>
        Assert.Throws<DerivationFormatException>(() => Parse(text));

    [Theory]
    [InlineData("derive([", "expected string 'Derive([' at byte 0")]
    [InlineData("", "unexpected end of derivation, expected string 'Derive([' at byte 0")]
    [InlineData("Derive([]", "unexpected end of derivation, expected string ',[' at byte 9")]
    [InlineData("Derive([(\"out", "unterminated string at byte 9")]
    [InlineData("Derive([(\"out\\", "unterminated string at byte 9")]
    [InlineData("Derive([],[],[],\"x\",\"b\",[],[]) ", "unexpected data after the end of the derivation at byte 30")]
    [InlineData("Derive([], [],[],\"x\",\"b\",[],[])", "expected string ',[' at byte 9")]
    [InlineData("Derive([],[],[],\"x\",\"b\",[\"a\"\"b\"],[])", "expected string ',' or ']' at byte 28")]
    [InlineData("Derive([],[],[],\"x\",\"b\",[,\"a\"],[])", "expected string '\"' at byte 25")]
    [InlineData("Derive([],[],[],\"x\",\"b\",[\"a\",],[])", "expected string '\"' at byte 29")]
    [InlineData("Derive([],[],[],\"x\",\"b\",[],[(\"k\",\"v\"),(\"k\",\"w\")])", "duplicate environment variable 'k' at byte 39")]
    [InlineData("Derive([(\"\",\"\",\"\",\"\")],[],[],\"x\",\"b\",[],[])", "empty output name at byte 9")]
    [InlineData("Derive([(\"a b\",\"\",\"\",\"\")],[],[],\"x\",\"b\",[],[])", "output name 'a b' contains illegal character ' ' at byte 9")]
    [InlineData("Derive([(\"out\",\"/tmp/x\",\"\",\"\")],[],[],\"x\",\"b\",[],[])", "path '/tmp/x' is not in the Nix store at byte 15")]
    [InlineData("Derive([(\"out\",\"tmp/x\",\"\",\"\")],[],[],\"x\",\"b\",[],[])", "bad path 'tmp/x' in derivation at byte 15")]
    [InlineData("Derive([(\"out\",\"\",\"\",\"abc\")],[],[],\"x\",\"b\",[],[])", "output 'out' has a hash but no hash algorithm at byte 21")]
    [InlineData("Derive([(\"out\",\"\",\"sha999\",\"abc\")],[],[],\"x\",\"b\",[],[])", "unknown hash algorithm 'sha999' at byte 18")]
    [InlineData("Derive([(\"out\",\"\",\"r:md6\",\"abc\")],[],[],\"x\",\"b\",[],[])", "unknown hash algorithm 'md6' at byte 18")]
    [InlineData("Derive([(\"out\",\"\",\"sha256\",\"abc\")],[],[],\"x\",\"b\",[],[])", "hash 'abc' has wrong length for hash type 'sha256' at byte 27")]
    [InlineData("Derive([(\"out\",\"\",\"sha256\",\"\")],[],[],\"x\",\"b\",[],[])", "experimental Nix feature 'ca-derivations' is disabled; use '--extra-experimental-features ca-derivations' to override at byte 27")]
    [InlineData("Derive([(\"out\",\"\",\"sha256\",\"impure\")],[],[],\"x\",\"b\",[],[])", "experimental Nix feature 'impure-derivations' is disabled; use '--extra-experimental-features impure-derivations' to override at byte 27")]
    public void MalformedTextIsRejectedWithWhereAndWhy(string text, string message)
    {
        Assert.Equal(message, Rejects(text).Message);
    }

    [Fact]
    public void OutputPathsMustBeStorePathsAsNixWritesThem()
    {
        var good = PlainOut;
        var hash = good[(StoreDir.Length + 1)..(StoreDir.Length + 33)];
        Assert.Contains("contains illegal base-32 character 'e'", Rejects(Plain.Replace(good, StoreDir + "/e" + hash[1..] + "-plain")).Message);
        Assert.Contains("is not in the Nix store", Rejects(Plain.Replace(good, "/nix//store/" + hash + "-plain")).Message);
        Assert.Contains("is not in the Nix store", Rejects(Plain.Replace(good, "/gnu/store/" + hash + "-plain")).Message);
        Assert.Contains("is too short to be a valid store path", Rejects(Plain.Replace(good, StoreDir + "/" + hash[..10])).Message);
        Assert.Contains("has no '-' after its hash part", Rejects(Plain.Replace(good, StoreDir + "/" + hash + "_plain")).Message);
        Assert.Contains("has an empty name", Rejects(Plain.Replace(good, StoreDir + "/" + hash + "-")).Message);
        Assert.Contains("contains illegal character '!'", Rejects(Plain.Replace(good, StoreDir + "/" + hash + "-pl!in")).Message);
        // The same file in another store directory is fine once the parser is told that directory.
        var other = DerivationParser.Parse(Encoding.UTF8.GetBytes(Plain.Replace(StoreDir + "/", "/gnu/store/")), "plain", "/gnu/store");
        Assert.StartsWith("/gnu/store/", other.Outputs["out"].Path);
    }

    [Fact]
    public void InputsMustBeStorePathsWithoutDuplicates()
    {
        var withInputs = Encoding.UTF8.GetString(Golden(GoldenNamed("with-inputs")));
        var multiDrv = StoreDir + "/" + GoldenNamed("multi");
        Assert.Contains("duplicate output 'dev' of input derivation",
            Rejects(withInputs.Replace($"(\"{multiDrv}\",[\"dev\",\"doc\"])", $"(\"{multiDrv}\",[\"dev\",\"dev\"])")).Message);
        Assert.Contains("duplicate input derivation",
            Rejects(withInputs.Replace($"(\"{multiDrv}\",[\"dev\",\"doc\"])", $"(\"{multiDrv}\",[\"dev\"]),(\"{multiDrv}\",[\"doc\"])")).Message);
        Assert.Contains("is not a .drv file", Rejects(withInputs.Replace($"(\"{multiDrv}\"", $"(\"{multiDrv[..^4]}\"")).Message);
        var firstSrc = ParseGolden(GoldenNamed("with-inputs")).InputSrcs.Min!;
        Assert.Contains($"duplicate input source '{firstSrc}'", Rejects(withInputs.Replace($"[\"{firstSrc}\",", $"[\"{firstSrc}\",\"{firstSrc}\",")).Message);
        Assert.Contains("duplicate output 'out'", Rejects(Plain.Replace("Derive([(\"out\",\"" + PlainOut + "\",\"\",\"\")",
            "Derive([(\"out\",\"" + PlainOut + "\",\"\",\"\"),(\"out\",\"" + PlainOut + "\",\"\",\"\")")).Message);
    }

    [Fact]
    public void EscapesAreReadAsNixReadsThem()
    {
        // Nix turns \n, \r and \t into control characters and takes any other escaped character as it is.
        var drv = Parse("Derive([],[],[],\"x\",\"b\",[\"\\a\\\"\\\\\\n\\r\\t\\é\\😀\",\"raw\nnewline\ttab\"],[])");
        Assert.Equal(["a\"\\\n\r\té😀", "raw\nnewline\ttab"], drv.Args);
    }

    [Fact]
    public void NixsLeniencyThatIsKept()
    {
        // Maps in any order (Nix sorts them when it writes), a NUL in a string, no outputs at all, and a
        // deferred output (empty path and hash) are all read.
        var drv = Parse("Derive([(\"out\",\"\",\"\",\"\")],[],[],\"x\",\"b\",[],[(\"z\",\"1\"),(\"a\",\"nul\0here\")])");
        Assert.Equal(["a", "z"], drv.Env.Keys);
        Assert.Equal("nul\0here", drv.Env["a"]);
        Assert.Equal("", drv.Outputs["out"].Path);
        Assert.Empty(Parse("Derive([],[],[],\"x\",\"b\",[],[])").Outputs);
    }

    [Fact]
    public void FixedOutputHashesInAnyEncodingAreKeptInBase16()
    {
        // Nix reads a fixed output's hash in base 16, 32 or 64 and writes it back in base 16.
        var text = Encoding.UTF8.GetString(Golden(GoldenNamed("fixed-recursive")));
        var drv = ParseGolden(GoldenNamed("fixed-recursive"));
        var hex = drv.Outputs["out"].Hash;
        var base32 = Hashes.Hash.ParseNonSriUnprefixed(hex, Hashes.HashType.Sha256).ToString(Hashes.HashFormat.Base32, false);
        var reparsed = Parse(text.Replace($"\"{hex}\"", $"\"{base32}\""), drv.Name);
        Assert.Equal(hex, reparsed.Outputs["out"].Hash);
        Assert.Equal(text, reparsed.Unparse(false));
    }

    [Fact]
    public void InvalidUtf8IsRejectedWhereItIs()
    {
        var bytes = Golden(GoldenNamed("plain"));
        int at = Array.IndexOf(bytes, (byte)'$');
        var broken = (byte[])bytes.Clone();
        broken[at] = 0xC3; // a lead byte followed by ASCII
        var e = Assert.Throws<DerivationFormatException>(() => DerivationParser.Parse(broken, "plain", StoreDir));
        Assert.Equal($"derivation is not valid UTF-8 at byte {at}", e.Message);
        Assert.Equal(at, e.Offset);
        var surrogate = Encoding.UTF8.GetBytes("Derive([],[],[],\"x\",\"b\",[\"").Concat(new byte[] { 0xED, 0xA0, 0x80 })
            .Concat(Encoding.UTF8.GetBytes("\"],[])")).ToArray();
        Assert.Equal(26, Assert.Throws<DerivationFormatException>(() => DerivationParser.Parse(surrogate, "t", StoreDir)).Offset);
    }

    [Fact]
    public void AbsurdSizesAreRejectedBeforeReading()
    {
        var huge = new byte[DerivationParser.MaxSize + 1];
        "Derive(["u8.CopyTo(huge);
        var e = Assert.Throws<DerivationFormatException>(() => DerivationParser.Parse(huge, "t", StoreDir));
        Assert.StartsWith("derivation is larger than", e.Message);
    }

    [Fact]
    public void BadNamesAreTheCallersMistake()
    {
        Assert.Throws<ArgumentException>(() => DerivationParser.Parse(Golden(GoldenNamed("plain")), "bad name", StoreDir));
    }

    [Fact]
    public void EveryTruncationIsRejected()
    {
        foreach (var (fileName, bytes, name) in AllGolden())
        {
            for (int len = 0; len < bytes.Length; len++)
            {
                var e = Assert.Throws<DerivationFormatException>(() => DerivationParser.Parse(bytes.AsSpan(0, len), name, StoreDir));
                Assert.InRange(e.Offset, 0, len);
            }
        }
    }

    [Fact]
    public void ChangedBytesGiveADerivationOrAFormatError()
    {
        byte[] replacements = [0x00, (byte)'"', (byte)'\\', (byte)',', (byte)']', (byte)')', (byte)'(', (byte)'[', (byte)'e', (byte)'r', 0x80, 0xFF];
        foreach (var (fileName, bytes, name) in AllGolden())
        {
            var hasher = GoldenHasher();
            for (int i = 0; i < bytes.Length; i++)
            {
                foreach (var r in replacements)
                {
                    if (bytes[i] == r) continue;
                    var changed = (byte[])bytes.Clone();
                    changed[i] = r;
                    ParseOrFormatError(changed, name, fileName, hasher);
                }
            }
        }
    }

    [Fact]
    public void RandomEditsGiveADerivationOrAFormatError()
    {
        var random = new Random(2_8_0);
        var golden = AllGolden().ToList();
        var hasher = GoldenHasher();
        for (int round = 0; round < 20_000; round++)
        {
            var (fileName, bytes, name) = golden[random.Next(golden.Count)];
            var edited = new List<byte>(bytes);
            for (int edits = random.Next(1, 4); edits > 0 && edited.Count > 0; edits--)
            {
                int at = random.Next(edited.Count);
                switch (random.Next(3))
                {
                    case 0: edited.RemoveRange(at, Math.Min(random.Next(1, 8), edited.Count - at)); break;
                    case 1: edited.InsertRange(at, bytes.AsSpan(random.Next(bytes.Length - 8), 8).ToArray()); break;
                    default: edited[at] = (byte)random.Next(256); break;
                }
            }
            ParseOrFormatError(edited.ToArray(), name, fileName, hasher);
        }
    }

    /// <summary>Parsing either works, and then so do printing and the output check (or the check
    /// fails with a FormatException), or it fails with a DerivationFormatException.</summary>
    private static void ParseOrFormatError(byte[] bytes, string name, string fileName, DerivationHasher hasher)
    {
        Derivation drv;
        try
        {
            drv = DerivationParser.Parse(bytes, name, StoreDir);
        }
        catch (DerivationFormatException)
        {
            return;
        }
        catch (Exception e)
        {
            Assert.Fail($"{fileName} changed to «{Encoding.UTF8.GetString(bytes)}»: {e}");
            return;
        }
        var text = drv.Unparse(false);
        try
        {
            hasher.CheckOutputs(StoreDir + "/" + fileName, drv);
        }
        catch (FormatException)
        {
        }
        Assert.NotEmpty(text);
    }

    private static IEnumerable<(string FileName, byte[] Bytes, string Name)> AllGolden()
    {
        foreach (var fileName in GoldenFileNames())
        {
            yield return (fileName, Golden(fileName), DrvName(fileName));
        }
    }

    [Fact]
    public void OutputClaimingAnotherDerivationsPathIsRejected()
    {
        var plainFile = GoldenNamed("plain");
        var drvPath = StoreDir + "/" + plainFile;
        var multiOut = ParseGolden(GoldenNamed("multi")).Outputs["out"].Path;
        var forged = Parse(Plain.Replace(PlainOut, multiOut), "plain");
        var e = Assert.Throws<FormatException>(() => GoldenHasher().CheckOutputs(drvPath, forged));
        Assert.Equal($"derivation '{drvPath}' has incorrect output '{multiOut}', should be '{PlainOut}'", e.Message);

        // Right output, wrong environment variable.
        var envForged = ParseGolden(plainFile);
        envForged.Env["out"] = multiOut;
        e = Assert.Throws<FormatException>(() => GoldenHasher().CheckOutputs(drvPath, envForged));
        Assert.Equal($"derivation '{drvPath}' has incorrect environment variable 'out', should be '{PlainOut}'", e.Message);
    }

    [Fact]
    public void FixedOutputClaimingAnotherPathIsRejected()
    {
        var file = GoldenNamed("fixed-md5");
        var drvPath = StoreDir + "/" + file;
        var drv = ParseGolden(file);
        var rightPath = drv.Outputs["out"].Path;
        var text = Encoding.UTF8.GetString(Golden(file));
        var forged = Parse(text.Replace("(\"out\",\"" + rightPath, "(\"out\",\"" + PlainOut), drv.Name);
        var e = Assert.Throws<FormatException>(() => GoldenHasher().CheckOutputs(drvPath, forged));
        Assert.Equal($"derivation '{drvPath}' has incorrect output '{PlainOut}', should be '{rightPath}'", e.Message);

        // A different hash moves the path, and the old path is then wrong.
        var otherHash = Parse(text.Replace("5d41402abc4b2a76b9719d911017c592", "5d41402abc4b2a76b9719d911017c593"), drv.Name);
        Assert.Contains("has incorrect output", Assert.Throws<FormatException>(() => GoldenHasher().CheckOutputs(drvPath, otherHash)).Message);
    }

    [Fact]
    public void OutputKindsMustGoTogether()
    {
        var hasher = GoldenHasher();
        var path = StoreDir + "/" + GoldenNamed("plain");
        var fixedOut = ParseGolden(GoldenNamed("fixed-md5")).Outputs["out"];

        var none = Parse("Derive([],[],[],\"x\",\"b\",[],[])", "plain");
        Assert.Equal("must have at least one output", Assert.Throws<FormatException>(() => hasher.CheckOutputs(path, none)).Message);

        var mixed = ParseGolden(GoldenNamed("plain"));
        mixed.Outputs["dev"] = fixedOut;
        Assert.Equal("can't mix derivation output types", Assert.Throws<FormatException>(() => hasher.CheckOutputs(path, mixed)).Message);

        var twoFixed = new Derivation { Name = "plain" };
        twoFixed.Outputs["out"] = fixedOut;
        twoFixed.Outputs["dev"] = fixedOut;
        Assert.Equal("only one fixed output is allowed for now", Assert.Throws<FormatException>(() => hasher.CheckOutputs(path, twoFixed)).Message);

        var notOut = new Derivation { Name = "plain" };
        notOut.Outputs["bin"] = fixedOut;
        Assert.Equal("single fixed output must be named \"out\"", Assert.Throws<FormatException>(() => hasher.CheckOutputs(path, notOut)).Message);

        Assert.Throws<FormatException>(() => hasher.CheckOutputs("/nix/store/not-a-store-path.drv", mixed));
    }

    [Fact]
    public void Utf8ByteOrderMatchesByteComparison()
    {
        var random = new Random(8);
        string[] pieces = ["a", "z", "é", "\uE000", "\uFFFD", "😀", "𝄞", "日", "\u007f", ""];
        for (int i = 0; i < 5000; i++)
        {
            string Make() { var sb = new StringBuilder(); for (int n = random.Next(4); n > 0; n--) sb.Append(pieces[random.Next(pieces.Length)]); return sb.ToString(); }
            var x = Make();
            var y = Make();
            int expected = Math.Sign(Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y)));
            Assert.Equal(expected, Math.Sign(Utf8ByteOrderComparer.Instance.Compare(x, y)));
        }
    }
}
