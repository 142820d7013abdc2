// The README's example, examples/bird-hosts/hosts.nix: three routers' BIRD configurations built
// with <nixsharp>. Building them again builds nothing and leaves the store as it was; changing one
// router's own variable rebuilds that router only, and a variable its neighbours read rebuilds them too.
namespace Nixsharp.Cli.Tests;

using Xunit;

public class BirdHostsExampleTests
{
    private static string ExampleFile()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Nixsharp.slnx"))) dir = Path.GetDirectoryName(dir);
        Assert.NotNull(dir);
        return Path.Combine(dir, "examples", "bird-hosts", "hosts.nix");
    }

    private static Dictionary<string, string> ByHost(string output)
    {
        var paths = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, paths.Length);
        return paths.ToDictionary(p => p[(p.LastIndexOf('-') + 1)..], p => p);
    }

    /// <summary>A file of a router's directory, read through its link into the chroot store.</summary>
    private static string ReadLinked(BuildScratch s, string path)
    {
        var target = new FileInfo(s.Store.Real(path)).LinkTarget;
        Assert.NotNull(target);
        return s.Read(target);
    }

    [Fact]
    public void RebuildingIsANoOpAndChangingOneRouterRebuildsOnlyThatRouter()
    {
        if (!BuildScratch.CanRun) return;
        using var s = new BuildScratch();
        var file = ExampleFile();

        var first = s.Build(file);
        Assert.True(first.Code == 0, first.Stderr);
        Assert.Contains("these 9 derivations will be built:", first.Stderr); // per router: bird.conf, bird-reload, the join
        var hosts = ByHost(first.Out);
        Assert.Equal(new[] { "host1", "host2", "host3" }, hosts.Keys.Order(StringComparer.Ordinal));
        var conf1 = ReadLinked(s, hosts["host1"] + "/etc/bird/bird.conf");
        Assert.Contains("router id 10.255.0.1;", conf1);
        Assert.Contains("protocol bgp host2 {\n  local 10.0.12.1 as 65001;\n  neighbor 10.0.12.2 as 65002;", conf1);
        Assert.Contains("protocol bgp host3 {\n  local 10.0.13.1 as 65001;\n  neighbor 10.0.13.2 as 65003;", conf1);
        Assert.Contains("route 0.0.0.0/0 blackhole;", ReadLinked(s, hosts["host3"] + "/etc/bird/bird.conf"));
        Assert.Contains("!= host2 ]", ReadLinked(s, hosts["host2"] + "/bin/bird-reload"));

        // Again: the same paths, nothing built, not one byte of the store or its database changed.
        var before = s.Store.Snapshot();
        var again = s.Build(file);
        Assert.True(again.Code == 0, again.Stderr);
        Assert.Equal(first.Out, again.Out);
        Assert.DoesNotContain("will be built", again.Stderr);
        Assert.DoesNotContain("building", again.Stderr);
        Assert.Equal(before, s.Store.Snapshot());

        // host2's router id is its own: only host2's bird.conf and directory are built anew.
        var changed = s.Build(file, "--arg", "overrides", "{ host2.routerId = \"10.255.0.22\"; }");
        Assert.True(changed.Code == 0, changed.Stderr);
        Assert.Contains("these 2 derivations will be built:", changed.Stderr);
        Assert.Equal(2, changed.Stderr.Split('\n').Count(l => l.StartsWith("building '", StringComparison.Ordinal)));
        Assert.DoesNotContain("host1", changed.Stderr);
        Assert.DoesNotContain("host3", changed.Stderr);
        var after = ByHost(changed.Out);
        Assert.Equal(hosts["host1"], after["host1"]);
        Assert.Equal(hosts["host3"], after["host3"]);
        Assert.NotEqual(hosts["host2"], after["host2"]);
        Assert.Contains("router id 10.255.0.22;", ReadLinked(s, after["host2"] + "/etc/bird/bird.conf"));

        // host2's AS number is read by its neighbours' sessions: all three change (evaluated only).
        var asn = Tools.Ns("instantiate", "--store", s.Store.Root, "--eval", "--strict", "-E",
            $"map (h: h.outPath) (builtins.attrValues (import {file} {{ overrides.host2.asn = 65102; }}))");
        Assert.True(asn.Code == 0, asn.Stderr);
        foreach (var path in hosts.Values) Assert.DoesNotContain(path, asn.Out);
        s.AssertNoLeftovers();
    }
}
