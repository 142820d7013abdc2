// The protocol of `nix-store --serve` (what Nix calls the legacy SSH store), as Nix 2.8 speaks it:
// protocol 2.7. The client writes a magic number and its version, the server answers with its own
// magic number and version; then the client sends commands (a number and its arguments) and reads
// each answer. Everything is Nix's wire encoding (WireStream). Both sides read strictly: lengths
// and counts are bounded, booleans are 0 or 1, and anything else is garbage with a clear message.
namespace Nixsharp.Formats.Serve;

using Nixsharp.Formats.Wire;

public enum ServeCommand : ulong
{
    QueryValidPaths = 1,
    QueryPathInfos = 2,
    DumpStorePath = 3,
    ImportPaths = 4,
    ExportPaths = 5,
    BuildPaths = 6,
    QueryClosure = 7,
    BuildDerivation = 8,
    AddToStoreNar = 9,
}

/// <summary>A path's info as QueryPathInfos sends it. NarHash is the text as sent ("sha256:" and
/// base 32 from Nix); DownloadSize is obsolete (Nix sends the NAR size).</summary>
public sealed record ServePathInfo(
    string Path, string? Deriver, IReadOnlyList<string> References, ulong DownloadSize, ulong NarSize,
    string NarHash, string? ContentAddress, IReadOnlyList<string> Signatures);

/// <summary>What precedes a NAR in AddToStoreNar. NarHash is base 16 without a prefix, as Nix sends it.</summary>
public sealed record AddToStoreNarRequest(
    string Path, string? Deriver, string NarHash, IReadOnlyList<string> References, ulong RegistrationTime,
    ulong NarSize, bool Ultimate, IReadOnlyList<string> Signatures, string? ContentAddress);

/// <summary>The build settings that follow BuildPaths and BuildDerivation (read to keep the stream
/// in step; nixsharp's server does not build).</summary>
public sealed record ServeBuildOptions(ulong MaxSilentTime, ulong BuildTimeout, ulong MaxLogSize, ulong Repeats, bool EnforceDeterminism, bool KeepFailed);

public static class ServeProtocol
{
    public const ulong ClientMagic = 0x390c9deb;
    public const ulong ServerMagic = 0x5452eecb;
    /// <summary>Protocol 2.7, the version Nix 2.8's nix-store --serve announces.</summary>
    public const uint Version = 0x207;

    public static uint Major(uint version) => version & 0xff00;
    public static uint Minor(uint version) => version & 0x00ff;

    // Bounds on what a peer may send. Store paths are short; a closure can be large.
    public const int MaxPathLength = 4096;
    public const int MaxPaths = 1 << 20;
    public const int MaxSignatures = 1024;
    public const int MaxShortString = 4096;
    /// <summary>Environment values of a derivation can be large (nixpkgs passes scripts in them).</summary>
    public const int MaxDerivationString = 64 << 20;
    public const int MaxDerivationEntries = 1 << 16;

    // ---- Handshake -------------------------------------------------------------------------------

    public static void WriteClientHello(Stream to, uint version = Version)
    {
        WireStream.WriteU64(to, ClientMagic);
        WireStream.WriteU64(to, version);
    }

    /// <summary>The server's answer to the hello: its protocol version (major 2 required).</summary>
    public static uint ReadServerHello(Stream from)
    {
        var magic = WireStream.ReadU64(from, "the server's greeting");
        if (magic != ServerMagic)
            throw new WireFormatException($"'nix-store --serve' protocol mismatch: the greeting is 0x{magic:x}, not 0x{ServerMagic:x}");
        var version = ReadVersion(from, "the server's protocol version");
        if (Major(version) != 0x200)
            throw new WireFormatException($"unsupported 'nix-store --serve' protocol version {version >> 8}.{Minor(version)} (nixsharp speaks 2.x)");
        return version;
    }

    /// <summary>Server side: the client's magic number (before the server answers).</summary>
    public static void ReadClientMagic(Stream from)
    {
        var magic = WireStream.ReadU64(from, "the client's greeting");
        if (magic != ClientMagic) throw new WireFormatException($"protocol mismatch: the greeting is 0x{magic:x}, not 0x{ClientMagic:x}");
    }

    public static void WriteServerHello(Stream to, uint version = Version)
    {
        WireStream.WriteU64(to, ServerMagic);
        WireStream.WriteU64(to, version);
    }

    public static uint ReadClientVersion(Stream from)
    {
        var version = ReadVersion(from, "the client's protocol version");
        if (Major(version) != 0x200)
            throw new WireFormatException($"unsupported 'nix-store --serve' client protocol version {version >> 8}.{Minor(version)} (nixsharp speaks 2.x)");
        return version;
    }

    private static uint ReadVersion(Stream from, string what)
    {
        var v = WireStream.ReadU64(from, what);
        if (v > 0xffff) throw new WireFormatException($"{what} 0x{v:x} is not a version number");
        return (uint)v;
    }

    // ---- Commands --------------------------------------------------------------------------------

    /// <summary>The next command, or null when the client closed the connection between commands.</summary>
    public static ServeCommand? ReadCommand(Stream from)
    {
        Span<byte> first = stackalloc byte[1];
        if (from.Read(first) <= 0) return null;
        Span<byte> rest = stackalloc byte[7];
        WireStream.ReadExactly(from, rest, "a command");
        ulong n = first[0];
        for (int i = 0; i < 7; i++) n |= (ulong)rest[i] << (8 * (i + 1));
        if (n is < 1 or > 9) throw new WireFormatException($"unknown serve command {n}");
        return (ServeCommand)n;
    }

    public static void WriteCommand(Stream to, ServeCommand cmd) => WireStream.WriteU64(to, (ulong)cmd);

    public static bool ReadBool(Stream from, string what)
    {
        var n = WireStream.ReadU64(from, what);
        if (n > 1) throw new WireFormatException($"{what} is {n}, not a boolean (0 or 1)");
        return n == 1;
    }

    public static void WriteBool(Stream to, bool b) => WireStream.WriteU64(to, b ? 1UL : 0UL);

    public static string ReadPath(Stream from, string what) => WireStream.ReadString(from, MaxPathLength, what);

    /// <summary>A path or "" for none (derivers).</summary>
    public static string? ReadOptionalPath(Stream from, string what) =>
        ReadPath(from, what) is { Length: > 0 } p ? p : null;

    public static List<string> ReadPaths(Stream from, string what) => WireStream.ReadStrings(from, MaxPaths, MaxPathLength, what);

    /// <summary>QueryValidPaths: lock (add temporary roots), substitute (try substituters first), the paths.</summary>
    public static void WriteQueryValidPaths(Stream to, bool lockPaths, bool substitute, IReadOnlyCollection<string> paths)
    {
        WriteCommand(to, ServeCommand.QueryValidPaths);
        WriteBool(to, lockPaths);
        WriteBool(to, substitute);
        WireStream.WriteStrings(to, paths);
    }

    public static (bool Lock, bool Substitute, List<string> Paths) ReadQueryValidPathsArgs(Stream from) =>
        (ReadBool(from, "the lock flag"), ReadBool(from, "the substitute flag"), ReadPaths(from, "the paths to check"));

    /// <summary>One answer of QueryPathInfos; the answer ends with an empty path (WriteString "").
    /// Clients before 2.4 get no NAR hash, content address or signatures.</summary>
    public static void WritePathInfo(Stream to, ServePathInfo info, uint clientVersion)
    {
        WireStream.WriteString(to, info.Path);
        WireStream.WriteString(to, info.Deriver ?? "");
        WireStream.WriteStrings(to, info.References);
        WireStream.WriteU64(to, info.DownloadSize);
        WireStream.WriteU64(to, info.NarSize);
        if (Minor(clientVersion) >= 4)
        {
            WireStream.WriteString(to, info.NarHash);
            WireStream.WriteString(to, info.ContentAddress ?? "");
            WireStream.WriteStrings(to, info.Signatures);
        }
    }

    /// <summary>The whole answer of QueryPathInfos (servers speaking 2.4 or later): the infos of
    /// the asked paths that are valid there.</summary>
    public static List<ServePathInfo> ReadPathInfos(Stream from)
    {
        var infos = new List<ServePathInfo>();
        while (true)
        {
            var path = ReadPath(from, "a path in the path infos");
            if (path.Length == 0) return infos;
            if (infos.Count >= MaxPaths) throw new WireFormatException($"the path infos list more than {MaxPaths} paths");
            var deriver = ReadOptionalPath(from, $"the deriver of '{path}'");
            var refs = ReadPaths(from, $"the references of '{path}'");
            var downloadSize = WireStream.ReadU64(from, $"the download size of '{path}'");
            var narSize = WireStream.ReadU64(from, $"the NAR size of '{path}'");
            var narHash = WireStream.ReadString(from, MaxShortString, $"the NAR hash of '{path}'");
            if (narHash.Length == 0) throw new WireFormatException($"the server sent no NAR hash for '{path}'");
            var ca = WireStream.ReadString(from, MaxShortString, $"the content address of '{path}'");
            var sigs = WireStream.ReadStrings(from, MaxSignatures, MaxShortString, $"the signatures of '{path}'");
            infos.Add(new ServePathInfo(path, deriver, refs, downloadSize, narSize, narHash, ca.Length == 0 ? null : ca, sigs));
        }
    }

    public static void WriteAddToStoreNar(Stream to, AddToStoreNarRequest r)
    {
        WriteCommand(to, ServeCommand.AddToStoreNar);
        WireStream.WriteString(to, r.Path);
        WireStream.WriteString(to, r.Deriver ?? "");
        WireStream.WriteString(to, r.NarHash);
        WireStream.WriteStrings(to, r.References);
        WireStream.WriteU64(to, r.RegistrationTime);
        WireStream.WriteU64(to, r.NarSize);
        WriteBool(to, r.Ultimate);
        WireStream.WriteStrings(to, r.Signatures);
        WireStream.WriteString(to, r.ContentAddress ?? "");
    }

    /// <summary>AddToStoreNar's arguments (the NAR, NarSize bytes, follows).</summary>
    public static AddToStoreNarRequest ReadAddToStoreNarArgs(Stream from)
    {
        var path = ReadPath(from, "the path to add");
        var deriver = ReadOptionalPath(from, $"the deriver of '{path}'");
        var narHash = WireStream.ReadString(from, MaxShortString, $"the NAR hash of '{path}'");
        var refs = ReadPaths(from, $"the references of '{path}'");
        var registrationTime = WireStream.ReadU64(from, $"the registration time of '{path}'");
        var narSize = WireStream.ReadU64(from, $"the NAR size of '{path}'");
        var ultimate = ReadBool(from, $"the ultimate flag of '{path}'");
        var sigs = WireStream.ReadStrings(from, MaxSignatures, MaxShortString, $"the signatures of '{path}'");
        var ca = WireStream.ReadString(from, MaxShortString, $"the content address of '{path}'");
        return new AddToStoreNarRequest(path, deriver, narHash, refs, registrationTime, narSize, ultimate, sigs, ca.Length == 0 ? null : ca);
    }

    /// <summary>The answer to ImportPaths and AddToStoreNar: 1 means the paths were added.</summary>
    public static void ReadSuccess(Stream from, string what)
    {
        var n = WireStream.ReadU64(from, what);
        if (n != 1) throw new WireFormatException($"{what} is {n}, not 1 (success)");
    }

    public static void WriteSuccess(Stream to) => WireStream.WriteU64(to, 1);

    // ---- Builds (read so that the answer can be a clean refusal) ---------------------------------

    public static ServeBuildOptions ReadBuildOptions(Stream from, uint clientVersion)
    {
        var maxSilent = WireStream.ReadU64(from, "max-silent-time");
        var timeout = WireStream.ReadU64(from, "the build timeout");
        ulong maxLog = 0, repeats = 0;
        bool enforce = false, keepFailed = false;
        if (Minor(clientVersion) >= 2) maxLog = WireStream.ReadU64(from, "the maximum log size");
        if (Minor(clientVersion) >= 3)
        {
            repeats = WireStream.ReadU64(from, "the number of build repeats");
            enforce = ReadBool(from, "the enforce-determinism flag");
        }
        if (Minor(clientVersion) >= 7) keepFailed = ReadBool(from, "the keep-failed flag");
        return new ServeBuildOptions(maxSilent, timeout, maxLog, repeats, enforce, keepFailed);
    }

    /// <summary>BuildDerivation's derivation (a store path and the derivation without its input
    /// derivations), read and dropped: only its shape is checked.</summary>
    public static string SkipBasicDerivation(Stream from)
    {
        var drvPath = ReadPath(from, "the derivation path");
        var outputs = WireStream.ReadU64(from, "the number of outputs");
        if (outputs > MaxDerivationEntries) throw new WireFormatException($"the derivation has {outputs} outputs, more than the {MaxDerivationEntries} allowed");
        for (ulong i = 0; i < outputs; i++)
        {
            WireStream.ReadString(from, MaxShortString, "an output name");
            ReadPath(from, "an output path");
            WireStream.ReadString(from, MaxShortString, "an output hash algorithm");
            WireStream.ReadString(from, MaxShortString, "an output hash");
        }
        ReadPaths(from, "the input sources");
        WireStream.ReadString(from, MaxShortString, "the platform");
        WireStream.ReadString(from, MaxDerivationString, "the builder");
        WireStream.ReadStrings(from, MaxDerivationEntries, MaxDerivationString, "the builder arguments");
        var env = WireStream.ReadU64(from, "the number of environment variables");
        if (env > MaxDerivationEntries) throw new WireFormatException($"the derivation has {env} environment variables, more than the {MaxDerivationEntries} allowed");
        for (ulong i = 0; i < env; i++)
        {
            WireStream.ReadString(from, MaxShortString, "an environment variable name");
            WireStream.ReadString(from, MaxDerivationString, "an environment variable value");
        }
        return drvPath;
    }

    /// <summary>BuildDerivation's answer for a build that did not happen: status (Nix's
    /// BuildResult numbering) and message, then times and outputs as the client's version expects.</summary>
    public static void WriteBuildResultFailure(Stream to, uint clientVersion, ulong status, string message)
    {
        WireStream.WriteU64(to, status);
        WireStream.WriteString(to, message);
        if (Minor(clientVersion) >= 3)
        {
            WireStream.WriteU64(to, 0); // times built
            WriteBool(to, false);       // non-deterministic
            WireStream.WriteU64(to, 0); // start time
            WireStream.WriteU64(to, 0); // stop time
        }
        if (Minor(clientVersion) >= 6) WireStream.WriteU64(to, 0); // no built outputs
    }

    /// <summary>Nix's BuildResult status for a failure that is neither the builder's nor transient.</summary>
    public const ulong BuildStatusMiscFailure = 9;
}
