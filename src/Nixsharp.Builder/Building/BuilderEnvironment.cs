// The environment a builder starts with, exactly as Nix 2.8 makes it: a few fixed variables
// (PATH=/path-not-set, HOME=/homeless-shelter, NIX_STORE, NIX_BUILD_CORES, NIX_BUILD_TOP and the
// TMPDIR family, PWD, NIX_LOG_FD, TERM), then the derivation's variables (those in passAsFile
// written to files in the build directory instead), or, with structured attributes, only the
// .attrs.json/.attrs.sh files.
namespace Nixsharp.Builder.Building;

using System.Security.Cryptography;
using System.Text;
using Nixsharp.Formats.Derivations;
using Nixsharp.Formats.Hashes;

public static class BuilderEnvironment
{
    public const string HomeDir = "/homeless-shelter";

    /// <summary>Builds the environment and writes the files it points at into the build directory.</summary>
    /// <param name="buildDirOnHost">The build directory as this process sees it.</param>
    /// <param name="buildDirInBuilder">The same directory as the builder sees it (/build in the sandbox).</param>
    /// <param name="impureEnv">Looks up variables of this process, for a fixed-output derivation's impureEnvVars.</param>
    public static SortedDictionary<string, string> Create(Derivation drv, DerivationOptions options, string storeDir, int cores,
        string buildDirOnHost, string buildDirInBuilder, IReadOnlyDictionary<string, string> outputPaths, Func<string, string?> impureEnv)
    {
        var env = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            // Shells would otherwise make up a PATH of their own.
            ["PATH"] = "/path-not-set",
            // Set but missing, so programs do not read the build user's real home.
            ["HOME"] = HomeDir,
            ["NIX_STORE"] = storeDir,
            ["NIX_BUILD_CORES"] = cores.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        if (options.StructuredAttrs is null)
        {
            var passAsFile = new HashSet<string>(DerivationOptions.Words(drv.Env.GetValueOrDefault("passAsFile", "")), StringComparer.Ordinal);
            foreach (var (name, value) in drv.Env)
            {
                if (!passAsFile.Contains(name))
                {
                    env[name] = value;
                    continue;
                }
                var fileName = ".attr-" + NixBase32.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(name)));
                WriteFile(Path.Combine(buildDirOnHost, fileName), value);
                env[name + "Path"] = buildDirInBuilder + "/" + fileName;
            }
        }

        env["NIX_BUILD_TOP"] = buildDirInBuilder;
        env["TMPDIR"] = env["TEMPDIR"] = env["TMP"] = env["TEMP"] = buildDirInBuilder;
        // Chrooted builders cannot always work out their directory themselves.
        env["PWD"] = buildDirInBuilder;

        if (drv.IsFixedOutput)
        {
            // Lets old fetchers know the output hash will be checked for them.
            env["NIX_OUTPUT_CHECKED"] = "1";
            // Only fixed-output derivations may see variables of the caller (proxies, for downloads).
            foreach (var name in options.GetStrings("impureEnvVars") ?? new List<string>())
                env[name] = impureEnv(name) ?? "";
        }

        env["NIX_LOG_FD"] = "2";
        env["TERM"] = "xterm-256color";

        if (options.StructuredAttrs is { } json)
        {
            var attrs = StructuredAttrs.Prepare(json, outputPaths);
            WriteFile(Path.Combine(buildDirOnHost, ".attrs.sh"), StructuredAttrs.ToShell(attrs));
            WriteFile(Path.Combine(buildDirOnHost, ".attrs.json"), StructuredAttrs.Dump(attrs));
            // Nix 2.8 points these at the build directory's path outside the sandbox, where the
            // builder cannot see it (fixed in later Nix); nixsharp gives the path the builder can open.
            env["NIX_ATTRS_SH_FILE"] = buildDirInBuilder + "/.attrs.sh";
            env["NIX_ATTRS_JSON_FILE"] = buildDirInBuilder + "/.attrs.json";
        }
        return env;
    }

    private static void WriteFile(string path, string contents)
    {
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(contents));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }
}
